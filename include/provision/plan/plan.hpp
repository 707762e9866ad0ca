#pragma once
/// The plan: what apply would do, computed as data by a pure function (make_plan) from the
/// manifest, the state, the keys observed on the portal and what the outputs hold. Rendering
/// (render.hpp) and execution (apply/) are separate steps, as in ninja and vcpkg.

#include "provision/api/types.hpp"
#include "provision/core/time.hpp"
#include "provision/manifest/manifest.hpp"
#include "provision/state/state.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace provision::plan {

enum class ActionKind {
    noop,           ///< the key matches the manifest
    create,         ///< no key yet: create one
    update,         ///< PUT name and/or permissions back to the manifest's values
    reactivate,     ///< PUT isActive=true on a deactivated, unexpired key (plus any update)
    replace,        ///< create a new key, write its secret, then retire the old one
    retire,         ///< retire an old key whose grace period is over (delete or deactivate)
    remove,         ///< delete a managed key whose entry left the manifest (--prune)
    forget,         ///< drop a state record whose key is already gone from the portal
    write_outputs,  ///< outputs lack secrets that are known (a file was deleted or added)
    adopt,          ///< record an untracked key of the entry's name in the state (--adopt)
    blocked,        ///< needs a decision from the user; see Action::detail
    settle,         ///< finish what an interrupted create left: adopt or revoke the key it made
    import_key,     ///< bind a named portal key to an entry (`provision import`)
};

/// Why an action is planned. Each drift state has its own name in the plan.
enum class Reason {
    in_sync,
    new_entry,             ///< no key for the entry yet
    missing_on_portal,     ///< the state's key is gone from the portal
    deactivated,           ///< deactivated on the portal, not expired
    deactivated_expired,   ///< deactivated and expired
    expired,               ///< expired (the portal may still list it as active)
    scopes_edited,         ///< permissions differ from the manifest
    name_edited,           ///< name differs from the manifest
    lifetime_changed,      ///< expiresInDays changed in the manifest; expiry is immutable
    rotation_due,          ///< expires within the rotation window
    forced_rotation,       ///< `provision rotate`
    secret_unknown,        ///< no output holds the key's secret
    grace_over,            ///< a retiring key's grace period ended
    entry_removed,         ///< the entry left the manifest
    untracked_name_match,  ///< not in state, but a live key of that name by the same user exists
    protected_entry,       ///< protect: true forbids the deletion or replacement
    outputs_stale,         ///< outputs do not hold every known secret
    interrupted_create,    ///< a create's outcome is unknown (a run was killed or lost its answer)
    late_commit,           ///< the portal committed a create after the client gave up on it
    destroy_requested,     ///< `provision destroy`: every managed key is deleted
    import_requested,      ///< `provision import`: the user named the key for the entry
    import_refused,        ///< `provision import` cannot bind that key (see Action::detail)
    partial_output,        ///< an output it writes would lack a managed key's unknown secret
    in_grace_period,       ///< a replaced key still usable until its grace period ends (noop)
};

const char* to_string(ActionKind kind) noexcept;
const char* to_string(Reason reason) noexcept;

struct Action {
    ActionKind kind = ActionKind::noop;
    std::vector<Reason> reasons;
    std::string entry;                  ///< manifest entry name ("" for write_outputs)
    std::optional<std::string> key_id;  ///< the existing key acted upon, if any
    std::string postfix;                ///< of the existing key, for display
    api::UpdateRequest update;          ///< for update / reactivate
    api::CreateRequest create;          ///< for create / replace
    /// For retire, and for replace: how the superseded key retires. A replace also carries
    /// the grace period it stays usable for, counted from the moment its successor exists.
    manifest::RetirePolicy retire_policy = manifest::RetirePolicy::delete_key;
    std::chrono::seconds grace_period{0};
    std::string detail;  ///< one line for humans (what and why)
    /// Field-level changes for display: {"permissions", "files:read", "files:read, rooms:read"}.
    struct Change {
        std::string field, from, to;
    };
    std::vector<Change> changes;
};

/// A managed key whose scopes on the portal break the manifest's `policy:` (they were widened
/// by hand): a finding, not an action. The key's update back to the manifest's scopes, which
/// the policy allows, is planned as usual (scopes_edited).
struct PolicyFinding {
    std::string entry;
    std::string key_id;
    std::string postfix;
    manifest::PolicyRule rule = manifest::PolicyRule::allowed_scopes;
    std::string message;  ///< the violation as check_scopes words it
};

/// An output that would lack the secrets of managed keys: it is not rewritten this run
/// (partial_outputs.cpp), and every action that would rewrite it is blocked.
struct PartialOutput {
    std::string output;                ///< its path as the manifest writes it
    std::vector<std::string> lacking;  ///< the entries whose secret it would lack
};

/// An output whose next rewrite drops secrets it holds now: entries that leave the manifest,
/// keys deleted, or secrets the run does not trust. Shown by plan, never silent.
struct OutputLoss {
    std::string output;             ///< its path as the manifest writes it
    std::vector<std::string> lost;  ///< the entries whose secret it will no longer hold
    bool empty = false;             ///< it will hold no secret at all
};

struct Plan {
    std::vector<Action> actions;          ///< in manifest order, then removals, then retirements
    std::vector<PolicyFinding> findings;  ///< in manifest order
    std::vector<PartialOutput> partial_outputs;  ///< in manifest order
    std::vector<OutputLoss> output_losses;       ///< in manifest order
    /// Encrypted outputs this run cannot decrypt (OutputsView::sealed) that the plan would
    /// rewrite, as the manifest writes their paths, in manifest order. Rewriting one would drop
    /// the secrets it holds, so a run that changes keys refuses such a plan as a whole
    /// (apply::prepare) until an age identity is set. Not computed for destroy, which removes
    /// the outputs instead of rewriting them.
    std::vector<std::string> sealed_rewrites;

    bool has_changes() const;  ///< anything but noop
    bool has_blocked() const;
    std::size_t count(ActionKind kind) const;
};

/// What the outputs hold, computed by the caller from the files.
struct OutputsView {
    /// Entries whose secret some output holds, and which matches the state's fingerprint.
    std::set<std::string> entries_with_secret;
    /// True when rewriting the outputs would change at least one file.
    bool stale = false;
    /// What each output holds now: path as written -> the entries whose secret it holds
    /// (entries that left the manifest included, by the state's name for them).
    std::map<std::string, std::set<std::string>> held;
    /// Encrypted outputs, by path as written, that hold secrets this run cannot decrypt (no
    /// age identity is set): only their fingerprint index says what they hold.
    std::set<std::string> sealed;
};

/// A create whose outcome an interrupted run left unknown (a pending intent of the journal),
/// as the caller matched it against the state and the portal's keys. Apply settles these
/// before it plans; plan and status show them so that nothing pending hides behind "No changes".
struct PendingCreate {
    std::string entry;
    core::Timestamp sent_at{};
    /// An earlier run settled it and found no key: only a late commit is watched for, until
    /// `watch_until`.
    bool watched = false;
    core::Timestamp watch_until{};
    struct Made {
        std::string id, postfix;
        bool secret_held = false;  ///< an output holds a secret ending in this key's postfix
    };
    std::vector<Made> made;  ///< untracked live keys the lost create may have made
    /// The state already binds the key this create made: the run stopped after saving it.
    bool persisted = false;
};

/// `provision import ENTRY --id ID`: bind portal key `id` to manifest entry `entry`.
struct ImportRequest {
    std::string entry, id;
};

struct PlanOptions {
    bool prune = false;                  ///< delete keys whose entries left the manifest
    std::set<std::string> targets;       ///< limit to these entries (empty = all)
    std::set<std::string> force_rotate;  ///< `provision rotate`
    bool allow_duplicate = false;        ///< create even when an untracked key of that name exists
    bool override_protect = false;       ///< allow replacing/deleting `protect: true` entries
    bool adopt = false;                  ///< bind the one untracked key of an entry's name
    /// `provision destroy`: delete every key the state manages (current and retiring), and
    /// nothing else; protected entries are blocked unless override_protect.
    bool destroy = false;
    /// `provision import`: the plan is the one import action (or why it is refused).
    std::optional<ImportRequest> import;

    /// Whether the run acts on `entry` (every entry when no target is given).
    bool targeted(const std::string& entry) const {
        return targets.empty() || targets.contains(entry);
    }
};

/// The diagnostics of `rotate --key`: one message per name that is no entry of the manifest,
/// with a "did you mean". Needs nothing but the manifest, so a run checks it before it reads
/// anything. Empty when every name is an entry.
std::vector<std::string> unknown_rotations(const manifest::Manifest& manifest,
                                           const PlanOptions& options);

/// The diagnostics of --target: one message per name that is no entry of the manifest or of
/// the state (an entry that left the manifest can be pruned on its own), with a "did you mean".
std::vector<std::string> unknown_targets(const manifest::Manifest& manifest,
                                         const state::State& state, const PlanOptions& options);

struct PlanInput {
    const manifest::Manifest& manifest;
    const state::State& state;
    const std::vector<api::ApiKey>& observed;  ///< GET /api/2.0/keys
    const OutputsView& outputs;
    std::string current_user_id;  ///< the caller (people/@self)
    core::Timestamp now;
    PlanOptions options;
    std::vector<PendingCreate> pending = {};  ///< interrupted creates not settled yet
};

/// Pure: the same input gives the same plan, byte for byte when rendered.
Plan make_plan(const PlanInput& input);

/// The policy findings of make_plan: for each targeted entry whose state key is on the portal,
/// check_scopes over the portal's scopes for that key. Empty without a policy.
std::vector<PolicyFinding> policy_findings(const PlanInput& input);

/// The rotation window for a key: its own or the manifest default; when unset, a third of
/// the lifetime, at most 30 days (always shorter than the lifetime).
std::chrono::seconds rotation_window(const manifest::KeySpec& spec,
                                     const manifest::RotationPolicy& defaults);

/// The lifetime a key was created with, in whole days (rounded), from its creation and expiry
/// times; nullopt for a key that never expires. Used when a key is adopted or imported.
std::optional<int> observed_lifetime_days(const api::ApiKey& key);

/// The state record for entry `entry` bound to portal key `key`: the key's own values, its
/// lifetime from observed_lifetime_days, and no fingerprint (the caller sets it when the
/// secret is known).
state::ManagedKey managed_record(const std::string& entry, const api::ApiKey& key);

}  // namespace provision::plan
