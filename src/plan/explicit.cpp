// destroy and import as plans (explicit.hpp): pure functions of the same PlanInput as
// make_plan, so the executor carries them out like every other plan; destroy lists the keys in
// the order of every plan (order.hpp).

#include "plan/explicit.hpp"
#include "plan/order.hpp"

#include <algorithm>

namespace provision::plan {

namespace {

const api::ApiKey* find_observed(const PlanInput& in, const std::string& id) {
    const auto found = std::find_if(in.observed.begin(), in.observed.end(),
                                    [&](const api::ApiKey& k) { return k.id == id; });
    return found == in.observed.end() ? nullptr : &*found;
}

Action destroy_action(const PlanInput& in, const std::string& entry, const std::string& id,
                      const std::string& postfix, ActionKind kind) {
    Action action;
    action.kind = kind;
    action.entry = entry;
    action.key_id = id;
    action.postfix = postfix;
    action.reasons.push_back(Reason::destroy_requested);
    action.retire_policy = manifest::RetirePolicy::delete_key;  // destroy deletes, always
    // A key missing from the list is deleted all the same: the list shows a caller only the
    // keys it may see, and a DELETE of an id the portal does not know counts as done.
    if (find_observed(in, id) == nullptr) {
        action.detail = "not in the portal's list for this caller; deleted by id";
    }
    return action;
}

Action refused(const ImportRequest& request, std::string why) {
    Action action;
    action.kind = ActionKind::blocked;
    action.entry = request.entry;
    action.key_id = request.id;
    action.reasons.push_back(Reason::import_refused);
    action.detail = std::move(why);
    return action;
}

}  // namespace

Plan plan_destroy(const PlanInput& in) {
    Plan plan;
    for (const auto* record_ptr : records_in_plan_order(in)) {
        const state::ManagedKey& record = *record_ptr;
        const auto* spec = in.manifest.find_key(record.entry);
        if (spec != nullptr && spec->protect && !in.options.override_protect) {
            Action action;
            action.kind = ActionKind::blocked;
            action.entry = record.entry;
            action.key_id = record.id;
            action.postfix = record.postfix;
            action.reasons = {Reason::destroy_requested, Reason::protected_entry};
            action.detail = "'" + record.entry +
                            "' is protected (protect: true); pass "
                            "--override-protect to destroy it";
            plan.actions.push_back(std::move(action));
            continue;
        }
        Action action =
            destroy_action(in, record.entry, record.id, record.postfix, ActionKind::remove);
        if (action.detail.empty()) {
            action.detail = "deleted by destroy";
        }
        plan.actions.push_back(std::move(action));
    }
    for (const auto* retiring_ptr : retiring_in_plan_order(in)) {
        const state::RetiringKey& retiring = *retiring_ptr;
        Action action =
            destroy_action(in, retiring.entry, retiring.id, retiring.postfix, ActionKind::retire);
        if (action.detail.empty()) {
            action.detail = "replaced key, deleted by destroy before its grace period ends";
        }
        plan.actions.push_back(std::move(action));
    }
    return plan;
}

Plan plan_import(const PlanInput& in, const ImportRequest& request) {
    Plan plan;
    const manifest::KeySpec* spec = in.manifest.find_key(request.entry);
    const api::ApiKey* key = find_observed(in, request.id);
    const state::ManagedKey* current = in.state.find(request.entry);
    const auto owner = std::find_if(in.state.keys.begin(), in.state.keys.end(), [&](const auto& k) {
        return k.id == request.id && k.entry != request.entry;
    });
    const bool retiring = std::any_of(in.state.retiring.begin(), in.state.retiring.end(),
                                      [&](const auto& r) { return r.id == request.id; });
    if (spec == nullptr) {
        plan.actions.push_back(
            refused(request, "'" + request.entry + "' is not an entry of the manifest"));
    } else if (key == nullptr) {
        plan.actions.push_back(refused(request, "no key with id " + request.id +
                                                    " on the portal (GET /api/2.0/keys)"));
    } else if (owner != in.state.keys.end()) {
        plan.actions.push_back(refused(
            request, "key " + request.id + " already belongs to entry '" + owner->entry + "'"));
    } else if (current != nullptr && current->id != request.id) {
        plan.actions.push_back(refused(request, "entry '" + request.entry + "' is bound to key " +
                                                    current->id +
                                                    "; run `provision rotate` or "
                                                    "remove that key first"));
    } else if (retiring) {
        plan.actions.push_back(refused(request, "key " + request.id +
                                                    " is retiring after a "
                                                    "rotation; it cannot be imported"));
    } else {
        Action action;
        action.kind = ActionKind::import_key;
        action.entry = request.entry;
        action.key_id = key->id;
        action.postfix = key->postfix;
        action.reasons.push_back(Reason::import_requested);
        action.detail = key->name == spec->name ? "bound to the entry in the state"
                                                : "named '" + key->name + "' on the portal, not '" +
                                                      spec->name + "'; the next apply renames it";
        plan.actions.push_back(std::move(action));
    }
    return plan;
}

}  // namespace provision::plan
