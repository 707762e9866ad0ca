#pragma once
/// Starts a real docspace-emulator on 127.0.0.1 with an OS-chosen port and test controls on,
/// and talks to it over HTTP. Used by the emulator contract tests, the end-to-end tests and the
/// benchmarks (bench/), so it has no Catch2.

#include "process.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace test_support {

struct HttpResult {
    int status = 0;  ///< 0 when no response arrived (connection dropped, refused)
    std::string body;
    std::map<std::string, std::string> headers;  ///< names lower-cased
    nlohmann::json json() const;                 ///< parses body; throws on malformed JSON
    std::string header(const std::string& lower_name) const;  ///< "" when absent
};

class Emulator {
public:
    /// Starts the emulator with `--test-controls --port 0 --port-file <tmp>` plus `extra_args`
    /// and waits (up to 10 s) until it listens. Throws std::runtime_error on failure. Adds
    /// `--server-behavior <server_behavior()>` when that is set and `extra_args` has none.
    explicit Emulator(std::vector<std::string> extra_args = {});
    /// SIGTERM, then SIGKILL after 5 s. Before that (and before stop()), when leak collection
    /// is on, keeps the list of everything it issued (leak_collect.hpp).
    ~Emulator();
    Emulator(const Emulator&) = delete;
    Emulator& operator=(const Emulator&) = delete;

    int port() const { return m_port; }
    std::string url() const;           ///< "http://127.0.0.1:<port>"
    static std::string owner_token();  ///< the known owner session token (the default)
    /// PROVISION_E2E_SERVER_BEHAVIOR ("3.7.2", "latest"), or "" for the emulator's default.
    /// tests/CMakeLists.txt sets it to run the e2e suite against each profile.
    static std::string server_behavior();
    pid_t pid() const;

    /// Plain HTTP calls. `authorization` is the full header value ("" = no header).
    HttpResult request(const std::string& method, const std::string& path,
                       const std::string& authorization = "", const std::string& body = "",
                       const std::string& content_type = "application/json") const;
    HttpResult get(const std::string& path, const std::string& authorization) const;
    HttpResult post(const std::string& path, const nlohmann::json& body,
                    const std::string& authorization) const;
    HttpResult put(const std::string& path, const nlohmann::json& body,
                   const std::string& authorization) const;
    HttpResult del(const std::string& path, const std::string& authorization) const;

    // Test controls (docs/emulator.md, "Test controls").
    void reset() const;
    nlohmann::json state() const;     ///< GET /__emulator/state
    nlohmann::json issued() const;    ///< GET /__emulator/issued
    nlohmann::json requests() const;  ///< GET /__emulator/requests
    void clear_requests() const;
    /// Number of logged requests with this method whose path equals `path`.
    int count_requests(const std::string& method, const std::string& path) const;
    std::string add_fault(const nlohmann::json& rule) const;  ///< returns the rule id
    void clear_faults() const;
    nlohmann::json patch_key(const std::string& id, const nlohmann::json& fields) const;
    int sweep() const;  ///< returns keys deactivated
    /// Creates a user through the public API as the owner and logs in; returns its token.
    std::string create_user(const std::string& email, const std::string& type,
                            const std::string& password = "Passw0rd!") const;
    /// Creates a key as `authorization` and returns the whole create response's `response`.
    nlohmann::json create_key(const std::string& authorization, const nlohmann::json& body) const;

    /// Like request(), with extra request headers (names as given).
    HttpResult request_with(const std::string& method, const std::string& path,
                            const std::map<std::string, std::string>& headers,
                            const std::string& body = "") const;
    /// True when started with `--tls-cert`; url() is then "https://..." and the client trusts
    /// any certificate.
    bool tls() const { return m_tls; }
    /// How long a call waits for a response (default 10 s).
    void set_read_timeout(std::chrono::milliseconds timeout) { m_read_timeout = timeout; }
    /// Everything the emulator wrote to stdout / stderr so far.
    std::string stdout_text() const;
    std::string stderr_text() const;
    /// Stops the emulator with `sig` and returns its exit status as ChildProcess::wait does.
    std::optional<int> stop(int sig, std::chrono::milliseconds timeout);

private:
    void keep_issued_for_leak_check() noexcept;

    TempDir m_dir;
    ChildProcess m_process;
    int m_port = 0;
    bool m_tls = false;
    std::chrono::milliseconds m_read_timeout{10000};
    bool m_issued_kept = false;
};

}  // namespace test_support
