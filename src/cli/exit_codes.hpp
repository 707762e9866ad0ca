#pragma once
/// The exit codes of every provision command, and the one function that maps a failure to one
/// (docs/exit-codes.md lists them; the end-to-end tests assert them). Commands return
/// k_exit_ok, k_exit_expiring (status) or k_exit_findings (audit) for their results, and plan
/// its codes through plan_exit_code and plan_failure_code; every failure code comes from
/// exit_code_for, so a kind of failure exits the same way in every command.

#include "provision/apply/executor.hpp"
#include "provision/core/result.hpp"

namespace provision::cli {

enum ExitCode : int {
    k_exit_ok = 0,         ///< success, or plan: no changes
    k_exit_error = 1,      ///< run-time failure (portal unreachable, API error, I/O); nothing lost
    k_exit_changes = 2,    ///< plan --detailed-exitcode: changes pending
    k_exit_invalid = 3,    ///< invalid manifest, flags or input files
    k_exit_lock_held = 4,  ///< another run holds the lock
    k_exit_partial = 5,    ///< some actions failed; every created secret was persisted
    k_exit_unknown_outcome = 6,  ///< a create's outcome is unknown; the next run reconciles it
    k_exit_not_persisted = 7,    ///< a created secret could not be written; the key was revoked
    k_exit_blocked = 8,          ///< some entries need a decision (see the plan); the rest applied
    k_exit_expiring = 9,         ///< status --expiring-within: a managed key expires within it
    k_exit_findings = 10,        ///< audit: a finding at or above --fail-on
    k_exit_sigint = 130,         ///< interrupted by SIGINT
    k_exit_sigterm = 143,        ///< interrupted by SIGTERM
};

/// The exit code for a failure of kind `code`: the only map from failures to exit codes.
/// Errc::cancelled exits 130 or 143 by the signal that stopped the run.
int exit_code_for(core::Errc code);

/// plan's exit code for a plan it printed: k_exit_changes under --detailed-exitcode when the
/// plan changes something or blocks an entry, else k_exit_ok.
int plan_exit_code(const plan::Plan& plan, bool detailed_exitcode);

/// plan's exit code for a failure that exits `code`: under --detailed-exitcode every failure
/// exits k_exit_error, as Terraform's does, so that 2 always means "changes pending".
int plan_failure_code(int code, bool detailed_exitcode);

/// The more severe of two exit codes: what a run of several manifests exits with, over each
/// manifest's own code (docs/exit-codes.md#several-manifests). From the most severe: an
/// interruption (130, 143: later manifests did not run), then what the run left on the
/// portal for the next one to clear (7, 6, 5), then a manifest not applied at all, the code a
/// retry alone cannot clear first (3, 1, 4), then entries waiting for a decision (8), then the
/// results of a successful run (10, 9, 2), then 0.
int most_severe(int a, int b);

/// The failure kind of an executor outcome; nullopt for success.
std::optional<core::Errc> failure_of(apply::Outcome outcome);

}  // namespace provision::cli
