// Creates: the one step whose result exists only once. Before the POST an intent is fsynced to
// the journal; after the response the secret goes to every output and the state, and the intent
// is marked done, all before another create may start (executor_impl.hpp). Then, for a
// replace, the old key is retired now (expired, or no grace period) or recorded as retiring
// until its grace period ends.
//
// A create whose outcome is unknown (timeout, dropped connection, 5xx, malformed answer) is
// never resent blindly: the keys are listed, any key the lost create made (may_be_made_by) is
// revoked, and the create is tried once more. A secret that cannot be written anywhere is
// revoked rather than left orphaned.

#include "apply/executor_impl.hpp"
#include "provision/apply/journal.hpp"
#include "provision/apply/reconcile.hpp"
#include "provision/core/crash_point.hpp"
#include "provision/core/interrupt.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace provision::apply::detail {

using plan::Action;
using plan::ActionKind;

/// POSTs the create, at most twice: a second time only after an unknown outcome was settled
/// by revoking whatever the first attempt made.
void Executor::create_key(const Action& action) {
    for (int attempt = 1;; ++attempt) {
        Lock lock(m_mutex);
        if (m_stop) {
            return;
        }
        const core::Timestamp sent_at = m_options.clock();
        const auto seq = journal_intent(lock, action, sent_at);
        if (!seq) {
            return;
        }
        lock.unlock();
        core::crash_point("before_post");
        auto created = m_api.create(action.create);
        if (created.ok()) {
            core::crash_point("after_response");
            persist_created(action, std::move(created.value()), *seq);
            return;
        }
        if (!is_unknown_outcome(created.error())) {
            lock.lock();
            journal_resolved(lock, *seq);  // refused or never sent: nothing was made
            if (halted(lock, action, created.error())) {
                return;
            }
            fail(lock, "'" + action.entry + "': create failed: " + created.error().message);
            return;
        }
        spdlog::warn("the create of '{}' has an unknown outcome ({}); checking the portal",
                     action.entry, created.error().message);
        const core::Result<int> revoked = revoke_orphans(action.create, sent_at);
        lock.lock();
        if (!revoked) {
            fail(lock, "'" + action.entry + "': the create's outcome is unknown and the portal "
                       "could not be checked (" + revoked.error().message +
                       "); the next run reconciles it",
                 Outcome::unknown_outcome);
            m_stop = true;
            return;
        }
        if (*revoked > 0) {
            journal_resolved(lock, *seq);
        }
        // With nothing found, the intent stays pending: the portal may still commit the lost
        // create, and the next runs look for that late key (reconcile.hpp, k_settle_window).
        if (attempt == 2) {
            fail(lock, "'" + action.entry + "': create failed twice with an unknown outcome (" +
                           created.error().message + "); any key it made was revoked",
                 Outcome::partial_failure);
            return;
        }
        if (core::stop_requested()) {
            m_report.interrupted = true;
            m_report.messages.push_back("'" + action.entry +
                                        "': not created (interrupted); any key the lost "
                                        "attempt made was revoked");
            return;
        }
    }
}

/// Lists the keys and revokes those a lost create may have made; returns how many. An error when
/// the portal could not be asked, so the outcome stays unknown.
core::Result<int> Executor::revoke_orphans(const api::CreateRequest& request, core::Timestamp sent_at) {
    auto keys = m_api.list();
    if (!keys.ok()) {
        return keys.error();
    }
    std::vector<api::ApiKey> orphans;
    {
        const Lock lock(m_mutex);
        for (const auto& key : keys.value()) {
            if (may_be_made_by(key, request.name, m_world.user.id, sent_at, m_world.state)) {
                orphans.push_back(key);
            }
        }
    }
    for (const auto& key : orphans) {
        spdlog::warn("revoking key sk-***{} (id {}): a create whose answer was lost made it, "
                     "so its secret is unknown",
                     key.postfix, key.id);
        auto removed = m_api.remove(key.id);
        if (!removed.ok() && !is_unknown_id(removed.error())) {
            return removed.error();
        }
    }
    return static_cast<int>(orphans.size());
}

/// Appends a create intent to the journal before the POST (0 without a journal).
std::optional<std::uint64_t> Executor::journal_intent(const Lock& held, const Action& action,
                                                      core::Timestamp at) {
    if (m_options.journal == nullptr) {
        return std::uint64_t{0};
    }
    auto seq = m_options.journal->record_intent(action.entry, action.create.name, at);
    if (!seq.ok()) {
        fail(held, "'" + action.entry + "': cannot record the create in the journal, so it is "
                   "not sent: " + seq.error().message);
        m_stop = true;
        return std::nullopt;
    }
    return seq.value();
}

void Executor::journal_resolved(const Lock& /*held*/, std::uint64_t seq) {
    if (m_options.journal != nullptr && seq != 0) {
        [[maybe_unused]] auto marked = m_options.journal->record_resolved(seq);
    }
}

void Executor::journal_done(const Lock& /*held*/, std::uint64_t seq, const std::string& id) {
    if (m_options.journal != nullptr && seq != 0) {
        [[maybe_unused]] auto marked = m_options.journal->record_done(seq, id);
    }
}

void Executor::persist_created(const Action& action, api::CreatedKey created, std::uint64_t seq) {
    Lock lock(m_mutex);
    const manifest::KeySpec* spec = m_manifest.find_key(action.entry);
    const state::ManagedKey* current = m_world.state.find(action.entry);
    const std::optional<state::ManagedKey> previous =
        current != nullptr ? std::optional(*current) : std::nullopt;
    const auto known = m_world.secrets.find(action.entry);
    const std::optional<core::Secret> previous_secret =
        known != m_world.secrets.end() ? std::optional(known->second) : std::nullopt;
    state::ManagedKey record = plan::managed_record(action.entry, created.key);
    record.expires_in_days = action.create.expires_in_days;  // as requested, not as rounded
    record.fingerprint = created.secret.fingerprint();
    m_world.secrets[action.entry] = created.secret;
    m_world.state.upsert(record);
    if (m_world.state.owner_id.empty()) {
        m_world.state.owner_id = m_world.user.id;
    }
    m_world.state.portal_url = m_manifest.portal.url;

    auto written = write_all_outputs(m_manifest, m_world);
    if (!written.ok()) {
        revoke_unpersisted(lock, action, created.key, previous, previous_secret, written.error(),
                           seq);
        return;
    }
    core::crash_point("after_outputs");
    auto saved = state::save_state(m_manifest.state_path, m_world.state);
    if (!saved.ok()) {
        fail(lock, "'" + action.entry + "': the secret of key sk-***" + created.key.postfix +
                       " is in the outputs, but the state could not be saved: " +
                       saved.error().message,
             Outcome::partial_failure);
        m_stop = true;
        return;
    }
    core::crash_point("after_state");
    journal_done(lock, seq, created.key.id);
    spdlog::info("created '{}' (sk-***{}, id {})", action.entry, created.key.postfix,
                 created.key.id);
    m_report.outputs_written = true;
    if (action.kind != ActionKind::replace) {
        ++m_report.created;
        return;
    }
    ++m_report.replaced;
    lock.unlock();
    if (previous) {
        schedule_retirement(action, *previous, spec);
    }
}

/// The outputs could not hold the new secret: put the world back as it was, revoke the key so
/// that no unusable key lives on, and stop the run.
void Executor::revoke_unpersisted(Lock& held, const Action& action, const api::ApiKey& key,
                                  const std::optional<state::ManagedKey>& previous,
                                  const std::optional<core::Secret>& previous_secret,
                                  const core::Error& error, std::uint64_t seq) {
    if (previous) {
        m_world.state.upsert(*previous);
    } else {
        m_world.state.erase(action.entry);
    }
    if (previous_secret) {
        m_world.secrets[action.entry] = *previous_secret;
    } else {
        m_world.secrets.erase(action.entry);
    }
    m_stop = true;
    // Best effort: an output written before another one failed would hold the doomed secret.
    [[maybe_unused]] auto restored = write_all_outputs(m_manifest, m_world);
    held.unlock();
    auto removed = m_api.remove(key.id);
    const bool revoked = removed.ok() && removed.value();
    held.lock();
    if (revoked) {
        journal_resolved(held, seq);
    }
    fail(held, "'" + action.entry + "': could not write the new secret: " + error.message + "; " +
                   (revoked ? std::string("the key was revoked")
                            : "revoking the key failed too (id " + key.id + ")"),
         Outcome::not_persisted);
}

void Executor::schedule_retirement(const Action& action, const state::ManagedKey& old,
                                   const manifest::KeySpec* spec) {
    Lock lock(m_mutex);
    const auto& policy = spec != nullptr ? spec->rotation : m_manifest.default_rotation;
    const core::Timestamp now = m_options.clock();
    // The portal's expiry when the key was observed, else the one recorded at create.
    std::optional<core::Timestamp> expires_at = old.expires_at;
    const auto seen = std::find_if(m_world.observed.begin(), m_world.observed.end(),
                                   [&](const api::ApiKey& k) { return k.id == old.id; });
    if (seen != m_world.observed.end()) {
        expires_at = seen->expires_at;
    }
    const bool expired = expires_at && *expires_at <= now;
    state::RetiringKey retiring{action.entry, old.id, old.postfix, expires_at, now, ""};
    retiring.reason = plan::to_string(action.reasons.front());
    if (policy.retire == manifest::RetirePolicy::keep_until_expiry) {
        retiring.retire_after = expires_at.value_or(now + policy.grace_period);
    } else if (!expired && policy.grace_period.count() > 0) {
        retiring.retire_after = now + policy.grace_period;
    } else {
        Action retire;
        retire.entry = action.entry;
        retire.key_id = old.id;
        retire.postfix = old.postfix;
        retire.retire_policy = policy.retire;
        lock.unlock();
        retire_now(retire);
        lock.lock();
        save_state(lock);
        return;
    }
    m_world.state.retiring.push_back(retiring);
    save_state(lock);
    spdlog::info("old key sk-***{} of '{}' stays usable until {}", old.postfix, action.entry,
                 core::format_iso8601(retiring.retire_after));
}

}  // namespace provision::apply::detail
