// Encrypted outputs without an identity: what they hold is read from their fingerprint index.
// Which of them a plan would rewrite is the planner's to say (Plan::sealed_rewrites, from
// OutputsView::sealed); apply::prepare refuses such a plan.

#include "provision/apply/sealed_outputs.hpp"

#include "provision/output/age.hpp"

#include <filesystem>

namespace provision::apply {

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

namespace {

/// What the encrypted output `spec` holds per its index: World::age_indexes, else read now and
/// remembered.
const World::HeldIndex& held_index(const manifest::OutputSpec& spec, World& world) {
    const auto [known, inserted] = world.age_indexes.try_emplace(spec.path.string());
    if (inserted) {
        std::error_code ec;
        known->second.exists = std::filesystem::exists(spec.path, ec);
        if (known->second.exists) {
            if (auto index = output::read_age_index(spec.path); index.ok()) {
                known->second.index = std::move(index.value());
            }
        }
    }
    return known->second;
}

}  // namespace

bool encrypted_output_differs(const manifest::Manifest& manifest, const manifest::OutputSpec& spec,
                              const std::vector<output::SecretRecord>& records, World& world) {
    const World::HeldIndex& file = held_index(spec, world);
    if (!file.exists) {
        return !records.empty();
    }
    if (!file.index) {
        return true;
    }
    const output::AgeIndex& held = *file.index;
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

}  // namespace provision::apply
