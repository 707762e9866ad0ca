// Child processes for tests: fork/exec with the environment and argv prepared before the fork
// (only async-signal-safe calls run in the child), output captured through pipes (run_process)
// or files (ChildProcess), and waitpid polling so every wait has a timeout.
#include "process.hpp"

#include "leak_collect.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace test_support {
namespace {

std::vector<std::string> build_environment(const RunOptions& options) {
    std::map<std::string, std::string> env;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string text = *entry;
        const auto eq = text.find('=');
        if (eq != std::string::npos) {
            env[text.substr(0, eq)] = text.substr(eq + 1);
        }
    }
    for (const auto& name : options.unset_env) {
        env.erase(name);
    }
    for (const auto& [name, value] : options.env) {
        env[name] = value;
    }
    std::vector<std::string> out;
    for (const auto& [name, value] : env) {
        out.push_back(name + "=" + value);
    }
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

/// Forks and execs; in the child, fd 0/1/2 become in_fd/out_fd/err_fd.
pid_t spawn(const std::vector<std::string>& argv, const RunOptions& options, int in_fd, int out_fd,
            int err_fd, const std::vector<int>& close_fds) {
    if (argv.empty()) {
        throw std::invalid_argument("spawn: empty argv");
    }
    std::vector<std::string> args = argv;
    std::vector<std::string> env = build_environment(options);
    std::vector<char*> arg_ptrs = pointers(args);
    std::vector<char*> env_ptrs = pointers(env);
    const std::string cwd = options.cwd.string();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::system_error(errno, std::generic_category(), "fork");
    }
    if (pid == 0) {
        ::dup2(in_fd, 0);
        ::dup2(out_fd, 1);
        ::dup2(err_fd, 2);
        for (const int fd : close_fds) {
            ::close(fd);
        }
        if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
            ::_exit(126);
        }
        ::execve(arg_ptrs[0], arg_ptrs.data(), env_ptrs.data());
        ::_exit(127);
    }
    return pid;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// "exit N" or "signal N", for transcripts.
std::string describe_exit(int code) {
    return code >= 0 ? "exit " + std::to_string(code) : "signal " + std::to_string(-code);
}

int decode_status(int status, ProcessResult* result) {
    if (WIFEXITED(status)) {
        if (result != nullptr) {
            result->exit_code = WEXITSTATUS(status);
        }
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        if (result != nullptr) {
            result->exit_code = -1;
            result->signal = WTERMSIG(status);
        }
        return -WTERMSIG(status);
    }
    return -1;
}

}  // namespace

TempDir::TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "provision-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "mkdtemp");
    }
    m_path = pattern;
}

TempDir::~TempDir() {
    if (!m_path.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
}

TempDir::TempDir(TempDir&& other) noexcept : m_path(std::move(other.m_path)) {
    other.m_path.clear();
}

ProcessResult run_process(const std::vector<std::string>& requested, const RunOptions& options) {
    const std::vector<std::string> argv = leak::traced(requested);
    if (leak::runs_provision(argv)) {
        leak::keep_given(argv, options);
    }
    int out_pipe[2];
    int err_pipe[2];
    int in_pipe[2] = {-1, -1};
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe");
    }
    int in_fd = -1;
    if (options.stdin_text) {
        if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
            throw std::system_error(errno, std::generic_category(), "pipe");
        }
        in_fd = in_pipe[0];
    } else {
        in_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    const pid_t pid = spawn(argv, options, in_fd, out_pipe[1], err_pipe[1], {});
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    ::close(in_fd);
    int write_fd = in_pipe[1];
    std::size_t written = 0;
    if (write_fd >= 0) {
        ::fcntl(write_fd, F_SETFL, O_NONBLOCK);
        if (options.stdin_text->empty()) {
            ::close(write_fd);
            write_fd = -1;
        }
    }

    ProcessResult result;
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    bool out_open = true;
    bool err_open = true;
    bool killed = false;
    char buffer[65536];
    while (out_open || err_open) {
        std::vector<pollfd> fds;
        if (out_open) {
            fds.push_back({out_pipe[0], POLLIN, 0});
        }
        if (err_open) {
            fds.push_back({err_pipe[0], POLLIN, 0});
        }
        if (write_fd >= 0) {
            fds.push_back({write_fd, POLLOUT, 0});
        }
        if (std::chrono::steady_clock::now() >= deadline && !killed) {
            ::kill(pid, SIGKILL);
            killed = true;
        }
        ::poll(fds.data(), fds.size(), 50);
        for (const pollfd& p : fds) {
            if (p.revents == 0) {
                continue;
            }
            if (p.fd == write_fd) {
                const std::string& text = *options.stdin_text;
                const ssize_t n = ::write(write_fd, text.data() + written, text.size() - written);
                if (n > 0) {
                    written += static_cast<std::size_t>(n);
                }
                if (n < 0 || written >= text.size()) {
                    ::close(write_fd);
                    write_fd = -1;
                }
                continue;
            }
            const ssize_t n = ::read(p.fd, buffer, sizeof buffer);
            if (n > 0) {
                (p.fd == out_pipe[0] ? result.out : result.err)
                    .append(buffer, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                (p.fd == out_pipe[0] ? out_open : err_open) = false;
            }
        }
    }
    if (write_fd >= 0) {
        ::close(write_fd);
    }
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    int status = 0;
    while (true) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline && !killed) {
            ::kill(pid, SIGKILL);
            killed = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const int code = decode_status(status, &result);
    if (leak::runs_provision(argv)) {
        leak::keep_transcript(argv, describe_exit(code), result.out, result.err);
    }
    return result;
}

ChildProcess::ChildProcess(const std::vector<std::string>& requested, const RunOptions& options,
                           const std::filesystem::path& stdout_file,
                           const std::filesystem::path& stderr_file) {
    const std::vector<std::string> argv = leak::traced(requested);
    if (leak::runs_provision(argv)) {
        leak::keep_given(argv, options);
        m_transcript = Transcript{argv, stdout_file, stderr_file};
    }
    const int in_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int out_fd = ::open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const int err_fd = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0) {
        throw std::system_error(errno, std::generic_category(), "open child output files");
    }
    m_pid = spawn(argv, options, in_fd, out_fd, err_fd, {});
    ::close(in_fd);
    ::close(out_fd);
    ::close(err_fd);
}

ChildProcess::~ChildProcess() {
    if (running()) {
        ::kill(m_pid, SIGKILL);
        wait(std::chrono::seconds(10));
    }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : m_pid(other.m_pid), m_exit(other.m_exit), m_transcript(std::move(other.m_transcript)) {
    other.m_pid = -1;
    other.m_exit.reset();
    other.m_transcript.reset();
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        if (running()) {
            ::kill(m_pid, SIGKILL);
            wait(std::chrono::seconds(10));
        }
        m_pid = other.m_pid;
        m_exit = other.m_exit;
        m_transcript = std::move(other.m_transcript);
        other.m_pid = -1;
        other.m_exit.reset();
        other.m_transcript.reset();
    }
    return *this;
}

bool ChildProcess::running() {
    if (m_pid <= 0 || m_exit) {
        return false;
    }
    int status = 0;
    const pid_t done = ::waitpid(m_pid, &status, WNOHANG);
    if (done == m_pid) {
        reaped(decode_status(status, nullptr));
        return false;
    }
    return done == 0;
}

void ChildProcess::signal(int sig) const {
    if (m_pid > 0 && !m_exit) {
        ::kill(m_pid, sig);
    }
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    if (m_exit) {
        return m_exit;
    }
    if (m_pid <= 0) {
        return std::nullopt;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        int status = 0;
        const pid_t done = ::waitpid(m_pid, &status, WNOHANG);
        if (done == m_pid) {
            reaped(decode_status(status, nullptr));
            return m_exit;
        }
        if (done < 0) {
            return std::nullopt;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

void ChildProcess::reaped(int exit) {
    m_exit = exit;
    if (m_transcript) {
        leak::keep_transcript(m_transcript->argv, describe_exit(exit),
                              read_file(m_transcript->stdout_file),
                              read_file(m_transcript->stderr_file));
        m_transcript.reset();
    }
}

std::string provision_binary() {
    return PROVISION_BINARY;
}
std::string emulator_binary() {
    return EMULATOR_BINARY;
}

}  // namespace test_support
