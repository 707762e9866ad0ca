#pragma once
// The executor's class, shared by executor.cpp (scheduling, updates, deletes, bookkeeping) and
// executor_create.cpp (creates, persisting their secrets, retiring replaced keys).
//
// Concurrency: the plan's actions are split into lanes, one per entry, keeping their order;
// up to ApplyOptions::concurrency lanes run at once on worker threads. API calls run without
// the lock; everything that reads or changes the world, the report, the journal or the files
// holds m_mutex. Functions taking a `const Lock&` expect it held by the caller. Because a
// create's intent is journalled under the same lock as a secret's persistence, no create
// starts while a received secret is not yet durable in every output and the state.

#include "provision/apply/executor.hpp"

#include <cstdint>
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
             const ApplyOptions& options);

    ApplyReport run(const plan::Plan& plan);

private:
    using Lock = std::unique_lock<std::mutex>;

    // Scheduling and bookkeeping (executor.cpp).
    void run_lane(const Lane& lane);
    bool may_start();
    void run_action(const plan::Action& action);
    void fail(const Lock& held, const std::string& message,
              Outcome outcome = Outcome::partial_failure);
    /// For an error that ends the whole run (the deadline passed, or a stop came while the
    /// request waited to be sent): records it and stops new actions. False for other errors.
    bool halted(const Lock& held, const plan::Action& action, const core::Error& error);
    void escalate(const Lock& held, Outcome outcome);
    void save_state(const Lock& held);
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
    void create_key(const plan::Action& action);
    core::Result<int> revoke_orphans(const api::CreateRequest& request, core::Timestamp sent_at);
    std::optional<std::uint64_t> journal_intent(const Lock& held, const plan::Action& action,
                                                core::Timestamp at);
    void journal_resolved(const Lock& held, std::uint64_t seq);
    void journal_watch(const Lock& held, std::uint64_t seq);
    void journal_done(const Lock& held, std::uint64_t seq, const std::string& id);
    void persist_created(const plan::Action& action, api::CreatedKey created, std::uint64_t seq);
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
    bool m_stop = false;  ///< no new action starts: a failure that must halt the run
};

}  // namespace provision::apply::detail
