// Carrying out a plan. Each action is one or two API calls followed by the writes that make
// its effect durable:
//   create/replace: POST, then every output and the state are written (executor_create.cpp);
//   update/reactivate: PUT, then the state;
//   retire/remove: DELETE (or PUT isActive=false), then the state and outputs;
//   adopt/import: the state records the named key (import: with its fingerprint when the run
//   holds its proven secret, then the outputs).
// This file schedules the actions (lanes on worker threads, see executor_impl.hpp), keeps the
// report and carries out everything but creates.

#include "provision/apply/executor.hpp"

#include "apply/executor_impl.hpp"
#include "provision/core/interrupt.hpp"
#include "provision/core/parallel.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <thread>
#include <utility>

namespace provision::apply {

namespace detail {

using plan::Action;
using plan::ActionKind;

std::vector<Lane> make_lanes(const plan::Plan& plan, int concurrency) {
    std::vector<Lane> lanes;
    if (concurrency <= 1) {
        Lane lane;
        for (const auto& action : plan.actions) {
            lane.push_back(&action);
        }
        lanes.push_back(std::move(lane));
        return lanes;
    }
    std::map<std::string, std::size_t> lane_of_entry;
    for (const auto& action : plan.actions) {
        const auto [it, inserted] = lane_of_entry.emplace(action.entry, lanes.size());
        if (inserted) {
            lanes.emplace_back();
        }
        lanes[it->second].push_back(&action);
    }
    return lanes;
}

Executor::Executor(const manifest::Manifest& manifest, World& world, api::KeysApi& api,
                   ApplyOptions options)
    : m_manifest(manifest), m_world(world), m_api(api), m_options(std::move(options)) {
    if (!m_options.clock) {
        m_options.clock = core::now_utc;
    }
}

ApplyReport Executor::run(const plan::Plan& plan) {
    for (const auto& partial : plan.partial_outputs) {
        m_partial.insert(partial.output);
    }
    const std::vector<Lane> lanes = make_lanes(plan, m_options.concurrency);
    // With several lanes, a thread of its own writes the batches, so that every lane keeps a
    // request in flight while secrets are written (executor_impl.hpp).
    std::thread writer;
    if (m_options.concurrency > 1 && lanes.size() > 1) {
        m_has_writer = true;
        writer = std::thread([this] { write_batches_until_lanes_end(); });
    }
    core::for_each_index(lanes.size(), m_options.concurrency,
                         [&](std::size_t lane) { run_lane(lanes[lane]); });
    {
        Lock lock(m_mutex);
        m_lanes_ended = true;
        m_batch_queued.notify_all();
    }
    if (writer.joinable()) {
        writer.join();
    }
    {
        Lock lock(m_mutex);
        m_has_writer = false;
        drain_batches(lock);
    }
    if (!m_stop) {
        finish_writes();
    }
    // A run that was asked to stop says so, even when nothing was left to do by then.
    m_report.interrupted = m_report.interrupted || core::stop_requested();
    return m_report;
}

void Executor::run_lane(const Lane& lane) {
    for (const Action* action : lane) {
        if (!may_start()) {
            return;
        }
        if (m_options.progress) {
            m_options.progress(*action, false);
        }
        run_action(*action, action == lane.back());
        if (m_options.progress) {
            m_options.progress(*action, true);
        }
    }
}

bool Executor::may_start() {
    const Lock lock(m_mutex);
    if (m_stop) {
        return false;
    }
    if (core::stop_requested()) {
        // Graceful stop: no new work; what is done is already durable.
        if (!m_report.interrupted) {
            m_report.interrupted = true;
            m_report.messages.emplace_back("interrupted: the remaining actions did not run");
        }
        return false;
    }
    return true;
}

void Executor::run_action(const Action& action, bool last) {
    switch (action.kind) {
    case ActionKind::noop: {
        const Lock lock(m_mutex);
        ++m_report.unchanged;
        return;
    }
    case ActionKind::blocked: {
        const Lock lock(m_mutex);
        ++m_report.blocked;
        m_report.messages.push_back(action.entry + ": " + action.detail);
        spdlog::warn("skipped '{}': {}", action.entry, action.detail);
        escalate(lock, Outcome::blocked);
        return;
    }
    case ActionKind::create:
    case ActionKind::replace:
        create_key(action, last);
        return;
    case ActionKind::update:
    case ActionKind::reactivate:
        update_key(action);
        return;
    case ActionKind::retire:
        retire_key(action);
        return;
    case ActionKind::remove:
        remove_key(action);
        return;
    case ActionKind::forget:
        forget(action);
        return;
    case ActionKind::write_outputs: {
        const Lock lock(m_mutex);
        m_outputs_dirty = true;
        return;
    }
    case ActionKind::adopt:
        adopt_key(action);
        return;
    case ActionKind::settle:
        settle_key(action);
        return;
    case ActionKind::import_key:
        import_key(action);
        return;
    }
}

void Executor::fail(const Lock& held, const std::string& message, Outcome outcome) {
    spdlog::error("{}", message);
    m_report.messages.push_back(message);
    ++m_report.failed;
    escalate(held, outcome);
}

bool Executor::halted(const Lock& held, const Action& action, const core::Error& error) {
    if (error.code == core::Errc::cancelled) {
        m_report.interrupted = true;
        m_report.messages.push_back("'" + action.entry + "': not done (interrupted)");
    } else if (error.code == core::Errc::deadline) {
        fail(held,
             "'" + action.entry + "': " + error.message + "; actions not yet started do not run");
    } else {
        return false;
    }
    m_stop = true;
    return true;
}

void Executor::escalate(const Lock& /*held*/, Outcome outcome) {
    // The most serious outcome wins.
    if (static_cast<int>(outcome) > static_cast<int>(m_report.outcome)) {
        m_report.outcome = outcome;
    }
}

void Executor::wait_for_files(Lock& held) {
    m_batch_written.wait(held, [this] { return !m_writing; });
}

void Executor::save_state(Lock& held) {
    wait_for_files(held);
    auto saved = save_world_state(m_manifest, m_world);
    if (!saved.ok()) {
        fail(held, "could not save the state: " + saved.error().message);
        m_stop = true;
    }
}

void Executor::finish_writes() {
    Lock lock(m_mutex);
    wait_for_files(lock);
    m_report.outputs_dirty = m_outputs_dirty;
    if (!m_outputs_dirty || m_options.leave_outputs) {
        return;
    }
    auto written = write_all_outputs(m_manifest, m_world, m_partial);
    if (!written.ok()) {
        fail(lock, "could not write the outputs: " + written.error().message);
        return;
    }
    m_report.outputs_written = true;
}

bool Executor::retire_now(const Action& action) {
    const std::string& id = *action.key_id;
    const core::Result<bool> result =
        action.retire_policy == manifest::RetirePolicy::deactivate
            ? m_api.update(id, api::UpdateRequest{std::nullopt, std::nullopt, false})
            : m_api.remove(id);
    const Lock lock(m_mutex);
    if (!result.ok() && halted(lock, action, result.error())) {
        return false;
    }
    if (!result.ok() && !is_unknown_id(result.error())) {
        fail(lock, "'" + action.entry + "': could not retire old key sk-***" + action.postfix +
                       ": " + result.error().message + "; the next run tries again");
        return false;
    }
    if (result.ok() && !result.value() &&
        action.retire_policy != manifest::RetirePolicy::deactivate) {
        fail(lock, "'" + action.entry + "': the portal refused to delete old key sk-***" +
                       action.postfix + ": " + api::k_not_yours);
        return false;
    }
    ++m_report.deleted;
    spdlog::info("retired old key sk-***{} of '{}'", action.postfix, action.entry);
    return true;
}

void Executor::retire_key(const Action& action) {
    if (retire_now(action)) {
        Lock lock(m_mutex);
        erase_retiring(lock, *action.key_id);
        save_state(lock);
    }
}

void Executor::erase_retiring(const Lock& /*held*/, const std::string& id) {
    auto& retiring = m_world.state.retiring;
    retiring.erase(
        std::remove_if(retiring.begin(), retiring.end(), [&](const auto& r) { return r.id == id; }),
        retiring.end());
}

void Executor::update_key(const Action& action) {
    const auto result = m_api.update(*action.key_id, action.update);
    Lock lock(m_mutex);
    if (!result.ok() && halted(lock, action, result.error())) {
        return;
    }
    if (!result.ok()) {
        fail(lock, "'" + action.entry + "': update failed: " + result.error().message);
        return;
    }
    if (!result.value()) {
        fail(lock, "'" + action.entry + "': the portal refused to update key sk-***" +
                       action.postfix + ": it has expired, or " + api::k_not_yours);
        return;
    }
    if (auto* record = m_world.state.find(action.entry)) {
        if (action.update.name) {
            record->name = *action.update.name;
        }
        if (action.update.permissions) {
            record->permissions = *action.update.permissions;
        }
    }
    save_state(lock);
    ++m_report.updated;
    spdlog::info("updated '{}' (sk-***{})", action.entry, action.postfix);
}

void Executor::remove_key(const Action& action) {
    const auto result = m_api.remove(*action.key_id);
    Lock lock(m_mutex);
    if (!result.ok() && halted(lock, action, result.error())) {
        return;
    }
    if (!result.ok() && !is_unknown_id(result.error())) {
        fail(lock, "'" + action.entry + "': delete failed: " + result.error().message);
        return;
    }
    if (result.ok() && !result.value()) {
        fail(lock, "'" + action.entry + "': the portal refused to delete key sk-***" +
                       action.postfix + ": " + api::k_not_yours);
        return;
    }
    m_world.state.erase(action.entry);
    m_world.secrets.erase(action.entry);
    m_outputs_dirty = true;
    save_state(lock);
    ++m_report.deleted;
    spdlog::info("deleted '{}' (sk-***{})", action.entry, action.postfix);
}

void Executor::forget(const Action& action) {
    Lock lock(m_mutex);
    if (action.reasons.front() == plan::Reason::grace_over) {
        erase_retiring(lock, *action.key_id);
    } else {
        m_world.state.erase(action.entry);
        m_world.secrets.erase(action.entry);
        m_outputs_dirty = true;
    }
    save_state(lock);
    ++m_report.forgotten;
}

/// Records an untracked portal key as the entry's key. Its secret is unknown, so the
/// fingerprint stays empty; the plan's next action for the entry applies the policy.
void Executor::adopt_key(const Action& action) {
    Lock lock(m_mutex);
    if (const api::ApiKey* key = bind_key(lock, action)) {
        m_world.secrets.erase(action.entry);
        save_state(lock);
        ++m_report.adopted;
        spdlog::info("adopted key sk-***{} (id {}) as '{}'", key->postfix, key->id, action.entry);
    }
}

/// `provision import`: binds the named key to the entry. When the run was handed the key's
/// secret (apply::prepare proved it with keys/@self and put it in World::secrets), the record
/// gets its fingerprint and the outputs are written; otherwise the secret stays unknown and the
/// entry's onSecretUnknown policy decides what the next apply does.
void Executor::import_key(const Action& action) {
    Lock lock(m_mutex);
    const api::ApiKey* key = bind_key(lock, action);
    if (key == nullptr) {
        return;
    }
    if (const auto secret = m_world.secrets.find(action.entry); secret != m_world.secrets.end()) {
        m_world.state.find(action.entry)->fingerprint = secret->second.fingerprint();
        m_outputs_dirty = true;
    }
    save_state(lock);
    ++m_report.imported;
    spdlog::info("imported key sk-***{} (id {}) as '{}'", key->postfix, key->id, action.entry);
}

const api::ApiKey* Executor::bind_key(const Lock& held, const Action& action) {
    const auto found = std::find_if(m_world.observed.begin(), m_world.observed.end(),
                                    [&](const api::ApiKey& k) { return k.id == *action.key_id; });
    if (found == m_world.observed.end()) {
        fail(held, "'" + action.entry + "': key " + *action.key_id + " is not on the portal");
        return nullptr;
    }
    m_world.state.upsert(plan::managed_record(action.entry, *found));
    if (m_world.state.owner_id.empty()) {
        m_world.state.owner_id = m_world.user.id;
    }
    m_world.state.portal_url = m_manifest.portal.url;
    return &*found;
}

}  // namespace detail

ApplyReport apply_plan(const manifest::Manifest& manifest, const plan::Plan& plan, World& world,
                       api::KeysApi& api, const ApplyOptions& options) {
    return detail::Executor(manifest, world, api, options).run(plan);
}

}  // namespace provision::apply
