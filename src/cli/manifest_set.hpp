#pragma once
/// A run of plan, apply or status over several manifests (`provision apply a.yaml b.yaml`,
/// `provision plan manifests/`): which manifests the arguments name, one session per manifest,
/// and what the commands' combined reports share. The manifests on one portal with one
/// credential share one client (api/shared_reads.hpp: one identity check, one key listing);
/// each manifest keeps its own state, lock, journal and outputs. The locks are taken in one
/// order, by state location, so two runs of overlapping sets cannot each hold a lock the other
/// waits for. A manifest that fails (invalid, its lock held, its portal unreachable) is
/// reported as such and the others go on; the run exits with the most severe code.

#include "cli/session.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace provision::cli {

/// One manifest of a run of several.
struct ManifestRun {
    std::string file;                ///< as given, or as found in a directory given
    std::optional<Session> session;  ///< empty when it failed before its plan
    int exit_code = k_exit_ok;       ///< its own exit code
    /// Its first error ({"code", "exitCode", "message", "file", "line", "column"}), null if
    /// none: what kept it from its plan, or from being carried out.
    nlohmann::json error;
};

/// Whether `arguments` ask for a run of several manifests: more than one, or a directory.
bool several_manifests(const std::vector<std::string>& arguments);

/// One run per manifest the arguments name: files as given, then for a directory every
/// `*.yaml` and `*.yml` file in it (not in its subdirectories), sorted by name, except those a
/// manifest among them writes as an output; a file named twice runs once. Each is loaded, given
/// its portal's client and prepared (apply::prepare, with its lock when `options` take one),
/// in the order of their state locations. Returns the runs in argument order, or the exit code
/// of a command line refused as a whole (already reported): an option that names one
/// manifest's state or entries (--state, PROVISION_STATE, --target), a directory holding no
/// manifest.
std::variant<std::vector<ManifestRun>, int> open_sessions(const std::vector<std::string>& arguments,
                                                          const GlobalOptions& global,
                                                          const apply::PrepareOptions& options);

/// Records a failure of `run` after its session was opened (an output refused, an interrupted
/// run): reports `message` and keeps it as the run's error (the first one) and exit code.
void fail_run(ManifestRun& run, core::Errc code, const std::string& message);

/// The most severe exit code of the runs (exit_codes.hpp: most_severe).
int combined_exit_code(const std::vector<ManifestRun>& runs);

/// The line that opens a manifest's section of a text report: "==> FILE <==".
std::string section_header(const std::string& file);

/// The text a failed run's section shows: "not planned: MESSAGE (exit N)" and the like.
std::string failure_text(const ManifestRun& run, const std::string& what);

/// Prints every run's section as text on stdout: section_header, its plan (print_plan) or
/// failure_text(run, what), a blank line.
void print_plan_sections(const std::vector<ManifestRun>& runs, const GlobalOptions& global,
                         const std::string& what);

/// {"manifest": FILE, "exitCode": N}, with "error" when the run failed: the start of each
/// element of a combined document's "manifests" array.
nlohmann::json run_json(const ManifestRun& run);

}  // namespace provision::cli
