#pragma once
/// Carrying out a session's plan, shared by apply, apply PLANFILE, rotate, destroy and import:
/// the outputs preflight, the executor, the report (text or JSON) and the exit code.

#include "cli/session.hpp"

namespace provision::cli {

/// Runs the session's plan with the executor (its journal, --concurrency), then compacts the
/// journal. `leave_outputs`: see apply::ApplyOptions.
apply::ApplyReport execute_plan(Session& session, const GlobalOptions& global,
                                bool leave_outputs = false);

/// Prints the report of a run (text, or JSON with the plan), headed "<verb> complete".
void print_report(const apply::ApplyReport& report, const GlobalOptions& global,
                  const plan::Plan& plan, const std::string& verb = "Apply");

/// The exit code of a finished run: its outcome, or the signal that stopped it.
int exit_code_of(const apply::ApplyReport& report);

/// Prints the plan (text mode), executes it when it has anything to do and prints the report.
/// On a terminal, a plan that deletes, revokes or replaces keys is carried out only after the
/// user types "yes" (unless --auto-approve); without a terminal nothing is asked. Returns the
/// exit code.
int execute_session(Session& session, const GlobalOptions& global);

}  // namespace provision::cli
