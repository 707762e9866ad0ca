#pragma once
/// Settling creates whose outcome is unknown: the journal's pending intents, left by a run that
/// crashed, was killed or lost a create's answer. Runs after the lock is taken and before
/// planning, so the plan sees a world with no orphans.

#include "provision/api/keys_api.hpp"
#include "provision/apply/executor.hpp"
#include "provision/apply/journal.hpp"
#include "provision/manifest/manifest.hpp"

#include <string>
#include <vector>

namespace provision::apply {

struct ReconcileReport {
    int revoked = 0;   ///< keys a lost create made whose secret was never saved
    int adopted = 0;   ///< keys whose secret reached an output before the crash
    bool unresolved = false;  ///< the portal could not be asked; intents stay pending
    std::vector<std::string> messages;
};

/// For each pending intent, lists the portal's keys and finds those the lost create may have
/// made: same name, same creator, created at or after the intent, unknown to the state. A key
/// whose secret an output already holds (verified with GET keys/@self) is adopted into the
/// state; every other such key is revoked. Settled intents are marked resolved.
ReconcileReport reconcile_pending(const manifest::Manifest& manifest, World& world,
                                  api::KeysApi& api, Journal& journal);

}  // namespace provision::apply
