// Settle actions: the journal's pending intents, as the caller matched them against the
// portal. `apply` settles them before planning (apply/reconcile.cpp), so its own plan shows
// them only when a late commit appears during the run; `plan` and `status` show them so a
// duplicate or an unchecked create never hides behind "No changes".
//
//   never checked, made key K, an output holds K's secret -> settle: adopt K
//   never checked, made key K                              -> settle: revoke K
//   never checked, made nothing visible                    -> settle: check for a late key
//   never checked, the state already binds its key         -> settle: close the journal record
//   watched (checked before), late key K appeared          -> settle: revoke K (late_commit)
//   watched, nothing appeared                              -> no action

#include "plan/settle.hpp"

namespace provision::plan {

namespace {

Action settle_action(const PendingCreate& pending, Reason reason) {
    Action action;
    action.kind = ActionKind::settle;
    action.reasons.push_back(reason);
    action.entry = pending.entry;
    return action;
}

std::string since(const PendingCreate& pending) {
    return "the create of " + core::format_iso8601(pending.sent_at);
}

}  // namespace

void plan_settlements(const PlanInput& in, Plan& plan) {
    for (const auto& pending : in.pending) {
        if (!in.options.targets.empty() && in.options.targets.count(pending.entry) == 0) {
            continue;
        }
        const Reason reason = pending.watched ? Reason::late_commit : Reason::interrupted_create;
        for (const auto& made : pending.made) {
            Action action = settle_action(pending, reason);
            action.key_id = made.id;
            action.postfix = made.postfix;
            if (pending.watched) {
                action.detail = "revoke key sk-***" + made.postfix + " (id " + made.id +
                                "): the portal committed " + since(pending) +
                                " after it was given up; nobody holds its secret";
            } else if (made.secret_held) {
                action.detail = "adopt key sk-***" + made.postfix + " (id " + made.id +
                                "): " + since(pending) +
                                " was interrupted after an output received its secret";
            } else {
                action.detail = "revoke key sk-***" + made.postfix + " (id " + made.id +
                                "): " + since(pending) +
                                " was interrupted before its secret was saved";
            }
            plan.actions.push_back(std::move(action));
        }
        if (!pending.made.empty() || pending.watched) {
            continue;
        }
        Action action = settle_action(pending, reason);
        action.detail = pending.persisted
                            ? since(pending) + " was interrupted after its key was saved; the "
                                               "journal record is closed"
                            : since(pending) + " was interrupted before any key appeared; the "
                                               "portal is checked again and watched for a late key";
        plan.actions.push_back(std::move(action));
    }
}

}  // namespace provision::plan
