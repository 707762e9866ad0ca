#pragma once
/// Everything a run does before it carries out a plan, in one place for every command (plan,
/// apply, rotate, destroy, import, a saved plan): take the state's lock and open its journal
/// (commands that change the portal), remove leftovers of interrupted writes, observe the
/// portal, settle what interrupted creates left, and plan. The checks that refuse a whole run
/// before anything is written (an encrypted output it cannot rewrite, a rotation or target of
/// an entry the manifest lacks, an import secret that is not the named key's) happen here too,
/// so a command gets either a plan it may carry out or one error. The rules of the first two
/// are the planner's (Plan::sealed_rewrites, plan::unknown_rotations and unknown_targets).

#include "provision/apply/executor.hpp"
#include "provision/apply/journal.hpp"
#include "provision/apply/lock.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

namespace provision::apply {

struct PrepareOptions {
    plan::PlanOptions plan;
    /// Take the state's lock and open the journal (every command that changes the portal);
    /// without it the journal is read but never changed, and nothing is settled.
    bool take_lock = false;
    std::chrono::milliseconds lock_timeout{0};
    /// `provision import --secret-stdin`: the key's secret, proven with keys/@self to be the
    /// imported key's before the plan is made.
    std::optional<core::Secret> import_secret;
    /// --rebind-portal: the manifest's portal is the state's, whatever the URL and identity
    /// say (portal_binding.hpp).
    bool rebind_portal = false;
    std::function<core::Timestamp()> clock;  ///< default: core::now_utc
};

struct Prepared {
    std::optional<RunLock> lock;
    std::optional<Journal> journal;  ///< opened with the lock
    World world;
    /// Interrupted creates not settled yet (with the lock: only those still watched).
    std::vector<plan::PendingCreate> pending;
    plan::Plan plan;
};

/// What a run that changes the portal holds before it reads anything from the portal: its
/// state backend, the backend's lock and the flock beside the state, and the journal.
struct Locked {
    std::shared_ptr<StateStore> store;
    std::optional<RunLock> lock;
    std::optional<Journal> journal;
};

/// Opens the manifest's state backend and takes its locks (PrepareOptions::lock_timeout). A run
/// of several manifests takes every lock this way before it reads the portal once for all of
/// them: a listing made before a manifest's lock was taken may miss what another run, holding
/// that lock meanwhile, changed.
core::Result<Locked> lock_state(const manifest::Manifest& manifest, const PrepareOptions& options);

/// The run up to its plan. Errors: lock_held; invalid_input for a run refused as a whole (the
/// message says why and what to do); unknown_outcome when an interrupted create cannot be
/// settled yet; any error of reading the files or the portal.
core::Result<Prepared> prepare(const manifest::Manifest& manifest, api::KeysApi& api,
                               const PrepareOptions& options);
/// The same with the state backend opened, and with options.take_lock, the locks lock_state
/// took.
core::Result<Prepared> prepare(const manifest::Manifest& manifest, api::KeysApi& api,
                               const PrepareOptions& options, Locked locked);

}  // namespace provision::apply
