#pragma once
/// Settling creates whose outcome is unknown: the journal's pending intents, left by a run that
/// crashed, was killed or lost a create's answer. Runs after the lock is taken and before
/// planning, so the plan sees a world with no orphans.

#include "provision/api/keys_api.hpp"
#include "provision/apply/executor.hpp"
#include "provision/apply/journal.hpp"
#include "provision/manifest/manifest.hpp"

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace provision::apply {

struct ReconcileReport {
    int revoked = 0;    ///< keys a lost create made whose secret was never saved
    int adopted = 0;    ///< keys whose secret reached an output before the crash
    int persisted = 0;  ///< creates whose key the state already bound (killed after saving it)
    int watching = 0;   ///< recent intents with no key yet: kept pending, checked again later
    bool unresolved = false;  ///< the portal could not be asked; intents stay pending
    std::vector<std::string> messages;
};

/// Whether `key` may have been made by a create of `name` that `creator_id` sent at `sent_at`
/// and whose answer was lost: same name and creator, created no earlier than the request
/// (allowing 5 s of clock skew between this machine and the portal), not tracked by `state`.
bool may_be_made_by(const api::ApiKey& key, const std::string& name, const std::string& creator_id,
                    core::Timestamp sent_at, const state::State& state);

/// The pending intents matched against the state and the portal's keys, without a request:
/// what plan and status show as settle actions (plan::PendingCreate). `held` are the secrets
/// the outputs hold that the state does not bind (World::unverified).
std::vector<plan::PendingCreate> classify_pending(const std::vector<Intent>& pending,
                                                  const std::set<std::string>& done_ids,
                                                  const World& world);

/// How long an intent whose create made no key (yet) stays pending. A portal can commit a create
/// after the client gave up on it (a slow request, an aborted transfer); until this much time
/// has passed, every run checks for such a late key again and revokes it.
inline constexpr std::chrono::minutes k_settle_window{10};

/// For each pending intent, lists the portal's keys and finds those the lost create may have
/// made: same name, same creator, created at or after the intent, unknown to the state. A key
/// whose secret an output already holds (World::unverified, verified with GET keys/@self) is
/// adopted into the state, and the key it replaces becomes a retiring key; every other such
/// key is revoked. An intent whose key the state already binds (killed after the state was
/// saved) is marked done. Settled intents are marked resolved; an intent that matched no key is
/// marked watched and stays pending until it is older than k_settle_window at `now`.
ReconcileReport reconcile_pending(const manifest::Manifest& manifest, World& world,
                                  api::KeysApi& api, Journal& journal, core::Timestamp now);

}  // namespace provision::apply
