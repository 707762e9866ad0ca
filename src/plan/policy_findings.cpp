// Portal drift that breaks the manifest's policy. The loader already refused any entry whose
// own scopes break it, so a violation here means someone widened a managed key on the portal
// (say, to "*"): plan shows it as a finding beside the update that narrows the key back.

#include "provision/plan/plan.hpp"

#include <algorithm>

namespace provision::plan {

std::vector<PolicyFinding> policy_findings(const PlanInput& input) {
    std::vector<PolicyFinding> findings;
    for (const auto& spec : input.manifest.keys) {
        if (!input.options.targets.empty() && input.options.targets.count(spec.name) == 0) {
            continue;
        }
        const state::ManagedKey* record = input.state.find(spec.name);
        if (record == nullptr) {
            continue;
        }
        const auto key = std::find_if(input.observed.begin(), input.observed.end(),
                                      [&](const api::ApiKey& k) { return k.id == record->id; });
        if (key == input.observed.end()) {
            continue;
        }
        for (auto& violation : manifest::check_scopes(input.manifest.policy, key->permissions)) {
            findings.push_back(PolicyFinding{spec.name, key->id, key->postfix, violation.rule,
                                             "on the portal: " + std::move(violation.message)});
        }
    }
    return findings;
}

}  // namespace provision::plan
