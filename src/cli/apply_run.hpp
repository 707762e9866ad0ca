#pragma once
/// Carrying out a session's plan, shared by apply, apply PLANFILE, rotate, destroy and import:
/// the outputs preflight, the executor, the report (text or JSON) and the exit code.

#include "cli/manifest_set.hpp"
#include "cli/session.hpp"

namespace provision::cli {

/// Runs the session's plan with the executor (its journal, --concurrency), then compacts the
/// journal. `leave_outputs`: see apply::ApplyOptions.
apply::ApplyReport execute_plan(Session& session, const GlobalOptions& global,
                                bool leave_outputs = false);

/// The "result" object of a run's JSON document.
nlohmann::json report_json(const apply::ApplyReport& report);

/// "<verb> complete: 1 created, 0 updated, ...\n".
std::string report_line(const apply::ApplyReport& report, const std::string& verb);

/// The text report of a run: a blank line, report_line, then each message indented.
std::string report_text(const apply::ApplyReport& report, const std::string& verb);

/// The JSON document of a run: formatVersion, the plan (docs/json-output.md) and the result.
std::string report_document(const apply::ApplyReport& report, const plan::Plan& plan);

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

/// `apply A B ...` or `apply DIR` (manifest_set.hpp): every plan first (text), one question on
/// a terminal for all of them, then each manifest's plan in turn, with its own executor,
/// journal and outputs, so that whatever one manifest meets, what another created is already
/// saved; then the totals, or one JSON document. A manifest that fails leaves the others
/// alone; a SIGINT or SIGTERM stops the manifests not started yet. Returns the most severe
/// exit code.
int execute_several(std::vector<ManifestRun>& runs, const GlobalOptions& global);

}  // namespace provision::cli
