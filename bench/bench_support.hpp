#pragma once
/// Shared pieces of the benchmarks: statistics over samples, a wall clock, child processes
/// (run to completion and timed, or a background docspace-emulator on 127.0.0.1 with an
/// OS-chosen port and test controls), and plain HTTP calls to the emulator's control routes.
/// Header-only because every bench/*.cpp is its own executable.

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// Seconds elapsed since `start`.
inline double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The value at quantile q (0..1) of `samples` by nearest rank; 0 for no samples.
inline double quantile(std::vector<double> samples, double q) {
    if (samples.empty()) {
        return 0.0;
    }
    std::sort(samples.begin(), samples.end());
    const double rank = q * static_cast<double>(samples.size() - 1);
    return samples[static_cast<std::size_t>(rank + 0.5)];
}

inline double median(std::vector<double> samples) { return quantile(std::move(samples), 0.5); }

/// The directory holding this executable; the build directory, where provision and
/// docspace-emulator are built too.
inline fs::path build_dir() { return fs::read_symlink("/proc/self/exe").parent_path(); }

/// A fresh directory under the system temp dir (outside any git work tree), removed on exit.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "provision-bench-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        m_path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(m_path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return m_path; }

private:
    fs::path m_path;
};

/// Forks and execs argv with `env` added to the environment; stdout and stderr go to `log`.
inline pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                   const fs::path& log) {
    const pid_t pid = fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        const int null_fd = open("/dev/null", O_RDONLY);
        if (fd >= 0 && null_fd >= 0) {
            dup2(null_fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
        }
        for (const auto& [name, value] : env) {
            setenv(name.c_str(), value.c_str(), 1);
        }
        std::vector<char*> args;
        for (const auto& a : argv) {
            args.push_back(const_cast<char*>(a.c_str()));
        }
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    return pid;
}

struct Timed {
    int exit_code = -1;
    double seconds = 0.0;
    std::string output;  ///< stdout and stderr together
};

/// Runs argv to completion and measures its wall time (fork to reap).
inline Timed run_timed(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env, const fs::path& log) {
    fs::remove(log);
    const auto start = Clock::now();
    const pid_t pid = spawn(argv, env, log);
    int status = 0;
    waitpid(pid, &status, 0);
    Timed t;
    t.seconds = seconds_since(start);
    t.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(log);
    std::ostringstream text;
    text << in.rdbuf();
    t.output = text.str();
    return t;
}

/// A manifest of `count` keys named `prefix` plus a two-digit 1-based index ("Bench Key 01"..),
/// each [files:read] for 30 days, with one dotenv output.
inline std::string keys_manifest(int count, const std::string& prefix) {
    std::string text = "version: 1\n"
                       "portal:\n"
                       "  url: ${DOCSPACE_URL}\n"
                       "  token: ${DOCSPACE_TOKEN}\n"
                       "outputs:\n"
                       "  - path: ../secrets/bench.env\n"
                       "    format: dotenv\n"
                       "keys:\n";
    for (int i = 1; i <= count; ++i) {
        const std::string index = (i < 10 ? "0" : "") + std::to_string(i);
        text += "  - name: " + prefix + " " + index + "\n" +
                "    permissions: [files:read]\n"
                "    expiresInDays: 30\n";
    }
    return text;
}

/// A docspace-emulator child with `--test-controls`, stopped with SIGTERM on destruction.
class Emulator {
public:
    explicit Emulator(const std::vector<std::string>& extra_args) {
        const auto port_file = m_dir.path() / "port";
        std::vector<std::string> argv{(build_dir() / "docspace-emulator").string(),
                                      "--test-controls", "--host", "127.0.0.1", "--port", "0",
                                      "--port-file", port_file.string()};
        argv.insert(argv.end(), extra_args.begin(), extra_args.end());
        m_pid = spawn(argv, {}, m_dir.path() / "emulator.log");
        const auto start = Clock::now();
        while (seconds_since(start) < 10.0) {
            std::ifstream in(port_file);
            int port = 0;
            if (in >> port && port > 0) {
                m_port = port;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
        throw std::runtime_error("docspace-emulator did not start");
    }
    ~Emulator() {
        kill(m_pid, SIGTERM);
        waitpid(m_pid, nullptr, 0);
    }
    Emulator(const Emulator&) = delete;
    Emulator& operator=(const Emulator&) = delete;

    int port() const { return m_port; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    static std::string owner_token() { return "emulator-owner-token"; }

    /// A control-route call; throws unless the answer is 200.
    nlohmann::json control(const std::string& method, const std::string& path,
                           const nlohmann::json& body = nullptr) const {
        httplib::Client client("127.0.0.1", m_port);
        client.set_read_timeout(30, 0);
        const std::string text = body.is_null() ? "" : body.dump();
        auto r = method == "GET"    ? client.Get(path.c_str())
                 : method == "POST" ? client.Post(path.c_str(), text, "application/json")
                                    : client.Delete(path.c_str());
        if (!r || r->status != 200) {
            throw std::runtime_error(method + " " + path + " failed");
        }
        return nlohmann::json::parse(r->body);
    }

    /// Adds `latency_ms` to every API request (not to the control routes).
    void add_latency(int latency_ms) const {
        control("POST", "/__emulator/faults",
                {{"method", "*"}, {"path", "/api/2.0/*"}, {"action", "latency"},
                 {"latencyMs", latency_ms}, {"times", 0}});
    }
    /// Logged requests with this method and exact path.
    int count_requests(const std::string& method, const std::string& path) const {
        int n = 0;
        for (const auto& r : control("GET", "/__emulator/requests")) {
            n += (r.at("method") == method && r.at("path") == path) ? 1 : 0;
        }
        return n;
    }
    /// Keys on the portal, and how many distinct names they carry.
    std::pair<std::size_t, std::size_t> key_counts() const {
        const auto keys = control("GET", "/__emulator/state").at("keys");
        std::vector<std::string> names;
        for (const auto& k : keys) {
            names.push_back(k.at("name").get<std::string>());
        }
        std::sort(names.begin(), names.end());
        const auto distinct = static_cast<std::size_t>(
            std::unique(names.begin(), names.end()) - names.begin());
        return {keys.size(), distinct};
    }

private:
    TempDir m_dir;
    pid_t m_pid = -1;
    int m_port = 0;
};

}  // namespace bench
