// Settling unknown create outcomes (reliability C.8). A pending intent means a POST may have
// made a key whose secret this tool may or may not have saved. The portal is the judge: list
// its keys and look for keys the intent could have made (same name, same creator, created no
// earlier than the intent, not tracked by the state). For each:
//   - if an output holds a secret for the intent's entry that the state does not know, and
//     GET keys/@self with that secret answers with this key's id, the crash happened after the
//     secret was written but before the state was saved: adopt the key (no secret is lost);
//   - otherwise its secret exists nowhere: revoke it (DELETE), so no orphan survives.
// The key the entry used before (a replacement in progress) becomes a retiring key, so it
// gets its grace period instead of becoming an orphan itself.

#include "provision/apply/reconcile.hpp"

#include "provision/output/output.hpp"
#include "provision/plan/plan.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace provision::apply {

namespace {

/// Secrets the outputs hold that the state does not vouch for, by entry.
std::map<std::string, core::Secret> unverified_secrets(const manifest::Manifest& manifest,
                                                       const World& world) {
    std::map<std::string, core::Secret> found;
    auto secrets = output::read_known_secrets(manifest);
    if (!secrets.ok()) {
        return found;
    }
    for (auto& [entry, secret] : secrets.value()) {
        const auto* record = world.state.find(entry);
        if (record == nullptr || record->fingerprint != secret.fingerprint()) {
            found.emplace(entry, std::move(secret));
        }
    }
    return found;
}

bool adopt(const manifest::Manifest& manifest, World& world, api::KeysApi& api,
           const Intent& intent, const api::ApiKey& key, const core::Secret& secret) {
    if (secret.reveal().size() < 4 ||
        secret.reveal().substr(secret.reveal().size() - 4) != key.postfix) {
        return false;
    }
    auto self = api.self(secret);
    if (!self.ok() || self->id != key.id) {
        return false;
    }
    const manifest::KeySpec* spec = manifest.find_key(intent.entry);
    if (const auto* previous = world.state.find(intent.entry); previous != nullptr && previous->id != key.id) {
        const auto& policy = spec != nullptr ? spec->rotation : manifest.default_rotation;
        world.state.retiring.push_back({intent.entry, previous->id, previous->postfix,
                                        previous->expires_at, intent.time + policy.grace_period,
                                        "replaced before an interruption"});
    }
    state::ManagedKey record = plan::managed_record(intent.entry, key);
    if (spec != nullptr) {
        record.expires_in_days = spec->expires_in_days;  // the lifetime the intent asked for
    }
    record.fingerprint = secret.fingerprint();
    world.state.upsert(record);
    world.secrets[intent.entry] = secret;
    return true;
}

}  // namespace

bool may_be_made_by(const api::ApiKey& key, const std::string& name,
                    const std::string& creator_id, core::Timestamp sent_at,
                    const state::State& state) {
    const auto skew = std::chrono::seconds{5};
    return key.name == name && key.created_by_id == creator_id &&
           key.create_on + skew >= sent_at && !state.tracks(key.id);
}

ReconcileReport reconcile_pending(const manifest::Manifest& manifest, World& world,
                                  api::KeysApi& api, Journal& journal, core::Timestamp now) {
    ReconcileReport report;
    if (journal.pending().empty()) {
        return report;
    }
    auto keys = api.list();
    if (!keys.ok()) {
        report.unresolved = true;
        report.messages.push_back("could not list the portal's keys to settle " +
                                  std::to_string(journal.pending().size()) +
                                  " interrupted create(s): " + keys.error().message);
        return report;
    }
    auto unverified = unverified_secrets(manifest, world);
    const std::vector<Intent> pending = journal.pending();
    for (const auto& intent : pending) {
        spdlog::info("settling an interrupted create of '{}' from {}", intent.entry,
                     core::format_iso8601(intent.time));
        bool settled = true;
        int matched = 0;
        for (const auto& key : keys.value()) {
            if (!may_be_made_by(key, intent.name, world.user.id, intent.time, world.state)) {
                continue;
            }
            ++matched;
            const auto secret = unverified.find(intent.entry);
            if (secret != unverified.end() && adopt(manifest, world, api, intent, key, secret->second)) {
                ++report.adopted;
                unverified.erase(secret);
                report.messages.push_back("'" + intent.entry + "': adopted key sk-***" + key.postfix +
                                          " whose secret an output already held");
                continue;
            }
            auto removed = api.remove(key.id);
            const bool gone = (removed.ok() && removed.value()) ||
                              (!removed.ok() && removed.error().http_status == 500);
            if (!gone) {
                settled = false;
                report.messages.push_back(
                    "'" + intent.entry + "': could not revoke orphan key sk-***" + key.postfix +
                    " (id " + key.id + "): " +
                    (removed.ok() ? std::string(api::k_not_yours) : removed.error().message));
                continue;
            }
            ++report.revoked;
            report.messages.push_back("'" + intent.entry + "': revoked orphan key sk-***" + key.postfix +
                                      " (id " + key.id + ") made by an interrupted create");
        }
        if (!settled) {
            report.unresolved = true;
            continue;
        }
        if (matched == 0 && now < intent.time + k_settle_window) {
            // No key yet, but the portal may still commit the create: look again next run.
            ++report.watching;
            continue;
        }
        if (auto saved = state::save_state(manifest.state_path, world.state); !saved.ok()) {
            report.unresolved = true;
            report.messages.push_back("could not save the state: " + saved.error().message);
            return report;
        }
        if (auto marked = journal.record_resolved(intent.seq); !marked.ok()) {
            report.unresolved = true;
            report.messages.push_back(marked.error().message);
            return report;
        }
    }
    for (const auto& message : report.messages) {
        spdlog::warn("{}", message);
    }
    if (!report.unresolved) {
        [[maybe_unused]] auto compacted = journal.compact();
    }
    return report;
}

}  // namespace provision::apply
