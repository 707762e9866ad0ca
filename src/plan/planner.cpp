// The planner: a pure function from (manifest, state, observed keys, outputs view, now) to a
// Plan. Every reconcile rule lives here, so the rules are unit-tested with plain values and
// the executor only carries out what the plan says.
//
// Per manifest entry, the state says which portal key (by id) the entry owns; the observed
// list says what that key looks like now. The rules, in order of precedence:
//   no state record            -> create (unless a live key of the same name by the same user
//                                 exists: blocked, the user imports it or allows a duplicate;
//                                 with --adopt and exactly one such key: adopt it, then plan
//                                 it as a known key whose secret is unknown)
//   record, key gone           -> create again (missing_on_portal)
//   key expired                -> replace (expiry is immutable)
//   lifetime changed           -> replace
//   secret in no output        -> policy: fail (blocked), rotate (replace), keep (noop)
//   expires within the window  -> replace (rotation_due)
//   deactivated                -> reactivate
//   name or scopes edited      -> update (PUT)
// Replacements of `protect: true` entries are blocked unless overridden. Then records whose
// entries left the manifest (remove with prune, else kept and shown), then retiring keys: the
// order of order.hpp.
// Keys that the state does not know are never acted upon. A replace carries how its old key
// retires (policy and grace period), so the executor never reads the manifest for it. The
// plans of `destroy` and `import` are made in explicit.cpp. Last, the plan's effect on the
// outputs (partial_outputs.hpp): rewrites that would leave an output partial are blocked, and
// rewrites of encrypted outputs this run cannot decrypt are flagged for apply to refuse.

#include "provision/plan/plan.hpp"

#include "plan/explicit.hpp"
#include "plan/order.hpp"
#include "plan/partial_outputs.hpp"
#include "plan/settle.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace provision::plan {

namespace {

using core::Timestamp;
using manifest::KeySpec;
using std::chrono::seconds;

bool is_expired(const api::ApiKey& key, Timestamp now) {
    return key.expires_at.has_value() && *key.expires_at <= now;
}

/// Lookups built once per plan, so that planning stays linear in the number of keys (the
/// manifest's entries, the state's records and the portal's keys).
class Index {
public:
    explicit Index(const PlanInput& in) {
        std::unordered_set<std::string_view> tracked;
        for (const auto& record : in.state.keys) {
            tracked.insert(record.id);
            m_records.emplace(record.entry, &record);
        }
        for (const auto& retiring : in.state.retiring) {
            tracked.insert(retiring.id);
        }
        // A key an interrupted create made is settled first (settle.cpp), not confused with a
        // key someone made by hand.
        for (const auto& pending : in.pending) {
            for (const auto& made : pending.made) {
                tracked.insert(made.id);
            }
        }
        for (const auto& spec : in.manifest.keys) {
            m_specs.emplace(spec.name, &spec);
        }
        for (const auto& key : in.observed) {
            m_observed.emplace(key.id, &key);  // the first of duplicate ids, as listed
            if (!tracked.count(key.id) && key.created_by_id == in.current_user_id &&
                key.is_active && !is_expired(key, in.now)) {
                m_untracked[key.name].push_back(&key);
            }
        }
    }

    const api::ApiKey* observed(const std::string& id) const { return lookup(m_observed, id); }
    const state::ManagedKey* record(const std::string& entry) const {
        return lookup(m_records, entry);
    }
    const KeySpec* spec(const std::string& name) const { return lookup(m_specs, name); }

    /// The untracked live keys of the caller named `name`, which a missing state record may be
    /// confused with, in the portal's order.
    std::vector<const api::ApiKey*> untracked(const std::string& name) const {
        const auto found = m_untracked.find(name);
        return found == m_untracked.end() ? std::vector<const api::ApiKey*>{} : found->second;
    }

private:
    template <class T>
    static const T* lookup(const std::unordered_map<std::string_view, const T*>& map,
                           const std::string& key) {
        const auto found = map.find(key);
        return found == map.end() ? nullptr : found->second;
    }

    std::unordered_map<std::string_view, const api::ApiKey*> m_observed;
    std::unordered_map<std::string_view, const state::ManagedKey*> m_records;
    std::unordered_map<std::string_view, const KeySpec*> m_specs;
    std::unordered_map<std::string_view, std::vector<const api::ApiKey*>> m_untracked;
};

std::string lifetime_text(std::optional<int> days) {
    return days ? std::to_string(*days) + "d" : std::string("never");
}

api::CreateRequest create_request(const KeySpec& spec) {
    return api::CreateRequest{spec.name, spec.permissions, spec.expires_in_days};
}

const manifest::RotationPolicy& rotation_of(const KeySpec* spec, const manifest::Manifest& m) {
    return spec != nullptr ? spec->rotation : m.default_rotation;
}

Action make_action(ActionKind kind, Reason reason, const KeySpec& spec) {
    Action action;
    action.kind = kind;
    action.reasons.push_back(reason);
    action.entry = spec.name;
    return action;
}

void set_existing(Action& action, const state::ManagedKey& record) {
    action.key_id = record.id;
    action.postfix = record.postfix;
}

std::string ids_text(const std::vector<const api::ApiKey*>& keys) {
    std::string out;
    for (const auto* key : keys) {
        out += (out.empty() ? "" : ", ") + key->id;
    }
    return out;
}

Action plan_existing(const PlanInput& in, const Index& index, const KeySpec& spec,
                     const state::ManagedKey& record);

/// An entry the state does not know: create it, unless untracked keys of its name exist; then
/// adopt the one match (--adopt, followed by whatever the key then needs), or block.
void plan_new_entry(const PlanInput& in, const Index& index, const KeySpec& spec, Plan& plan) {
    const auto matches = index.untracked(spec.name);
    if (matches.size() == 1 && in.options.adopt) {
        const api::ApiKey& key = *matches.front();
        Action action = make_action(ActionKind::adopt, Reason::untracked_name_match, spec);
        action.key_id = key.id;
        action.postfix = key.postfix;
        action.detail = "binds the untracked key sk-***" + key.postfix + " (id " + key.id +
                        ") created by you; its secret is unknown to provision";
        plan.actions.push_back(std::move(action));
        Action follow = plan_existing(in, index, spec, managed_record(spec.name, key));
        if (follow.kind != ActionKind::noop) {
            plan.actions.push_back(std::move(follow));
        }
        return;
    }
    if (!matches.empty() && !in.options.allow_duplicate) {
        Action action = make_action(ActionKind::blocked, Reason::untracked_name_match, spec);
        action.key_id = matches.front()->id;
        action.postfix = matches.front()->postfix;
        if (matches.size() == 1) {
            action.detail = "the state does not know this entry, but the portal has a live key "
                            "named '" +
                            spec.name + "' created by you (id " + matches.front()->id +
                            "); bind it with `provision import MANIFEST '" + spec.name + "' --id " +
                            matches.front()->id +
                            "` or --adopt, or pass --allow-duplicate to create another key";
        } else {
            action.detail = "the state does not know this entry, but the portal has " +
                            std::to_string(matches.size()) + " live keys named '" + spec.name +
                            "' created by you (ids " + ids_text(matches) +
                            "); --adopt cannot choose: bind one with `provision import MANIFEST '" +
                            spec.name + "' --id ID`, or pass --allow-duplicate";
        }
        plan.actions.push_back(std::move(action));
        return;
    }
    Action action = make_action(ActionKind::create, Reason::new_entry, spec);
    action.create = create_request(spec);
    action.detail = spec.permissions.to_display() + "; expires " +
                    (spec.expires_in_days ? "in " + lifetime_text(spec.expires_in_days) : "never");
    plan.actions.push_back(std::move(action));
}

Action plan_replace(const PlanInput& in, const KeySpec& spec, const state::ManagedKey& record,
                    Reason reason, std::string detail) {
    if (spec.protect && !in.options.override_protect) {
        Action action = make_action(ActionKind::blocked, reason, spec);
        action.reasons.push_back(Reason::protected_entry);
        set_existing(action, record);
        action.detail = detail + "; the entry is protected (protect: true), so it is not replaced: "
                                 "pass --override-protect to allow it";
        return action;
    }
    Action action = make_action(ActionKind::replace, reason, spec);
    set_existing(action, record);
    action.create = create_request(spec);
    action.retire_policy = spec.rotation.retire;
    action.grace_period = spec.rotation.grace_period;
    action.detail = std::move(detail);
    return action;
}

/// The update needed to put the portal's key back to the manifest's name and scopes.
void add_edits(Action& action, const KeySpec& spec, const api::ApiKey& key) {
    if (key.name != spec.name) {
        action.update.name = spec.name;
        action.changes.push_back({"name", key.name, spec.name});
        action.reasons.push_back(Reason::name_edited);
    }
    if (!(key.permissions == spec.permissions)) {
        action.update.permissions = spec.permissions;
        action.changes.push_back(
            {"permissions", key.permissions.to_display(), spec.permissions.to_display()});
        action.reasons.push_back(Reason::scopes_edited);
    }
}

Action plan_existing(const PlanInput& in, const Index& index, const KeySpec& spec,
                     const state::ManagedKey& record) {
    const api::ApiKey* key = index.observed(record.id);
    if (key == nullptr) {
        Action action = make_action(ActionKind::create, Reason::missing_on_portal, spec);
        set_existing(action, record);
        action.create = create_request(spec);
        action.detail = "key sk-***" + record.postfix + " (id " + record.id +
                        ") is gone from the portal; a new key will be created";
        return action;
    }
    const bool expired = is_expired(*key, in.now);
    if (expired) {
        const Reason reason = key->is_active ? Reason::expired : Reason::deactivated_expired;
        return plan_replace(in, spec, record, reason,
                            "expired " + core::format_iso8601(*key->expires_at) +
                                "; an expiry cannot be extended, so a new key replaces it");
    }
    if (record.expires_in_days != spec.expires_in_days) {
        return plan_replace(in, spec, record, Reason::lifetime_changed,
                            "lifetime changed from " + lifetime_text(record.expires_in_days) +
                                " to " + lifetime_text(spec.expires_in_days) +
                                "; an expiry cannot be changed, so a new key replaces it");
    }
    if (in.options.force_rotate.count(spec.name) != 0) {
        return plan_replace(in, spec, record, Reason::forced_rotation, "rotation requested");
    }
    const bool secret_unknown = in.outputs.entries_with_secret.count(spec.name) == 0;
    if (secret_unknown) {
        switch (spec.on_secret_unknown) {
        case manifest::SecretUnknownPolicy::rotate:
            return plan_replace(in, spec, record, Reason::secret_unknown,
                                "no output holds this key's secret; onSecretUnknown: rotate");
        case manifest::SecretUnknownPolicy::keep:
            break;  // kept as it is; drift below is still put back
        case manifest::SecretUnknownPolicy::fail: {
            Action action = make_action(ActionKind::blocked, Reason::secret_unknown, spec);
            set_existing(action, record);
            action.detail = "no output holds the secret of key sk-***" + record.postfix +
                            ": restore the output file, run `provision rotate MANIFEST --key '" +
                            spec.name + "'`, or set onSecretUnknown: rotate or keep";
            return action;
        }
        }
    }
    if (key->expires_at && spec.expires_in_days) {
        const auto left = std::chrono::duration_cast<seconds>(*key->expires_at - in.now);
        if (left <= rotation_window(spec, in.manifest.default_rotation)) {
            return plan_replace(in, spec, record, Reason::rotation_due,
                                "expires in " + core::format_remaining(left) +
                                    ", within the rotation window");
        }
    }
    Action action = make_action(ActionKind::noop, Reason::in_sync, spec);
    set_existing(action, record);
    if (!key->is_active) {
        action.kind = ActionKind::reactivate;
        action.reasons = {Reason::deactivated};
        action.update.is_active = true;
        action.changes.push_back({"isActive", "false", "true"});
    }
    const std::size_t before = action.reasons.size();
    add_edits(action, spec, *key);
    if (action.kind == ActionKind::noop && action.reasons.size() > before) {
        action.kind = ActionKind::update;
        action.reasons.erase(action.reasons.begin());  // drop in_sync
    }
    if (action.kind != ActionKind::noop) {
        action.detail = "edited on the portal; put back with PUT";
    }
    if (secret_unknown) {
        if (action.kind == ActionKind::noop) {
            action.reasons = {Reason::secret_unknown};
        } else {
            action.reasons.push_back(Reason::secret_unknown);
        }
        action.detail += std::string(action.detail.empty() ? "" : "; ") +
                         "no output holds this key's secret; kept (onSecretUnknown: keep)";
    }
    return action;
}

void plan_removed_entries(const PlanInput& in, const Index& index, Plan& plan) {
    for (const auto* record : removed_records(in)) {
        Action action;
        action.entry = record->entry;
        set_existing(action, *record);
        action.reasons.push_back(Reason::entry_removed);
        if (index.observed(record->id) == nullptr) {
            action.kind = ActionKind::forget;
            action.detail = "no longer in the manifest and already gone from the portal";
        } else if (in.options.prune || in.manifest.prune) {
            action.kind = ActionKind::remove;
            action.detail = "no longer in the manifest; deleted because pruning is on";
        } else {
            action.kind = ActionKind::noop;
            action.detail = "no longer in the manifest; kept (pass --prune to delete it)";
        }
        plan.actions.push_back(std::move(action));
    }
}

void plan_retiring(const PlanInput& in, const Index& index, Plan& plan) {
    for (const auto* r : retiring_in_plan_order(in)) {
        Action action;
        action.entry = r->entry;
        action.key_id = r->id;
        action.postfix = r->postfix;
        action.reasons.push_back(Reason::grace_over);
        const KeySpec* spec = index.spec(r->entry);
        action.retire_policy = rotation_of(spec, in.manifest).retire;
        const api::ApiKey* key = index.observed(r->id);
        if (key == nullptr) {
            action.kind = ActionKind::forget;
            action.detail = "replaced key is already gone from the portal";
        } else if (in.now >= r->retire_after) {
            const bool keep = action.retire_policy == manifest::RetirePolicy::keep_until_expiry;
            action.kind = keep ? ActionKind::forget : ActionKind::retire;
            action.detail = keep ? "replaced key has expired; no longer tracked"
                                 : "grace period over; the replaced key is retired";
        } else {
            action.kind = ActionKind::noop;
            action.reasons = {Reason::in_grace_period};
            action.detail = "retiring in " +
                            core::format_remaining(
                                std::chrono::duration_cast<seconds>(r->retire_after - in.now)) +
                            ": the replaced key stays usable until " +
                            core::format_iso8601(r->retire_after);
        }
        plan.actions.push_back(std::move(action));
    }
}

}  // namespace

state::ManagedKey managed_record(const std::string& entry, const api::ApiKey& key) {
    state::ManagedKey record;
    record.entry = entry;
    record.id = key.id;
    record.name = key.name;
    record.postfix = key.postfix;
    record.permissions = key.permissions;
    record.expires_in_days = observed_lifetime_days(key);
    record.expires_at = key.expires_at;
    record.created_at = key.create_on;
    return record;
}

std::optional<int> observed_lifetime_days(const api::ApiKey& key) {
    if (!key.expires_at) {
        return std::nullopt;
    }
    const auto lifetime = std::chrono::duration_cast<seconds>(*key.expires_at - key.create_on);
    return static_cast<int>((lifetime.count() + 43200) / 86400);
}

std::chrono::seconds rotation_window(const KeySpec& spec,
                                     const manifest::RotationPolicy& defaults) {
    if (spec.rotation.rotate_before) {
        return *spec.rotation.rotate_before;
    }
    if (defaults.rotate_before) {
        return *defaults.rotate_before;
    }
    if (!spec.expires_in_days) {
        return seconds{0};
    }
    // A third of the lifetime leaves two thirds of use per key; capped so long-lived keys are
    // not replaced months early. Always shorter than the lifetime, so no key rotates every run.
    const seconds third{*spec.expires_in_days * 86400LL / 3};
    return std::min(third, seconds{30 * 86400});
}

Plan make_plan(const PlanInput& in) {
    if (in.options.destroy) {
        return plan_destroy(in);
    }
    if (in.options.import) {
        Plan plan = plan_import(in, *in.options.import);
        flag_sealed_rewrites(in, plan);
        return plan;
    }
    Plan plan;
    const Index index(in);
    for (const auto& spec : in.manifest.keys) {
        if (!in.options.targeted(spec.name)) {
            continue;
        }
        const state::ManagedKey* record = index.record(spec.name);
        if (record == nullptr) {
            plan_new_entry(in, index, spec, plan);
        } else {
            plan.actions.push_back(plan_existing(in, index, spec, *record));
        }
    }
    plan_removed_entries(in, index, plan);
    plan_retiring(in, index, plan);
    plan_settlements(in, plan);
    if (in.outputs.stale) {
        Action action;
        action.kind = ActionKind::write_outputs;
        action.reasons.push_back(Reason::outputs_stale);
        action.detail = "outputs do not hold every known secret; they are rewritten";
        plan.actions.push_back(std::move(action));
    }
    block_partial_outputs(in, plan);
    flag_output_losses(in, plan);
    flag_sealed_rewrites(in, plan);
    plan.findings = policy_findings(in);
    return plan;
}

bool Plan::has_changes() const {
    return std::any_of(actions.begin(), actions.end(), [](const Action& a) {
        return a.kind != ActionKind::noop && a.kind != ActionKind::blocked;
    });
}

bool Plan::has_blocked() const {
    return std::any_of(actions.begin(), actions.end(),
                       [](const Action& a) { return a.kind == ActionKind::blocked; });
}

std::size_t Plan::count(ActionKind kind) const {
    return static_cast<std::size_t>(std::count_if(
        actions.begin(), actions.end(), [kind](const Action& a) { return a.kind == kind; }));
}

const char* to_string(ActionKind kind) noexcept {
    switch (kind) {
    case ActionKind::noop:
        return "noop";
    case ActionKind::create:
        return "create";
    case ActionKind::update:
        return "update";
    case ActionKind::reactivate:
        return "reactivate";
    case ActionKind::replace:
        return "replace";
    case ActionKind::retire:
        return "retire";
    case ActionKind::remove:
        return "delete";
    case ActionKind::forget:
        return "forget";
    case ActionKind::write_outputs:
        return "write-outputs";
    case ActionKind::adopt:
        return "adopt";
    case ActionKind::blocked:
        return "blocked";
    case ActionKind::settle:
        return "settle";
    case ActionKind::import_key:
        return "import";
    }
    return "noop";
}

const char* to_string(Reason reason) noexcept {
    switch (reason) {
    case Reason::in_sync:
        return "in_sync";
    case Reason::new_entry:
        return "new_entry";
    case Reason::missing_on_portal:
        return "missing_on_portal";
    case Reason::deactivated:
        return "deactivated";
    case Reason::deactivated_expired:
        return "deactivated_expired";
    case Reason::expired:
        return "expired";
    case Reason::scopes_edited:
        return "scopes_edited";
    case Reason::name_edited:
        return "name_edited";
    case Reason::lifetime_changed:
        return "lifetime_changed";
    case Reason::rotation_due:
        return "rotation_due";
    case Reason::forced_rotation:
        return "forced_rotation";
    case Reason::secret_unknown:
        return "secret_unknown";
    case Reason::grace_over:
        return "grace_over";
    case Reason::entry_removed:
        return "entry_removed";
    case Reason::untracked_name_match:
        return "untracked_name_match";
    case Reason::protected_entry:
        return "protected_entry";
    case Reason::outputs_stale:
        return "outputs_stale";
    case Reason::interrupted_create:
        return "interrupted_create";
    case Reason::late_commit:
        return "late_commit";
    case Reason::destroy_requested:
        return "destroy_requested";
    case Reason::import_requested:
        return "import_requested";
    case Reason::import_refused:
        return "import_refused";
    case Reason::partial_output:
        return "partial_output";
    case Reason::in_grace_period:
        return "in_grace_period";
    }
    return "in_sync";
}

}  // namespace provision::plan
