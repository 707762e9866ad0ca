#pragma once
// Helpers for the fault matrix (fault_matrix_e2e_test.cpp): one apply with its wall time and the
// requests the portal saw, request-log checks that hold for any concurrency, the keys a run
// revoked, the journal's pending intents, and a TCP gate that stops accepting connections.

#include "e2e_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <sstream>

namespace e2e::faults {

using nlohmann::json;

inline const std::string k_keys = "/api/2.0/keys";

/// A fault rule on POST /api/2.0/keys with `action`, firing once, plus `extra` fields.
inline json on_create(const std::string& action, json extra = json::object()) {
    json rule = {{"method", "POST"}, {"path", k_keys}, {"action", action}};
    rule.update(extra);
    return rule;
}

/// One provision run and what the portal saw while it ran.
struct Run {
    ProcessResult result;
    json log;            ///< the emulator's request log (cleared before the run)
    double seconds = 0;  ///< wall time of the run
};

/// `provision apply <manifest> --concurrency N [flags]`, timed, with the request log of the run.
inline Run apply(const Project& project, int concurrency, std::vector<std::string> flags = {}) {
    project.emulator.clear_requests();
    flags.insert(flags.begin(), {"--concurrency", std::to_string(concurrency)});
    const auto started = std::chrono::steady_clock::now();
    Run run{project.command("apply", flags), json::array(), 0};
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    run.log = project.emulator.requests();
    return run;
}

/// "METHOD path" of a logged request, a key id in the path written `{id}`.
inline std::string shape(const json& request) {
    std::string path = request.at("path").get<std::string>();
    const std::string prefix = k_keys + "/";
    if (path.rfind(prefix, 0) == 0 && path != prefix + "@self" && path != prefix + "permissions") {
        path = prefix + "{id}";
    }
    return request.at("method").get<std::string>() + " " + path;
}

inline std::vector<std::string> shapes(const json& log) {
    std::vector<std::string> out;
    for (const auto& request : log) {
        out.push_back(shape(request));
    }
    return out;
}

inline std::string describe(const json& log) {
    std::ostringstream text;
    for (const auto& r : log) {
        text << "  #" << r.at("seq") << ' ' << shape(r) << " -> " << r.at("status")
             << (r.contains("fault") ? " (fault " + r.at("fault").get<std::string>() + ")" : "")
             << '\n';
    }
    return text.str();
}

/// How many of `expected`'s first requests observe the portal: the reads of the credential's
/// user, the portal's identity and the key list (with their retries), which provision sends
/// together once every local file has been read.
inline std::size_t observation_reads(const std::vector<std::string>& expected) {
    const std::set<std::string> reads = {"GET /api/2.0/people/@self", "GET /api/2.0/portal",
                                         "GET " + k_keys};
    std::size_t n = 0;
    while (n < expected.size() && reads.contains(expected[n])) {
        ++n;
    }
    return n;
}

/// The requests sent, as shapes. The reads that observe the portal come first, in any order
/// among themselves; after them, exactly this order when one action runs at a time, and with
/// more, the same multiset.
inline void check_requests(const json& log, int concurrency,
                           const std::vector<std::string>& expected) {
    INFO("requests the portal saw:\n" << describe(log));
    const auto seen = shapes(log);
    const auto reads = static_cast<std::ptrdiff_t>(observation_reads(expected));
    REQUIRE(seen.size() >= static_cast<std::size_t>(reads));
    CHECK(std::multiset<std::string>(seen.begin(), seen.begin() + reads) ==
          std::multiset<std::string>(expected.begin(), expected.begin() + reads));
    const std::vector<std::string> seen_rest(seen.begin() + reads, seen.end());
    const std::vector<std::string> expected_rest(expected.begin() + reads, expected.end());
    if (concurrency == 1) {
        CHECK(seen_rest == expected_rest);
        return;
    }
    CHECK(std::multiset<std::string>(seen_rest.begin(), seen_rest.end()) ==
          std::multiset<std::string>(expected_rest.begin(), expected_rest.end()));
}

inline int count(const json& log, const std::string& method, const std::string& path,
                 std::optional<int> status = std::nullopt) {
    return static_cast<int>(std::count_if(log.begin(), log.end(), [&](const json& r) {
        return r.at("method") == method && r.at("path") == path &&
               (!status || r.at("status").get<int>() == *status);
    }));
}

/// The request fault rule `id` fired on (fails the test when it fired on none).
inline json fired_on(const json& log, const std::string& id) {
    for (const auto& r : log) {
        if (r.value("fault", "") == id) {
            return r;
        }
    }
    FAIL("fault rule " << id << " fired on no request:\n" << describe(log));
    return json();
}

/// Seq of the first request after `seq` of this shape, or 0.
inline std::uint64_t next_after(const json& log, std::uint64_t seq, const std::string& wanted) {
    for (const auto& r : log) {
        if (r.at("seq").get<std::uint64_t>() > seq && shape(r) == wanted) {
            return r.at("seq").get<std::uint64_t>();
        }
    }
    return 0;
}

/// Waits until the log holds `n` requests: one a `silent` rule holds is logged when released.
inline json wait_for_log(const Emulator& emu, std::size_t n, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    json log = emu.requests();
    while (log.size() < n && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
        log = emu.requests();
    }
    return log;
}

/// Keys the emulator issued that are gone from the portal now.
inline std::vector<json> gone_keys(const Emulator& emu) {
    std::set<std::string> present;
    const auto state = emu.state();
    for (const auto& key : state.at("keys")) {
        present.insert(key.at("id").get<std::string>());
    }
    std::vector<json> gone;
    const auto issued = emu.issued();
    for (const auto& key : issued.at("keys")) {
        if (present.count(key.at("id").get<std::string>()) == 0) {
            gone.push_back(key);
        }
    }
    return gone;
}

/// Every key the emulator issued that is gone was revoked by provision in `log` (a successful
/// DELETE of its id), and its secret no longer authenticates.
inline void check_gone_keys_revoked(const Emulator& emu, const json& log) {
    for (const auto& key : gone_keys(emu)) {
        const std::string id = key.at("id").get<std::string>();
        INFO("key '" << key.at("name").get<std::string>() << "' id " << id);
        CHECK(count(log, "DELETE", k_keys + "/" + id, 200) == 1);
        CHECK(self_with(emu, key.at("secret").get<std::string>()).status == 401);
    }
}

/// The entries of the journal's intents that no "done" or "resolved" record settled.
inline std::vector<std::string> pending_intents(const Project& project) {
    std::map<std::uint64_t, std::string> pending;
    std::istringstream lines(read_text(project.state_file().string() + ".journal"));
    std::string line;
    while (std::getline(lines, line)) {
        const auto record = json::parse(line, nullptr, false);
        if (record.is_discarded() || !record.is_object()) {
            continue;
        }
        const auto seq = record.value("seq", std::uint64_t{0});
        const std::string op = record.value("op", "");
        if (op == "intent") {
            pending[seq] = record.value("entry", "");
        } else if (op == "done" || op == "resolved") {
            pending.erase(seq);  // a "watch" record keeps the intent pending
        }
    }
    std::vector<std::string> entries;
    for (const auto& [seq, entry] : pending) {
        entries.push_back(entry);
    }
    return entries;
}

/// Waits up to `timeout` until the file contains `text`.
inline bool wait_for_text(const fs::path& file, const std::string& text,
                          std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (read_text(file).find(text) == std::string::npos) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

/// A TCP relay on 127.0.0.1 in front of the emulator that forwards the first `open_for`
/// connections and then stops accepting until reopen(): it fills its accept queue (listen
/// backlog open_for - 1, so `open_for` connections made at once all fit) itself, so the kernel
/// drops every further SYN and a client's connect gets no answer at all, as from a portal that
/// never accepts. After reopen() it forwards
/// every connection again. (A blackhole address is no use here: on loopback an unroutable or
/// closed port answers at once with a reset.)
class TcpGate {
public:
    TcpGate(int target_port, int open_for) : m_target(target_port), m_open_for(open_for) {
        m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr = loopback(0);
        REQUIRE(::bind(m_listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(m_listener, open_for - 1) == 0);
        socklen_t size = sizeof addr;
        REQUIRE(::getsockname(m_listener, reinterpret_cast<sockaddr*>(&addr), &size) == 0);
        m_port = ntohs(addr.sin_port);
        m_acceptor = std::thread([this] { accept_loop(); });
    }
    ~TcpGate() {
        m_stop = true;
        m_acceptor.join();
        for (auto& thread : m_relays) {
            thread.join();
        }
        ::close(m_listener);
        for (const int filler : m_fillers) {
            ::close(filler);
        }
    }
    TcpGate(const TcpGate&) = delete;
    TcpGate& operator=(const TcpGate&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    bool closed() const { return m_closed; }
    void reopen() { m_reopen = true; }

private:
    static sockaddr_in loopback(int port) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return addr;
    }

    void accept_loop() {
        int accepted = 0;
        while (!m_stop) {
            if (accepted == m_open_for && !m_closed && !m_reopen) {
                // Fill the accept queue (backlog + 1 slots): from now on the kernel drops new
                // SYNs.
                bool filled = true;
                for (int i = 0; i < m_open_for && filled; ++i) {
                    m_fillers.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
                    sockaddr_in addr = loopback(m_port);
                    filled = ::connect(m_fillers.back(), reinterpret_cast<sockaddr*>(&addr),
                                       sizeof addr) == 0;
                }
                m_closed = filled;
            }
            if (m_closed && !m_reopen) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                continue;
            }
            for (const int filler : m_fillers) {
                ::close(filler);  // reopened: the fillers, accepted next, just end
            }
            m_fillers.clear();
            pollfd p{m_listener, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) {
                continue;
            }
            const int client = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) {
                continue;
            }
            ++accepted;
            m_relays.emplace_back([this, client] { relay(client); });
        }
    }

    void relay(int client) {
        const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr = loopback(m_target);
        if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
            pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
            char buffer[16384];
            bool open = true;
            while (open && !m_stop) {
                if (::poll(fds, 2, 50) <= 0) {
                    continue;
                }
                for (int i = 0; i < 2 && open; ++i) {
                    if (fds[i].revents == 0) {
                        continue;
                    }
                    const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
                    open =
                        n > 0 && ::write(fds[1 - i].fd, buffer, static_cast<std::size_t>(n)) == n;
                }
            }
        }
        ::close(server);
        ::close(client);
    }

    int m_target;
    int m_open_for;
    int m_listener = -1;
    std::vector<int> m_fillers;
    int m_port = 0;
    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_closed{false};
    std::atomic<bool> m_reopen{false};
    std::thread m_acceptor;
    std::vector<std::thread> m_relays;  ///< touched only by accept_loop until it has ended
};

}  // namespace e2e::faults
