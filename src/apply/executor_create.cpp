// Creates: the one step whose result exists only once. Before the POST an intent is fsynced to
// the journal; after the response the secret goes to every output and the state, and the intent
// is marked done, before the create counts as done. Secrets that arrive while such a write runs
// are written together in the next one (group commit, executor_impl.hpp). Then, for a replace,
// the old key is retired now (expired, or no grace period) or recorded as retiring until its
// grace period ends.
//
// A create whose outcome is unknown (timeout, dropped connection, 5xx, malformed answer) is
// never resent blindly: the keys are listed, any key the lost create made (may_be_made_by) is
// revoked, and the create is tried once more. A secret that cannot be written anywhere is
// revoked rather than left orphaned.

#include "apply/executor_impl.hpp"
#include "provision/apply/journal.hpp"
#include "provision/apply/reconcile.hpp"
#include "provision/apply/recovery.hpp"
#include "provision/core/crash_point.hpp"
#include "provision/core/interrupt.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace provision::apply::detail {

using plan::Action;
using plan::ActionKind;

/// POSTs the create, at most twice: a second time only after an unknown outcome was settled
/// by revoking whatever the first attempt made.
void Executor::create_key(const Action& action, bool last) {
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
            // A replacement retires its old key after the write: its thread waits for it.
            persist_created(action, std::move(created.value()), *seq,
                            !last || action.kind == ActionKind::replace);
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
            fail(lock,
                 "'" + action.entry +
                     "': the create's outcome is unknown and the portal "
                     "could not be checked (" +
                     revoked.error().message + "); the next run reconciles it",
                 Outcome::unknown_outcome);
            m_stop = true;
            return;
        }
        if (*revoked > 0) {
            journal_resolved(lock, *seq);
        } else {
            // With nothing found, the intent stays pending, watched: the portal may still commit
            // the lost create, and the next runs look for that late key (reconcile.hpp,
            // k_settle_window). The portal was just checked, so plan shows nothing to settle.
            journal_watch(lock, *seq);
        }
        if (attempt == 2) {
            fail(lock,
                 "'" + action.entry + "': create failed twice with an unknown outcome (" +
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
core::Result<int> Executor::revoke_orphans(const api::CreateRequest& request,
                                           core::Timestamp sent_at) {
    auto keys = m_api.list_shared();
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
std::optional<std::uint64_t> Executor::journal_intent(Lock& held, const Action& action,
                                                      core::Timestamp at) {
    if (m_options.journal == nullptr) {
        return std::uint64_t{0};
    }
    // Secrets not yet durable are bounded: no create starts while k_max_queued of them wait for
    // the writer, so a kill loses at most those, the batch being written and the creates in
    // flight (all revoked by the next run: their intents are pending).
    m_batch_written.wait(held, [this] { return m_stop || m_queue.size() < k_max_queued; });
    const std::string refused =
        "'" + action.entry + "': cannot record the create in the journal, so it is not sent: ";
    auto seq = m_options.journal->stage_intent(action.entry, action.create.name, at);
    if (!seq.ok()) {
        fail(held, refused + seq.error().message);
        m_stop = true;
        return std::nullopt;
    }
    const std::uint64_t ticket = ++m_intents_staged;
    while (m_intents_synced < ticket && m_intents_failed < ticket) {
        if (m_syncing_intents) {
            m_intents_changed.wait(held);
            continue;
        }
        m_syncing_intents = true;
        const std::uint64_t target = m_intents_staged;
        held.unlock();
        const core::Status synced = m_options.journal->sync();
        held.lock();
        m_syncing_intents = false;
        if (synced.ok()) {
            m_intents_synced = std::max(m_intents_synced, target);
        } else {
            m_intents_failed = std::max(m_intents_failed, target);
            m_intent_error = synced.error().message;
        }
        m_intents_changed.notify_all();
    }
    if (m_intents_synced < ticket) {
        journal_resolved(held, seq.value());
        fail(held, refused + m_intent_error);
        m_stop = true;
        return std::nullopt;
    }
    if (m_stop) {  // another action halted the run while this intent waited for its fsync
        journal_resolved(held, seq.value());
        return std::nullopt;
    }
    return seq.value();
}

void Executor::journal_resolved(const Lock& /*held*/, std::uint64_t seq) const {
    if (m_options.journal != nullptr && seq != 0) {
        [[maybe_unused]] auto marked = m_options.journal->record_resolved(seq);
    }
}

void Executor::journal_watch(const Lock& /*held*/, std::uint64_t seq) const {
    if (m_options.journal != nullptr && seq != 0) {
        [[maybe_unused]] auto marked = m_options.journal->record_watch(seq, m_options.clock());
    }
}

void Executor::persist_created(const Action& action, api::CreatedKey created, std::uint64_t seq,
                               bool wait) {
    auto pending = std::make_shared<PendingCreate>();
    pending->action = &action;
    pending->created = std::move(created);
    pending->seq = seq;
    Lock lock(m_mutex);
    m_queue.push_back(pending);
    if (!wait) {
        if (m_has_writer) {
            m_batch_queued.notify_one();
            return;
        }
        // Some thread must write it: this one, unless a batch is being written, whose writer
        // writes the next batch too (write_batch).
        if (!m_writing) {
            write_batch(lock);
        }
        return;
    }
    ++m_lanes_waiting;
    m_batch_queued.notify_one();
    while (!pending->finished) {
        if (m_writing) {
            m_batch_written.wait(lock);
        } else {
            write_batch(lock);
        }
    }
    --m_lanes_waiting;
    if (pending->retire) {
        lock.unlock();
        retire_replaced(action, *pending->retire);
    }
}

void Executor::write_batches_until_lanes_end() {
    Lock lock(m_mutex);
    for (;;) {
        m_batch_queued.wait(lock, [this] { return !m_queue.empty() || m_lanes_ended; });
        if (m_queue.empty()) {
            return;  // the lanes ended: run() writes whatever a lane queued after this
        }
        // Creates sent together answer together: a moment's wait lets the rest of them join
        // this batch, instead of each costing a rewrite of every output and the state (a
        // 1,000-key apply at --concurrency 16 wrote about 200 batches of 5 without it). Not when
        // a lane waits for its secret, or the lanes have ended.
        m_batch_queued.wait_for(lock, k_batch_gather, [this] {
            return m_lanes_ended || m_lanes_waiting > 0 ||
                   m_queue.size() >= static_cast<std::size_t>(m_options.concurrency);
        });
        if (m_writing) {  // a lane waiting for its own secret writes this batch
            m_batch_written.wait(lock);
            continue;
        }
        write_batch(lock);
    }
}

void Executor::drain_batches(Lock& held) {
    while (m_writing || !m_queue.empty()) {
        if (m_writing) {
            m_batch_written.wait(held);
        } else {
            write_batch(held);
        }
    }
}

/// Writes batches while secrets are queued: those queued during a write are written next, by
/// the same thread, since the threads that queued them may have moved on.
void Executor::write_batch(Lock& lock) {
    do {
        write_one_batch(lock);
    } while (!m_queue.empty());
}

/// Writes every queued secret to every output and the state in one go, without the lock for the
/// file writes, then marks the intents done in one journal append (executor_impl.hpp).
void Executor::write_one_batch(Lock& lock) {
    std::vector<std::shared_ptr<PendingCreate>> batch;
    batch.swap(m_queue);
    m_batch_written.notify_all();  // the queue has room again (journal_intent)
    m_writing = true;
    ++m_report.secret_writes;
    spdlog::debug("writing {} new secret(s) to the outputs and the state", batch.size());
    struct Undo {
        std::optional<state::ManagedKey> previous;
        std::optional<core::Secret> previous_secret;
        std::optional<state::RetiringKey> retiring;
    };
    std::vector<Undo> undo(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const Action& action = *batch[i]->action;
        const api::CreatedKey& created = batch[i]->created;
        const state::ManagedKey* current = m_world.state.find(action.entry);
        undo[i].previous = current != nullptr ? std::optional(*current) : std::nullopt;
        const auto known = m_world.secrets.find(action.entry);
        undo[i].previous_secret =
            known != m_world.secrets.end() ? std::optional(known->second) : std::nullopt;
        state::ManagedKey record = plan::managed_record(action.entry, created.key);
        record.expires_in_days = action.create.expires_in_days;  // as requested, not as rounded
        record.fingerprint = created.secret.fingerprint();
        m_world.secrets[action.entry] = created.secret;
        m_world.state.upsert(std::move(record));
        if (m_world.state.owner_id.empty()) {
            m_world.state.owner_id = m_world.user.id;
        }
        m_world.state.portal_url = m_manifest.portal.url;
        // The replaced key is recorded as retiring in the same state write as its successor, so
        // a run killed before retiring it still knows it: no key is ever left untracked.
        const auto& previous = undo[i].previous;
        if (action.kind == ActionKind::replace && previous && previous->id != created.key.id) {
            const manifest::RotationPolicy policy{std::nullopt, action.retire_policy,
                                                  action.grace_period};
            undo[i].retiring =
                retirement_for(policy, action.entry, *previous, m_world.observed,
                               plan::to_string(action.reasons.front()), m_options.clock());
            m_world.state.retiring.push_back(*undo[i].retiring);
        }
    }
    // What the files will hold is taken now; they are written without the lock.
    auto writes = outputs_to_write(m_manifest, m_world, m_partial);
    std::optional<state::State> state_copy;
    if (writes.ok()) {
        state_copy = m_world.state;
    }
    lock.unlock();
    std::size_t written = 0;
    core::Status outputs = writes.ok() ? write_prepared_outputs(writes.value(), written)
                                       : core::Status(writes.error());
    core::Status saved = core::ok_status();
    if (outputs.ok()) {
        core::crash_point("after_outputs");
        saved = save_world_state(m_manifest, m_world, *state_copy);
        if (saved.ok()) {
            core::crash_point("after_state");
        }
    }
    lock.lock();
    if (writes.ok()) {
        if (auto recorded = record_written_outputs(m_world, writes.value(), written, m_partial);
            outputs.ok() && saved.ok() && !recorded.ok()) {
            fail(lock, recorded.error().message);
        }
    }

    // The members whose secret is stored: in the outputs, or else in the recovery file.
    std::vector<std::size_t> stored;
    if (outputs.ok()) {
        for (std::size_t i = 0; i < batch.size(); ++i) {
            stored.push_back(i);
        }
    } else {
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const Action& action = *batch[i]->action;
            const api::CreatedKey& created = batch[i]->created;
            if (recover(lock, action, created, outputs.error())) {
                stored.push_back(i);  // the old key, if any, stays until its secret has left
                continue;             // the outputs
            }
            if (undo[i].retiring) {
                erase_retiring(lock, undo[i].retiring->id);
            }
            revoke_unpersisted(lock, action, created.key, undo[i].previous, undo[i].previous_secret,
                               outputs.error(), batch[i]->seq);
        }
        if (!stored.empty()) {
            saved = save_world_state(m_manifest, m_world);
        }
    }
    if (!saved.ok()) {
        for (const std::size_t i : stored) {
            fail(lock,
                 "'" + batch[i]->action->entry + "': the secret of key sk-***" +
                     batch[i]->created.key.postfix +
                     " is in the outputs, but the state could not be saved: " +
                     saved.error().message,
                 Outcome::partial_failure);
        }
        m_stop = true;
        stored.clear();
    }
    std::vector<std::pair<std::uint64_t, std::string>> done;
    for (const std::size_t i : stored) {
        PendingCreate& pending = *batch[i];
        if (pending.seq != 0) {
            done.emplace_back(pending.seq, pending.created.key.id);
        }
        spdlog::info("created '{}' (sk-***{}, id {})", pending.action->entry,
                     pending.created.key.postfix, pending.created.key.id);
        if (!outputs.ok()) {
            continue;  // kept by the recovery file: the run stops (recover)
        }
        m_report.outputs_written = true;
        if (pending.action->kind != ActionKind::replace) {
            ++m_report.created;
        } else {
            ++m_report.replaced;
            pending.retire = undo[i].retiring;
        }
    }
    if (m_options.journal != nullptr && !done.empty()) {
        [[maybe_unused]] auto marked = m_options.journal->record_done(done);
    }
    for (const auto& pending : batch) {
        pending->finished = true;
    }
    m_writing = false;
    m_batch_written.notify_all();
}

/// The outputs could not hold the new secret: save it to the recovery file beside the state
/// instead (reliability C.10), keep the key and stop the run loudly. False when even that
/// failed; the caller then revokes the key.
bool Executor::recover(Lock& held, const Action& action, const api::CreatedKey& created,
                       const core::Error& error) {
    const auto path = recovery_path_for(m_manifest.state_path);
    auto saved =
        save_recovered(path, action.entry, created.key.id, created.key.postfix, created.secret);
    if (!saved.ok()) {
        spdlog::error("'{}': could not write the recovery file either: {}", action.entry,
                      saved.error().message);
        return false;
    }
    m_world.recovery = path;
    m_stop = true;
    fail(held,
         "'" + action.entry + "': could not write the new secret to the outputs (" + error.message +
             "); key sk-***" + created.key.postfix +
             " is kept and its secret was saved to the recovery file " + path.string() +
             " (mode 0600; never commit it). Fix the output and run apply again: it "
             "writes the secret to every output and deletes the recovery file",
         Outcome::partial_failure);
    return true;
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
    [[maybe_unused]] auto restored = write_all_outputs(m_manifest, m_world, m_partial);
    held.unlock();
    auto removed = m_api.remove(key.id);
    const bool revoked = removed.ok() && removed.value();
    held.lock();
    if (revoked) {
        journal_resolved(held, seq);
    }
    fail(held,
         "'" + action.entry + "': could not write the new secret: " + error.message + "; " +
             (revoked ? std::string("the key was revoked")
                      : "revoking the key failed too (id " + key.id + ")"),
         Outcome::not_persisted);
}

/// Retires the key a replacement superseded now when it is due (expired, or no grace period),
/// as the replace action says (its retire policy); otherwise it stays in the state's retiring
/// list until a later run.
void Executor::retire_replaced(const Action& action, const state::RetiringKey& old) {
    if (old.retire_after > m_options.clock()) {
        spdlog::info("old key sk-***{} of '{}' stays usable until {}", old.postfix, action.entry,
                     core::format_iso8601(old.retire_after));
        return;
    }
    Action retire;
    retire.entry = action.entry;
    retire.key_id = old.id;
    retire.postfix = old.postfix;
    retire.retire_policy = action.retire_policy;  // the plan's word on how the old key goes
    retire_key(retire);
}

/// A settle action in apply's own plan: a late key appeared between settling the journal and
/// planning. Revoke it; the intent stays watched until its window ends.
void Executor::settle_key(const Action& action) {
    if (!action.key_id || action.reasons.front() != plan::Reason::late_commit) {
        const Lock lock(m_mutex);
        m_report.messages.push_back("'" + action.entry + "': " + action.detail +
                                    " (left to the next run)");
        return;
    }
    spdlog::warn("revoking key sk-***{} (id {}): a create committed after it was given up made "
                 "it, so its secret is unknown",
                 action.postfix, *action.key_id);
    auto removed = m_api.remove(*action.key_id);
    const Lock lock(m_mutex);
    if (!removed.ok() && !is_unknown_id(removed.error())) {
        fail(lock, "'" + action.entry + "': could not revoke late key sk-***" + action.postfix +
                       ": " + removed.error().message + "; the next run tries again");
        return;
    }
    if (removed.ok() && !removed.value()) {
        fail(lock, "'" + action.entry + "': the portal refused to delete late key sk-***" +
                       action.postfix + ": " + api::k_not_yours);
        return;
    }
    ++m_report.deleted;
}

}  // namespace provision::apply::detail
