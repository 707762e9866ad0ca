// Encrypted outputs without an identity: what they hold is read from their fingerprint index,
// and a plan that would rewrite one is refused up front (rewriting would drop the secrets this
// run cannot decrypt).

#include "provision/apply/sealed_outputs.hpp"

#include "provision/output/age.hpp"

#include <algorithm>
#include <filesystem>

namespace provision::apply {

namespace {

bool may_rewrite(const plan::Action& action, const manifest::OutputSpec& spec, const World& world) {
    switch (action.kind) {
    case plan::ActionKind::write_outputs:
        return true;
    case plan::ActionKind::create:
    case plan::ActionKind::replace:
    case plan::ActionKind::remove:
    case plan::ActionKind::forget:
    case plan::ActionKind::adopt:
        return spec.selects(action.entry);
    case plan::ActionKind::import_key:  // the outputs are written when its secret is known
        return world.secrets.contains(action.entry) && spec.selects(action.entry);
    default:
        return false;
    }
}

}  // namespace

std::map<std::string, std::string> sealed_for(const manifest::Manifest& manifest,
                                              const manifest::OutputSpec& spec,
                                              const World& world) {
    std::map<std::string, std::string> sealed;
    for (const auto& key : manifest.keys) {
        if (!spec.selects(key.name) || !world.sealed.contains(key.name) ||
            world.secrets.contains(key.name)) {
            continue;
        }
        if (const auto* record = world.state.find(key.name); record != nullptr) {
            sealed[manifest::env_name(spec, key)] = record->fingerprint;
        }
    }
    return sealed;
}

bool encrypted_output_differs(const manifest::Manifest& manifest, const manifest::OutputSpec& spec,
                              const std::vector<output::SecretRecord>& records,
                              const World& world) {
    std::error_code ec;
    if (!std::filesystem::exists(spec.path, ec)) {
        return !records.empty();
    }
    const auto index = output::read_age_index(spec.path);
    if (!index.ok() || !index.value().has_value()) {
        return true;
    }
    const output::AgeIndex& held = *index.value();
    auto expected = sealed_for(manifest, spec, world);
    for (const auto& record : records) {
        expected[record.env] = record.secret.fingerprint();
    }
    if (expected.size() != held.keys.size()) {
        return true;
    }
    for (const auto& [env, fingerprint] : expected) {
        const auto found = held.keys.find(env);
        if (found == held.keys.end() || found->second.fingerprint != fingerprint) {
            return true;
        }
    }
    if (!sealed_for(manifest, spec, world).empty()) {
        return false;  // same secrets; metadata cannot be refreshed without the identity
    }
    const auto rendered = output::render_output(spec, records);
    return !rendered.ok() ||
           core::Secret{rendered.value()}.fingerprint() != held.content_fingerprint;
}

std::vector<std::string> sealed_output_refusals(const manifest::Manifest& manifest,
                                                const plan::Plan& plan, const World& world) {
    std::vector<std::string> messages;
    for (const auto& spec : manifest.outputs) {
        if (spec.age_recipients.empty() || sealed_for(manifest, spec, world).empty()) {
            continue;
        }
        const bool rewrite =
            std::any_of(plan.actions.begin(), plan.actions.end(),
                        [&](const plan::Action& a) { return may_rewrite(a, spec, world); });
        if (rewrite) {
            messages.push_back(
                "output " + spec.path_as_written +
                ": this plan rewrites the encrypted output, which holds secrets that cannot be "
                "decrypted without an age identity; set PROVISION_AGE_IDENTITY_FILE (or "
                "PROVISION_AGE_IDENTITY) and run again");
        }
    }
    return messages;
}

}  // namespace provision::apply
