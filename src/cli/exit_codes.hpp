#pragma once
/// The exit codes of every provision command. The README's table is generated from the same
/// list, and the end-to-end tests assert them.

namespace provision::cli {

enum ExitCode : int {
    k_exit_ok = 0,              ///< success, or plan: no changes
    k_exit_error = 1,           ///< run-time failure (portal unreachable, API error, I/O); nothing lost
    k_exit_changes = 2,         ///< plan --detailed-exitcode: changes pending
    k_exit_invalid = 3,         ///< invalid manifest, flags or input files
    k_exit_lock_held = 4,       ///< another run holds the lock
    k_exit_partial = 5,         ///< some actions failed; every created secret was persisted
    k_exit_unknown_outcome = 6, ///< a create's outcome is unknown; the next run reconciles it
    k_exit_not_persisted = 7,   ///< a created secret could not be written; the key was revoked
    k_exit_blocked = 8,         ///< some entries need a decision (see the plan); the rest applied
    k_exit_expiring = 9,        ///< status --expiring-within: a managed key expires within it
    k_exit_findings = 10,       ///< audit: a finding at or above --fail-on
    k_exit_sigint = 130,        ///< interrupted by SIGINT
    k_exit_sigterm = 143,       ///< interrupted by SIGTERM
};

}  // namespace provision::cli
