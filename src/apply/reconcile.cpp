// Settling unknown create outcomes (reliability C.8). A pending intent means a POST may have
// made a key whose secret this tool may or may not have saved. The portal is the judge: list
// its keys and look for keys the intent could have made (same name, same creator, created no
// earlier than the intent, not tracked by the state). For each:
//   - if an output holds a secret for the intent's entry that the state does not bind, and
//     GET keys/@self with that secret answers with this key's id, the crash happened after the
//     secret reached an output but before the state was saved: adopt the key (no secret is
//     lost) and rewrite every output with it (the plan's write_outputs);
//   - otherwise its secret exists nowhere: revoke it (DELETE), so no orphan survives.
// The key the entry used before (a replacement in progress) becomes a retiring key, so it
// gets its grace period instead of becoming an orphan itself. An intent whose key the state
// already binds was killed after the state was saved: only its done record is missing.

#include "provision/apply/reconcile.hpp"

#include "provision/core/crash_point.hpp"
#include "provision/plan/plan.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace provision::apply {

namespace {

constexpr auto k_clock_skew = std::chrono::seconds{5};

/// True when the state's key for the intent's entry is the one the intent made.
bool state_binds_key_of(const Intent& intent, const std::set<std::string>& done_ids,
                        const state::State& state) {
    const auto* record = state.find(intent.entry);
    return record != nullptr && record->name == intent.name &&
           record->created_at + k_clock_skew >= intent.time && !done_ids.contains(record->id);
}

/// Adopts `key` for the intent's entry when one of the unverified secrets of that entry
/// authenticates as it. The secret then leaves `world.unverified`.
bool adopt(const manifest::Manifest& manifest, World& world, api::KeysApi& api,
           const Intent& intent, const api::ApiKey& key, core::Timestamp now) {
    auto& candidates = world.unverified[intent.entry];
    for (auto it = candidates.begin(); it != candidates.end(); ++it) {
        if (!it->ends_with(key.postfix)) {
            continue;
        }
        auto self = api.self(*it);
        if (!self.ok() || self->id != key.id) {
            continue;
        }
        const auto* previous = world.state.find(intent.entry);
        const bool previous_live =
            previous != nullptr &&
            std::any_of(world.observed.begin(), world.observed.end(),
                        [&](const api::ApiKey& k) { return k.id == previous->id; });
        if (previous_live && previous->id != key.id) {
            const manifest::KeySpec* spec = manifest.find_key(intent.entry);
            auto retiring = retirement_for(
                spec != nullptr ? spec->rotation : manifest.default_rotation, intent.entry,
                *previous, world.observed, "replaced before an interruption", now);
            world.state.retiring.push_back(std::move(retiring));
        }
        state::ManagedKey record = plan::managed_record(intent.entry, key);
        if (const manifest::KeySpec* spec = manifest.find_key(intent.entry); spec != nullptr) {
            record.expires_in_days = spec->expires_in_days;  // the lifetime the intent asked for
        }
        record.fingerprint = it->fingerprint();
        world.state.upsert(record);
        world.secrets[intent.entry] = *it;
        candidates.erase(it);
        return true;
    }
    return false;
}

}  // namespace

bool may_be_made_by(const api::ApiKey& key, const std::string& name, const std::string& creator_id,
                    core::Timestamp sent_at, const state::State& state) {
    return key.name == name && key.created_by_id == creator_id &&
           key.create_on + k_clock_skew >= sent_at && !state.tracks(key.id);
}

std::vector<plan::PendingCreate> classify_pending(const std::vector<Intent>& pending,
                                                  const std::set<std::string>& done_ids,
                                                  const World& world) {
    std::vector<plan::PendingCreate> out;
    for (const auto& intent : pending) {
        plan::PendingCreate view;
        view.entry = intent.entry;
        view.sent_at = intent.time;
        view.watched = intent.watched_since.has_value();
        view.watch_until = intent.time + k_settle_window;
        const auto held = world.unverified.find(intent.entry);
        for (const auto& key : world.observed) {
            if (!may_be_made_by(key, intent.name, world.user.id, intent.time, world.state)) {
                continue;
            }
            const bool secret_held =
                held != world.unverified.end() &&
                std::any_of(held->second.begin(), held->second.end(),
                            [&](const core::Secret& s) { return s.ends_with(key.postfix); });
            view.made.push_back({key.id, key.postfix, secret_held && !view.watched});
        }
        view.persisted = view.made.empty() && state_binds_key_of(intent, done_ids, world.state);
        out.push_back(std::move(view));
    }
    return out;
}

ReconcileReport reconcile_pending(const manifest::Manifest& manifest, World& world,
                                  api::KeysApi& api, Journal& journal, core::Timestamp now) {
    ReconcileReport report;
    if (journal.pending().empty()) {
        return report;
    }
    auto keys = api.list_shared();
    if (!keys.ok()) {
        report.unresolved = true;
        report.messages.push_back("could not list the portal's keys to settle " +
                                  std::to_string(journal.pending().size()) +
                                  " interrupted create(s): " + keys.error().message);
        return report;
    }
    world.observed = std::move(keys.value());
    const std::vector<Intent> pending = journal.pending();
    for (const auto& intent : pending) {
        spdlog::info("settling an interrupted create of '{}' from {}", intent.entry,
                     core::format_iso8601(intent.time));
        bool settled = true;
        int matched = 0;
        for (const auto& key : world.observed) {  // adopt() changes the state, not this list
            if (!may_be_made_by(key, intent.name, world.user.id, intent.time, world.state)) {
                continue;
            }
            ++matched;
            if (adopt(manifest, world, api, intent, key, now)) {
                ++report.adopted;
                report.messages.push_back("'" + intent.entry + "': adopted key sk-***" +
                                          key.postfix + " whose secret an output already held");
                continue;
            }
            auto removed = api.remove(key.id);
            const bool gone = (removed.ok() && removed.value()) ||
                              (!removed.ok() && api::is_unknown_id(removed.error()));
            if (!gone) {
                settled = false;
                report.messages.push_back(
                    "'" + intent.entry + "': could not revoke orphan key sk-***" + key.postfix +
                    " (id " + key.id + "): " +
                    (removed.ok() ? std::string(api::k_not_yours) : removed.error().message));
                continue;
            }
            ++report.revoked;
            report.messages.push_back("'" + intent.entry + "': revoked orphan key sk-***" +
                                      key.postfix + " (id " + key.id +
                                      ") made by an interrupted create");
        }
        if (!settled) {
            report.unresolved = true;
            continue;
        }
        if (matched == 0 && state_binds_key_of(intent, journal.done_ids(), world.state)) {
            // Killed after the state was saved and before the done record: nothing to settle.
            const auto* record = world.state.find(intent.entry);
            if (auto marked = journal.record_done(intent.seq, record->id); !marked.ok()) {
                report.unresolved = true;
                report.messages.push_back(marked.error().message);
                return report;
            }
            ++report.persisted;
            continue;
        }
        if (matched == 0 && now < intent.time + k_settle_window) {
            // No key yet, but the portal may still commit the create: look again next run.
            ++report.watching;
            if (!intent.watched_since) {
                [[maybe_unused]] auto watched = journal.record_watch(intent.seq, now);
            }
            continue;
        }
        if (auto saved = save_world_state(manifest, world); !saved.ok()) {
            report.unresolved = true;
            report.messages.push_back("could not save the state: " + saved.error().message);
            return report;
        }
        core::crash_point("after_settle_state");
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
