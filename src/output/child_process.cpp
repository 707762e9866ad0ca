/// Running helper programs with an explicit environment.
///
/// The argument and environment arrays are built before fork(), so the child only calls
/// async-signal-safe functions: dup2, close_range (or close), sigaction, execve and _exit.
/// The parent feeds stdin and drains stdout and stderr in one poll() loop, so a large input or
/// output can never deadlock on a full pipe. SIGPIPE is ignored while the child runs (a child
/// that exits early makes write() fail with EPIPE instead of killing provision), and restored
/// to the default in the child before exec.

#include "output/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace provision::output::detail {

namespace {

constexpr const char* k_default_path = "/usr/local/bin:/usr/bin:/bin";

std::string path_value() {
    const char* path = std::getenv("PATH");
    return path != nullptr && *path != '\0' ? std::string(path) : std::string(k_default_path);
}

void close_pipe(std::array<int, 2>& p) {
    for (int& fd : p) {
        if (fd >= 0) {
            ::close(fd);
            fd = -1;
        }
    }
}

[[noreturn]] void exec_child(const std::array<int, 2>& in, const std::array<int, 2>& out,
                             const std::array<int, 2>& err, const char* file, char* const* argv,
                             char* const* envp) {
    if (::dup2(in[0], 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0) {
        ::_exit(127);
    }
    if (::close_range(3, ~0U, 0) != 0) {
        for (int fd = 3; fd < 4096; ++fd) {
            ::close(fd);
        }
    }
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &action, nullptr);
    ::execve(file, argv, envp);
    ::_exit(127);
}

/// Feeds `input` and drains both outputs until the child closes them.
void pump(int in_fd, int out_fd, int err_fd, std::string_view input, ChildOutput& result) {
    std::array<pollfd, 3> fds{pollfd{in_fd, POLLOUT, 0}, pollfd{out_fd, POLLIN, 0},
                              pollfd{err_fd, POLLIN, 0}};
    if (input.empty()) {
        ::close(fds[0].fd);
        fds[0].fd = -1;
    }
    std::array<char, 16384> buffer{};
    while (fds[0].fd >= 0 || fds[1].fd >= 0 || fds[2].fd >= 0) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (fds[0].fd >= 0 && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
            const ssize_t n = ::write(fds[0].fd, input.data(), input.size());
            if (n > 0) {
                input.remove_prefix(static_cast<std::size_t>(n));
            }
            if (input.empty() || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                ::close(fds[0].fd);
                fds[0].fd = -1;
            }
        }
        for (std::size_t i = 1; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) == 0) {
                continue;
            }
            const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
            if (n > 0) {
                (i == 1 ? result.out : result.err)
                    .append(buffer.data(), static_cast<std::size_t>(n));
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
            }
        }
    }
    for (auto& p : fds) {
        if (p.fd >= 0) {
            ::close(p.fd);
        }
    }
}

}  // namespace

std::optional<std::filesystem::path> find_program(std::string_view program) {
    const std::string path = path_value();
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find(':', start), path.size());
        const std::string dir = path.substr(start, end - start);
        if (!dir.empty()) {
            const std::filesystem::path candidate = std::filesystem::path(dir) / program;
            if (::access(candidate.c_str(), X_OK) == 0 &&
                !std::filesystem::is_directory(candidate)) {
                return candidate;
            }
        }
        start = end + 1;
    }
    return std::nullopt;
}

std::vector<std::string> minimal_environment(const std::vector<std::string>& also_keep) {
    std::vector<std::string> environment{"PATH=" + path_value()};
    for (const auto& name : also_keep) {
        if (const char* value = std::getenv(name.c_str()); value != nullptr) {
            environment.push_back(name + "=" + value);
        }
    }
    return environment;
}

core::Result<ChildOutput> run_child(const std::filesystem::path& executable,
                                    const std::vector<std::string>& args,
                                    const std::vector<std::string>& environment,
                                    std::string_view input) {
    std::vector<std::string> argv_storage{executable.string()};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::vector<std::string> env_storage = environment;
    std::vector<char*> envp;
    for (auto& e : env_storage) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);

    std::array<int, 2> in{-1, -1};
    std::array<int, 2> out{-1, -1};
    std::array<int, 2> err{-1, -1};
    if (::pipe2(in.data(), O_CLOEXEC) != 0 || ::pipe2(out.data(), O_CLOEXEC) != 0 ||
        ::pipe2(err.data(), O_CLOEXEC) != 0) {
        const int error = errno;
        close_pipe(in);
        close_pipe(out);
        close_pipe(err);
        return core::make_error(core::Errc::io, "cannot create pipes for " +
                                                    executable.filename().string() + ": " +
                                                    std::strerror(error));
    }
    struct sigaction ignore {};
    struct sigaction previous {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &previous);
    const std::string file = executable.string();
    const pid_t pid = ::fork();
    if (pid == 0) {
        exec_child(in, out, err, file.c_str(), argv.data(), envp.data());
    }
    const int fork_error = errno;
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    ChildOutput result;
    if (pid < 0) {
        ::close(in[1]);
        ::close(out[0]);
        ::close(err[0]);
        ::sigaction(SIGPIPE, &previous, nullptr);
        return core::make_error(core::Errc::io, "cannot start " + executable.filename().string() +
                                                    ": " + std::strerror(fork_error));
    }
    pump(in[1], out[0], err[0], input, result);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::sigaction(SIGPIPE, &previous, nullptr);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

}  // namespace provision::output::detail
