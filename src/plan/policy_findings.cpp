// Portal drift that breaks the manifest's policy. The loader already refused any entry whose
// own scopes break it, so a violation here means someone widened a managed key on the portal
// (say, to "*"): plan shows it as a finding beside the update that narrows the key back.

#include "provision/plan/plan.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace provision::plan {

std::vector<PolicyFinding> policy_findings(const PlanInput& input) {
    std::vector<PolicyFinding> findings;
    const auto& policy = input.manifest.policy;
    if (!policy.forbid_unrestricted && policy.allowed_scopes.empty()) {
        return findings;  // no rule about scopes: portal drift cannot break the policy
    }
    // Looked up once, so that planning stays linear in the number of keys.
    std::unordered_map<std::string_view, const state::ManagedKey*> records;
    for (const auto& record : input.state.keys) {
        records.emplace(record.entry, &record);
    }
    std::unordered_map<std::string_view, const api::ApiKey*> observed;
    for (const auto& key : input.observed) {
        observed.emplace(key.id, &key);  // the first of duplicate ids, as listed
    }
    for (const auto& spec : input.manifest.keys) {
        if (!input.options.targeted(spec.name)) {
            continue;
        }
        const auto record = records.find(spec.name);
        if (record == records.end()) {
            continue;
        }
        const auto found = observed.find(record->second->id);
        if (found == observed.end()) {
            continue;
        }
        const api::ApiKey* key = found->second;
        for (auto& violation : manifest::check_scopes(input.manifest.policy, key->permissions)) {
            findings.push_back(PolicyFinding{spec.name, key->id, key->postfix, violation.rule,
                                             "on the portal: " + std::move(violation.message)});
        }
    }
    return findings;
}

}  // namespace provision::plan
