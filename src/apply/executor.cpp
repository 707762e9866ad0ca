// Carrying out a plan. Each action is one or two API calls followed by the writes that make
// its effect durable:
//   create/replace: POST, then every output and the state are written before the next action
//     (a received secret is never only in memory); then, for a replace, the old key is retired
//     now (expired, or no grace period) or recorded as retiring until its grace period ends.
//   update/reactivate: PUT, then the state.
//   retire/remove: DELETE (or PUT isActive=false), then the state and outputs.
// A create whose outcome is unknown (timeout, dropped connection, 5xx, malformed answer) is
// never resent blindly: the keys are listed, any key the lost create made (same name, same
// creator, not tracked, created after the request) is revoked, and the create is tried once
// more. A secret that cannot be written anywhere is revoked rather than left orphaned.

#include "provision/apply/executor.hpp"

#include "provision/apply/journal.hpp"
#include "provision/core/crash_point.hpp"
#include "provision/core/interrupt.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace provision::apply {

namespace {

using core::Errc;
using plan::Action;
using plan::ActionKind;

bool is_unknown_outcome(const core::Error& e) {
    return e.code == Errc::timeout || e.code == Errc::connection_lost || e.code == Errc::protocol ||
           (e.code == Errc::http_status && e.http_status >= 500);
}

bool is_unknown_id(const core::Error& e) {
    return e.code == Errc::http_status && e.http_status == 500;
}

class Executor {
public:
    Executor(const manifest::Manifest& manifest, World& world, api::KeysApi& api,
             const ApplyOptions& options)
        : m_manifest(manifest), m_world(world), m_api(api), m_options(options) {
        if (!m_options.clock) {
            m_options.clock = core::now_utc;
        }
    }

    ApplyReport run(const plan::Plan& plan) {
        for (const auto& action : plan.actions) {
            if (m_stop) {
                break;
            }
            if (core::stop_requested()) {
                // Graceful stop: no new work; what is done is already durable.
                m_report.interrupted = true;
                m_report.messages.push_back("interrupted: the remaining actions did not run");
                break;
            }
            run_action(action);
        }
        if (!m_stop) {
            finish_writes();
        }
        return m_report;
    }

private:
    void fail(const std::string& message, Outcome outcome = Outcome::partial_failure) {
        spdlog::error("{}", message);
        m_report.messages.push_back(message);
        ++m_report.failed;
        escalate(outcome);
    }

    void escalate(Outcome outcome) {
        // The most serious outcome wins.
        if (static_cast<int>(outcome) > static_cast<int>(m_report.outcome)) {
            m_report.outcome = outcome;
        }
    }

    void run_action(const Action& action) {
        switch (action.kind) {
        case ActionKind::noop:
            ++m_report.unchanged;
            return;
        case ActionKind::blocked:
            ++m_report.blocked;
            m_report.messages.push_back(action.entry + ": " + action.detail);
            spdlog::warn("skipped '{}': {}", action.entry, action.detail);
            escalate(Outcome::blocked);
            return;
        case ActionKind::create:
        case ActionKind::replace:
            create_key(action);
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
        case ActionKind::write_outputs:
            m_outputs_dirty = true;
            return;
        case ActionKind::adopt:
            adopt_key(action);
            return;
        }
    }

    /// Lists the keys and revokes those a lost create may have made. Returns false when the
    /// portal could not be asked, so the outcome stays unknown.
    bool revoke_orphans(const api::CreateRequest& request, core::Timestamp sent_at) {
        auto keys = m_api.list();
        if (!keys.ok()) {
            return false;
        }
        const auto skew = std::chrono::seconds{5};
        for (const auto& key : keys.value()) {
            if (m_world.state.tracks(key.id) || key.name != request.name || key.created_by_id != m_world.user.id ||
                key.create_on + skew < sent_at) {
                continue;
            }
            spdlog::warn("revoking key sk-***{} (id {}): a create whose answer was lost made it, "
                         "so its secret is unknown",
                         key.postfix, key.id);
            auto removed = m_api.remove(key.id);
            if (!removed.ok() && !is_unknown_id(removed.error())) {
                return false;
            }
        }
        return true;
    }

    /// Appends a create intent to the journal before the POST (0 without a journal).
    std::optional<std::uint64_t> journal_intent(const Action& action, core::Timestamp at) {
        if (m_options.journal == nullptr) {
            return std::uint64_t{0};
        }
        auto seq = m_options.journal->record_intent(action.entry, action.create.name, at);
        if (!seq.ok()) {
            fail("'" + action.entry + "': cannot record the create in the journal, so it is not "
                 "sent: " + seq.error().message);
            m_stop = true;
            return std::nullopt;
        }
        return seq.value();
    }

    void journal_resolved(std::uint64_t seq) {
        if (m_options.journal != nullptr && seq != 0) {
            [[maybe_unused]] auto marked = m_options.journal->record_resolved(seq);
        }
    }

    void journal_done(std::uint64_t seq, const std::string& id) {
        if (m_options.journal != nullptr && seq != 0) {
            [[maybe_unused]] auto marked = m_options.journal->record_done(seq, id);
        }
    }

    /// POSTs the create, at most twice: a second time only after an unknown outcome was
    /// settled by revoking whatever the first attempt made.
    void create_key(const Action& action) {
        for (int attempt = 1;; ++attempt) {
            const core::Timestamp sent_at = m_options.clock();
            const auto seq = journal_intent(action, sent_at);
            if (!seq) {
                return;
            }
            core::crash_point("before_post");
            auto created = m_api.create(action.create);
            if (created.ok()) {
                core::crash_point("after_response");
                persist_created(action, std::move(created.value()), *seq);
                return;
            }
            if (!is_unknown_outcome(created.error())) {
                journal_resolved(*seq);  // refused or never sent: nothing was made
                fail("'" + action.entry + "': create failed: " + created.error().message);
                return;
            }
            spdlog::warn("the create of '{}' has an unknown outcome ({}); checking the portal",
                         action.entry, created.error().message);
            if (!revoke_orphans(action.create, sent_at)) {
                fail("'" + action.entry + "': the create's outcome is unknown and the portal "
                     "could not be checked; the next run reconciles it",
                     Outcome::unknown_outcome);
                m_stop = true;
                return;
            }
            journal_resolved(*seq);
            if (attempt == 2) {
                fail("'" + action.entry + "': create failed twice with an unknown outcome (" +
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

    void persist_created(const Action& action, api::CreatedKey created, std::uint64_t seq) {
        const manifest::KeySpec* spec = m_manifest.find_key(action.entry);
        const std::optional<state::ManagedKey> previous =
            m_world.state.find(action.entry) ? std::optional(*m_world.state.find(action.entry))
                                             : std::nullopt;
        const std::optional<core::Secret> previous_secret =
            m_world.secrets.count(action.entry) ? std::optional(m_world.secrets.at(action.entry))
                                                : std::nullopt;
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
            if (revoke_unpersisted(action, created.key, previous, previous_secret, written.error())) {
                journal_resolved(seq);
            }
            return;
        }
        core::crash_point("after_outputs");
        auto saved = state::save_state(m_manifest.state_path, m_world.state);
        if (!saved.ok()) {
            fail("'" + action.entry + "': the secret of key sk-***" + created.key.postfix +
                     " is in the outputs, but the state could not be saved: " +
                     saved.error().message,
                 Outcome::partial_failure);
            m_stop = true;
            return;
        }
        core::crash_point("after_state");
        journal_done(seq, created.key.id);
        spdlog::info("created '{}' (sk-***{}, id {})", action.entry, created.key.postfix,
                     created.key.id);
        if (action.kind == ActionKind::replace) {
            ++m_report.replaced;
            if (previous) {
                schedule_retirement(action, *previous, spec);
            }
        } else {
            ++m_report.created;
        }
        m_report.outputs_written = true;
    }

    /// The outputs could not hold the new secret: revoke the key so that no unusable key lives
    /// on, put the world back as it was, and stop.
    bool revoke_unpersisted(const Action& action, const api::ApiKey& key,
                            const std::optional<state::ManagedKey>& previous,
                            const std::optional<core::Secret>& previous_secret,
                            const core::Error& error) {
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
        auto removed = m_api.remove(key.id);
        const bool revoked = removed.ok() && removed.value();
        fail("'" + action.entry + "': could not write the new secret: " + error.message + "; " +
                 (revoked ? std::string("the key was revoked")
                          : "revoking the key failed too (id " + key.id + ")"),
             Outcome::not_persisted);
        m_stop = true;
        return revoked;
    }

    void schedule_retirement(const Action& action, const state::ManagedKey& old,
                             const manifest::KeySpec* spec) {
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
            retire_now(retire);
            save_state();
            return;
        }
        m_world.state.retiring.push_back(retiring);
        save_state();
        spdlog::info("old key sk-***{} of '{}' stays usable until {}", old.postfix, action.entry,
                     core::format_iso8601(retiring.retire_after));
    }

    /// Deletes or deactivates a replaced key. True when it is gone or unusable.
    bool retire_now(const Action& action) {
        const std::string& id = *action.key_id;
        core::Result<bool> result =
            action.retire_policy == manifest::RetirePolicy::deactivate
                ? m_api.update(id, api::UpdateRequest{std::nullopt, std::nullopt, false})
                : m_api.remove(id);
        if (!result.ok() && !is_unknown_id(result.error())) {
            fail("'" + action.entry + "': could not retire old key sk-***" + action.postfix +
                 ": " + result.error().message + "; the next run tries again");
            return false;
        }
        if (result.ok() && !result.value() &&
            action.retire_policy != manifest::RetirePolicy::deactivate) {
            fail("'" + action.entry + "': the portal refused to delete old key sk-***" +
                 action.postfix + " (not permitted)");
            return false;
        }
        ++m_report.deleted;
        spdlog::info("retired old key sk-***{} of '{}'", action.postfix, action.entry);
        return true;
    }

    void retire_key(const Action& action) {
        if (retire_now(action)) {
            erase_retiring(*action.key_id);
            save_state();
        }
    }

    void erase_retiring(const std::string& id) {
        auto& retiring = m_world.state.retiring;
        retiring.erase(std::remove_if(retiring.begin(), retiring.end(),
                                      [&](const auto& r) { return r.id == id; }),
                       retiring.end());
    }

    void update_key(const Action& action) {
        auto result = m_api.update(*action.key_id, action.update);
        if (!result.ok()) {
            fail("'" + action.entry + "': update failed: " + result.error().message);
            return;
        }
        if (!result.value()) {
            fail("'" + action.entry + "': the portal refused to update key sk-***" + action.postfix +
                 " (it has expired or belongs to another user)");
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
        save_state();
        ++m_report.updated;
        spdlog::info("updated '{}' (sk-***{})", action.entry, action.postfix);
    }

    void remove_key(const Action& action) {
        auto result = m_api.remove(*action.key_id);
        if (!result.ok() && !is_unknown_id(result.error())) {
            fail("'" + action.entry + "': delete failed: " + result.error().message);
            return;
        }
        if (result.ok() && !result.value()) {
            fail("'" + action.entry + "': the portal refused to delete key sk-***" +
                 action.postfix + " (not permitted)");
            return;
        }
        m_world.state.erase(action.entry);
        m_world.secrets.erase(action.entry);
        m_outputs_dirty = true;
        save_state();
        ++m_report.deleted;
        spdlog::info("deleted '{}' (sk-***{})", action.entry, action.postfix);
    }

    void forget(const Action& action) {
        if (action.reasons.front() == plan::Reason::grace_over) {
            erase_retiring(*action.key_id);
        } else {
            m_world.state.erase(action.entry);
            m_world.secrets.erase(action.entry);
            m_outputs_dirty = true;
        }
        save_state();
        ++m_report.forgotten;
    }

    /// Records an untracked portal key as the entry's key. Its secret is unknown, so the
    /// fingerprint stays empty; the plan's next action for the entry applies the policy.
    void adopt_key(const Action& action) {
        const auto found = std::find_if(m_world.observed.begin(), m_world.observed.end(),
                                        [&](const api::ApiKey& k) { return k.id == *action.key_id; });
        if (found == m_world.observed.end()) {
            fail("'" + action.entry + "': key " + *action.key_id + " to adopt is not on the portal");
            return;
        }
        m_world.state.upsert(plan::managed_record(action.entry, *found));
        m_world.secrets.erase(action.entry);
        if (m_world.state.owner_id.empty()) {
            m_world.state.owner_id = m_world.user.id;
        }
        m_world.state.portal_url = m_manifest.portal.url;
        save_state();
        ++m_report.adopted;
        spdlog::info("adopted key sk-***{} (id {}) as '{}'", found->postfix, found->id,
                     action.entry);
    }

    void save_state() {
        auto saved = state::save_state(m_manifest.state_path, m_world.state);
        if (!saved.ok()) {
            fail("could not save the state: " + saved.error().message);
            m_stop = true;
        }
    }

    void finish_writes() {
        if (!m_outputs_dirty) {
            return;
        }
        auto written = write_all_outputs(m_manifest, m_world);
        if (!written.ok()) {
            fail("could not write the outputs: " + written.error().message);
            return;
        }
        m_report.outputs_written = true;
    }

    const manifest::Manifest& m_manifest;
    World& m_world;
    api::KeysApi& m_api;
    ApplyOptions m_options;
    ApplyReport m_report;
    bool m_outputs_dirty = false;
    bool m_stop = false;
};

}  // namespace

ApplyReport apply_plan(const manifest::Manifest& manifest, const plan::Plan& plan, World& world,
                       api::KeysApi& api, const ApplyOptions& options) {
    return Executor(manifest, world, api, options).run(plan);
}

}  // namespace provision::apply
