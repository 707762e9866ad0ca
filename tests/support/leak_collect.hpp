#pragma once
/// Suite-wide leak collection (reliability F.20). When the environment variable
/// PROVISION_E2E_LEAK_DIR names a directory (tests/CMakeLists.txt sets it for every e2e test),
/// every run of the provision binary the tests start, through run_process or ChildProcess, gets
/// `--log-level trace` and leaves a transcript of what it wrote to stdout and stderr there;
/// every emulator leaves the list of every secret and token it issued; every such run leaves
/// the credentials the test handed it (token, import secret, age identity); every e2e project
/// leaves its files other than the secret outputs. tests/leak/leak_check then searches the
/// transcripts and files for those secrets. With the variable unset, all of this does nothing.

#include "process.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace test_support::leak {

/// Names the running test in transcripts. The Catch2 main (catch_main.cpp) sets it, so this
/// file needs no Catch2 and the benchmarks can share it; unset, transcripts say "(no test)".
void set_test_name_source(std::string (*source)());

/// The collection directory, or nullopt when collection is off.
std::optional<std::filesystem::path> directory();

/// `argv` with `--log-level trace` added to the provision command it runs, whether provision
/// is argv[0] or is started by a shell command line in one of the arguments (`script -c`).
/// Unchanged when collection is off, when it runs no provision, or when it sets a level itself.
std::vector<std::string> traced(std::vector<std::string> argv);

/// True when `argv` runs the provision binary (as argv[0] or inside a shell command line).
bool runs_provision(const std::vector<std::string>& argv);

/// Keeps one run's transcript: the test's name, the command line, the exit status, stdout and
/// stderr (transcripts/<pid>-<n>.txt). Does nothing when collection is off.
void keep_transcript(const std::vector<std::string>& argv, const std::string& status,
                     const std::string& out, const std::string& err);

/// Keeps the credentials a provision run is handed (issued/<pid>-<n>.json, as "given"): the
/// DOCSPACE_TOKEN and PROVISION_IMPORT_SECRET values, the secret part of an age identity in
/// PROVISION_AGE_IDENTITY or PROVISION_AGE_IDENTITY_FILE, and standard input when argv asks
/// for a token or secret there. Values shorter than 8 characters are not worth searching for.
void keep_given(const std::vector<std::string>& argv, const RunOptions& options);

/// Keeps an emulator's `GET /__emulator/issued` answer (issued/<pid>-<n>.json).
void keep_issued(const nlohmann::json& issued);

/// Copies every regular file under `root`, except those under the subdirectories named in
/// `skip` (the secret outputs, .git), to files/<pid>-<n>/.
void keep_files(const std::filesystem::path& root, const std::vector<std::string>& skip);

}  // namespace test_support::leak
