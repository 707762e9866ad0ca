#pragma once
// The executor's class, shared by executor.cpp (scheduling, updates, deletes, bookkeeping) and
// executor_create.cpp (creates, persisting their secrets, retiring replaced keys).
//
// Concurrency: the plan's actions are split into lanes, one per entry, keeping their order;
// up to ApplyOptions::concurrency lanes run at once on worker threads. API calls run without
// the lock; everything that reads or changes the world, the report or the journal holds
// m_mutex. Functions taking a `const Lock&` expect it held by the caller.
//
// Group commit: a create whose answer arrived queues its secret (m_queue). A writer takes it:
// under the lock it moves the whole queue into the world and takes what every output and the
// state will hold, then writes them without the lock (m_writing), so creates that complete
// meanwhile queue for the next batch instead of waiting for the lock; the journal's done
// records of the batch follow in one append; the writer goes on with the next batch while any
// is queued. With several lanes the writer is a thread of its own (so all of them keep a request
// in flight: writing in a lane's thread took that lane out for most of a 1,000-key apply);
// otherwise, or when it is busy, a thread that waits for its secret writes. A create counts as
// done only once its batch is durable. Its thread waits for that when a later action of its lane
// depends on it (with --concurrency 1, every create but the last; a replacement, which retires
// its old key after); otherwise it moves on to the next entry and run() waits for the last batch
// (drain_batches). Every other write of the
// state or the outputs waits until no batch is being written (wait_for_files), so the files are
// only ever written by one thread at a time, in order.

#include "provision/apply/executor.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace provision::apply::detail {

using Lane = std::vector<const plan::Action*>;

/// A create that failed this way may have made a key (timeout, dropped connection, malformed
/// answer, 5xx): its outcome is unknown until the portal is listed.
inline bool is_unknown_outcome(const core::Error& e) {
    return e.code == core::Errc::timeout || e.code == core::Errc::connection_lost ||
           e.code == core::Errc::protocol ||
           (e.code == core::Errc::http_status && e.http_status >= 500);
}

using api::is_unknown_id;

/// Lanes for `plan`: with concurrency 1, one lane in the plan's exact order; otherwise one lane
/// per entry (in order of first appearance), each keeping its actions' relative order.
std::vector<Lane> make_lanes(const plan::Plan& plan, int concurrency);

class Executor {
public:
    Executor(const manifest::Manifest& manifest, World& world, api::KeysApi& api,
             ApplyOptions options);

    ApplyReport run(const plan::Plan& plan);

private:
    using Lock = std::unique_lock<std::mutex>;

    // Scheduling and bookkeeping (executor.cpp).
    void run_lane(const Lane& lane);
    bool may_start();
    /// `last`: no later action of the lane depends on this one (a create need not wait for its
    /// secret's write before the thread moves on).
    void run_action(const plan::Action& action, bool last);
    void fail(const Lock& held, const std::string& message,
              Outcome outcome = Outcome::partial_failure);
    /// For an error that ends the whole run (the deadline passed, or a stop came while the
    /// request waited to be sent): records it and stops new actions. False for other errors.
    bool halted(const Lock& held, const plan::Action& action, const core::Error& error);
    void escalate(const Lock& held, Outcome outcome);
    /// Waits (releasing the lock) until no batch of creates is being written.
    void wait_for_files(Lock& held);
    void save_state(Lock& held);
    void finish_writes();

    // Actions other than creates (executor.cpp).
    void update_key(const plan::Action& action);
    void remove_key(const plan::Action& action);
    void retire_key(const plan::Action& action);
    bool retire_now(const plan::Action& action);
    void erase_retiring(const Lock& held, const std::string& id);
    void forget(const plan::Action& action);
    void adopt_key(const plan::Action& action);
    void import_key(const plan::Action& action);
    /// Records action.key_id, as observed, as the state's key for action.entry; null (after
    /// failing the action) when the portal no longer lists it.
    const api::ApiKey* bind_key(const Lock& held, const plan::Action& action);

    // Creates (executor_create.cpp).
    void create_key(const plan::Action& action, bool last);
    core::Result<int> revoke_orphans(const api::CreateRequest& request, core::Timestamp sent_at);
    /// Journals the intent and waits (releasing the lock) until an fsync covers it; creates
    /// that journal meanwhile share the next fsync. nullopt (after failing) when it cannot be
    /// made durable, or the run stopped meanwhile: the create is then not sent.
    std::optional<std::uint64_t> journal_intent(Lock& held, const plan::Action& action,
                                                core::Timestamp at);
    void journal_resolved(const Lock& held, std::uint64_t seq) const;
    void journal_watch(const Lock& held, std::uint64_t seq) const;
    /// A create whose secret awaits its batch's write.
    struct PendingCreate {
        const plan::Action* action = nullptr;
        api::CreatedKey created;
        std::uint64_t seq = 0;
        bool finished = false;  ///< its batch was written (or failed and was handled)
        /// Set when the batch committed a replacement whose old key is due for retirement.
        std::optional<state::RetiringKey> retire;
    };
    /// Queues the secret for the next batch. Waits until it is durable unless `wait` is false
    /// (then a later batch writes it; drain_batches waits for that before the run ends).
    void persist_created(const plan::Action& action, api::CreatedKey created, std::uint64_t seq,
                         bool wait);
    void write_batch(Lock& lock);
    void write_one_batch(Lock& lock);
    /// Writes batches until none is queued or being written.
    void drain_batches(Lock& held);
    /// The writer thread of a run with several lanes: writes each batch as it is queued, until
    /// the lanes have ended.
    void write_batches_until_lanes_end();
    bool recover(Lock& held, const plan::Action& action, const api::CreatedKey& created,
                 const core::Error& error);
    void revoke_unpersisted(Lock& held, const plan::Action& action, const api::ApiKey& key,
                            const std::optional<state::ManagedKey>& previous,
                            const std::optional<core::Secret>& previous_secret,
                            const core::Error& error, std::uint64_t seq);
    void retire_replaced(const plan::Action& action, const state::RetiringKey& old);
    void settle_key(const plan::Action& action);

    const manifest::Manifest& m_manifest;
    World& m_world;
    api::KeysApi& m_api;
    ApplyOptions m_options;

    std::mutex m_mutex;  ///< guards everything below
    ApplyReport m_report;
    bool m_outputs_dirty = false;
    std::set<std::string> m_partial;  ///< outputs the plan found partial: never rewritten
    bool m_stop = false;              ///< no new action starts: a failure that must halt the run
    std::vector<std::shared_ptr<PendingCreate>> m_queue;  ///< secrets waiting for the next batch
    bool m_writing = false;                   ///< a batch is being written without the lock
    std::condition_variable m_batch_written;  ///< notified when a batch's write ends
    bool m_has_writer = false;                ///< a writer thread writes the queue (several lanes)
    bool m_lanes_ended = false;
    int m_lanes_waiting = 0;  ///< lanes waiting for their secret's batch to be durable
    std::condition_variable m_batch_queued;  ///< wakes the writer thread
    /// How long the writer thread lets answers gather before it writes a batch.
    static constexpr std::chrono::milliseconds k_batch_gather{3};
    /// No create starts while this many secrets wait for the writer: what a kill can leave
    /// undurable stays bounded, while a batch can still grow with the cost of writing one (each
    /// rewrites every output and the state: at 10,000 keys, a bound of 32 made 10 times more
    /// batches than it saved).
    static constexpr std::size_t k_max_queued = 256;
    // Intents share fsyncs: each staged intent gets a ticket; one thread at a time syncs.
    std::uint64_t m_intents_staged = 0;
    std::uint64_t m_intents_synced = 0;  ///< tickets up to this one are durable
    std::uint64_t m_intents_failed = 0;  ///< tickets up to this one failed to sync
    std::string m_intent_error;
    bool m_syncing_intents = false;
    std::condition_variable m_intents_changed;
};

}  // namespace provision::apply::detail
