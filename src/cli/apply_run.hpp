#pragma once
/// Carrying out a session's plan, shared by apply, apply PLANFILE and rotate: the outputs
/// preflight, the executor, the report (text or JSON) and the exit code.

#include "cli/session.hpp"

namespace provision::cli {

/// Prints the plan (text mode), executes it when it has anything to do and prints the report.
/// Returns the exit code.
int execute_session(Session& session, const GlobalOptions& global);

/// Exit code for an executor outcome.
int exit_code_for(apply::Outcome outcome);

}  // namespace provision::cli
