#pragma once
/// Child processes and temporary directories for tests and benchmarks that run the real
/// binaries. Part of process_support, which has no Catch2 (tests/support/CMakeLists.txt).

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace test_support {

/// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir(TempDir&&) noexcept;
    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
    std::filesystem::path m_path;
};

struct ProcessResult {
    int exit_code = -1;  ///< -1 when killed by a signal
    int signal = 0;      ///< the terminating signal, if any
    std::string out;     ///< everything written to stdout
    std::string err;     ///< everything written to stderr
};

struct RunOptions {
    std::map<std::string, std::string> env;  ///< added to (or overriding) the test's environment
    std::vector<std::string> unset_env;      ///< removed from the environment
    std::filesystem::path cwd;               ///< empty = inherit
    std::optional<std::string> stdin_text;   ///< nullopt = /dev/null
    std::chrono::seconds timeout{120};       ///< SIGKILL after this; result.signal says so
};

/// Runs argv[0] (a path) to completion, capturing stdout and stderr. A provision run also
/// leaves a leak transcript when collection is on (leak_collect.hpp).
ProcessResult run_process(const std::vector<std::string>& argv, const RunOptions& options = {});

/// A background child whose stdout/stderr go to files; for servers and kill tests. A provision
/// child leaves a leak transcript once reaped when collection is on (leak_collect.hpp).
class ChildProcess {
public:
    ChildProcess() = default;
    ChildProcess(const std::vector<std::string>& argv, const RunOptions& options,
                 const std::filesystem::path& stdout_file,
                 const std::filesystem::path& stderr_file);
    ~ChildProcess();  ///< kills (SIGKILL) and reaps if still running
    ChildProcess(ChildProcess&&) noexcept;
    ChildProcess& operator=(ChildProcess&&) noexcept;

    pid_t pid() const { return m_pid; }
    bool running();
    void signal(int sig) const;
    /// Waits for exit up to `timeout`; returns exit code (or -signal); nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);

private:
    /// A provision run's command line and output files, kept as a leak transcript once it
    /// exits (tests/support/leak_collect.hpp).
    struct Transcript {
        std::vector<std::string> argv;
        std::filesystem::path stdout_file;
        std::filesystem::path stderr_file;
    };
    void reaped(int exit);

    pid_t m_pid = -1;
    std::optional<int> m_exit;  ///< set once reaped: exit code, or -signal
    std::optional<Transcript> m_transcript;
};

/// Full path of the built binaries.
std::string provision_binary();
std::string emulator_binary();

}  // namespace test_support
