// docs/emulator.md "Starting it": the command line, the listening line, HTTPS, persistence,
// shutdown and the request-level options.
#include "helpers.hpp"

#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

using namespace emulator_test;
using test_support::ChildProcess;
using test_support::RunOptions;
using test_support::TempDir;

namespace {

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Starts the emulator without the fixture's defaults; returns its port.
int start_raw(ChildProcess& process, const TempDir& dir, std::vector<std::string> args,
              const RunOptions& options = {}) {
    std::vector<std::string> argv{test_support::emulator_binary(), "--port-file",
                                  (dir / "port").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    process = ChildProcess(argv, options, dir / "out", dir / "err");
    for (int i = 0; i < 500; ++i) {
        const std::string text = read_text(dir / "port");
        if (!text.empty() && text.back() == '\n') {
            return std::stoi(text);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("the emulator did not start: " << read_text(dir / "err"));
    return 0;
}

int raw_get(int port, const std::string& path, const std::string& authorization) {
    httplib::Client client("127.0.0.1", port);
    const httplib::Headers headers{{"Authorization", authorization}};
    const auto result = client.Get(path.c_str(), headers);
    return result ? result->status : 0;
}

}  // namespace

TEST_CASE("the emulator prints exactly one listening line and writes the port file", "[server]") {
    Emulator emulator;
    CHECK(emulator.stdout_text() == "docspace-emulator listening on http://127.0.0.1:" +
                                        std::to_string(emulator.port()) + "\n");
}

TEST_CASE("the emulator listens with a backlog that takes a burst of connections, not "
          "cpp-httplib's 5",
          "[server]") {
    Emulator emulator;
    // ss lists a listening socket as "LISTEN <queued> <backlog> <address> <peer>".
    const auto listed = test_support::run_process(
        {"/usr/bin/ss", "-ltnH", "sport = :" + std::to_string(emulator.port())});
    REQUIRE(listed.exit_code == 0);
    std::istringstream fields(listed.out);
    std::string state;
    long queued = -1;
    long backlog = -1;
    fields >> state >> queued >> backlog;
    CHECK(state == "LISTEN");
    CHECK(backlog >= 128);
}

TEST_CASE("the help text documents every option", "[server]") {
    const auto result = test_support::run_process({test_support::emulator_binary(), "--help"});
    CHECK(result.exit_code == 0);
    for (const char* flag : {"--host",
                             "--port",
                             "--port-file",
                             "--tls-cert",
                             "--tls-key",
                             "--threads",
                             "--utc-offset",
                             "--owner-email",
                             "--owner-password",
                             "--owner-token",
                             "--limited-access-for-users",
                             "--rate-limit",
                             "--rate-limit-count",
                             "--rate-limit-window",
                             "--sweep-interval",
                             "--state-file",
                             "--max-body",
                             "--test-controls",
                             "--log-requests",
                             "--server-behavior",
                             "--tenant-id",
                             "--tenant-alias"}) {
        CHECK(result.out.find(flag) != std::string::npos);
    }
}

TEST_CASE("an invalid UTC offset option is refused at start-up", "[server]") {
    const auto result =
        test_support::run_process({test_support::emulator_binary(), "--utc-offset", "3 hours"});
    CHECK(result.exit_code != 0);
    CHECK(result.err.find("--utc-offset") != std::string::npos);
}

TEST_CASE("without the test-controls flag every /__emulator/ route is 404", "[server][controls]") {
    TempDir dir;
    ChildProcess process;
    const int port = start_raw(process, dir, {});
    CHECK(raw_get(port, "/__emulator/state", "") == 404);
    CHECK(raw_get(port, k_keys, Emulator::owner_token()) == 200);
    process.signal(SIGTERM);
    CHECK(process.wait(std::chrono::seconds(5)) == 0);
}

TEST_CASE("EMULATOR_OWNER_TOKEN sets the owner's start-up session token", "[server][auth]") {
    TempDir dir;
    ChildProcess process;
    RunOptions options;
    options.env["EMULATOR_OWNER_TOKEN"] = "from-the-environment";
    const int port = start_raw(process, dir, {}, options);
    CHECK(raw_get(port, k_keys, "from-the-environment") == 200);
    CHECK(raw_get(port, k_keys, Emulator::owner_token()) == 401);
}

TEST_CASE("the owner email, password and token options configure the start-up owner",
          "[server][auth]") {
    Emulator emulator({"--owner-token", "tok-123", "--owner-email", "boss@example.com",
                       "--owner-password", "pw"});
    CHECK(emulator.get(k_keys, "tok-123").status == 200);
    CHECK(emulator.get(k_keys, owner_auth()).status == 401);
    CHECK(emulator
              .post("/api/2.0/authentication",
                    {{"userName", "boss@example.com"}, {"password", "pw"}}, "")
              .status == 200);
}

TEST_CASE("SIGTERM and SIGINT stop the emulator cleanly with exit code 0", "[server]") {
    for (const int sig : {SIGTERM, SIGINT}) {
        Emulator emulator;
        REQUIRE(emulator.get(k_keys, owner_auth()).status == 200);
        CHECK(emulator.stop(sig, std::chrono::seconds(5)) == 0);
    }
}

TEST_CASE("shutdown is not held up by a connection that a silent fault keeps open",
          "[server][faults]") {
    Emulator emulator;
    emulator.add_fault(
        {{"method", "GET"}, {"path", k_keys}, {"action", "silent"}, {"latencyMs", 60000}});
    auto pending = std::async(std::launch::async,
                              [&emulator] { return emulator.get(k_keys, owner_auth()).status; });
    // Wait until the request is being held.
    for (int i = 0; i < 200 && !emulator.get("/__emulator/faults", "").json().empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(emulator.stop(SIGTERM, std::chrono::seconds(5)) == 0);
    CHECK(pending.get() == 0);
}

TEST_CASE("a state file keeps users and keys across a restart", "[server][persistence]") {
    TempDir dir;
    const std::string file = (dir / "state.json").string();
    std::string token;
    json key;
    {
        Emulator emulator({"--state-file", file});
        token = emulator.create_user("u@example.com", "User");
        key = emulator.create_key("Bearer " + token, {{"name", "kept"}, {"expiresInDays", 9}});
    }
    const json saved = json::parse(read_text(file));
    REQUIRE(saved.at("keys").size() == 1);
    CHECK(saved.at("keys").at(0).at("id") == key.at("id"));
    Emulator restarted({"--state-file", file});
    CHECK(restarted.get(k_keys, key_auth(key)).status == 200);
    const json entry = listed(restarted, key.at("id"), "Bearer " + token);
    CHECK(entry.at("name") == "kept");
    CHECK(to_ticks(entry.at("expiresAt")) == to_ticks(saved.at("keys").at(0).at("expiresAt")));
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& item : std::filesystem::directory_iterator(dir.path())) {
        ++files;
    }
    CHECK(files == 1);
}

TEST_CASE("HTTPS with a certificate and key serves the same API", "[server][tls]") {
    TempDir dir;
    const std::string cert = (dir / "cert.pem").string();
    const std::string key_file = (dir / "key.pem").string();
    const auto made = test_support::run_process({"/usr/bin/openssl", "req", "-x509", "-newkey",
                                                 "rsa:2048", "-nodes", "-keyout", key_file, "-out",
                                                 cert, "-days", "1", "-subj", "/CN=127.0.0.1"});
    REQUIRE(made.exit_code == 0);
    Emulator emulator({"--tls-cert", cert, "--tls-key", key_file});
    REQUIRE(emulator.tls());
    CHECK(emulator.stdout_text() == "docspace-emulator listening on https://127.0.0.1:" +
                                        std::to_string(emulator.port()) + "\n");
    const HttpResult created = emulator.post(k_keys, {{"name", "tls"}}, owner_auth());
    REQUIRE(created.status == 200);
    CHECK(created.json().at("links").at(0).at("href").get<std::string>().rfind("https://", 0) == 0);
    CHECK(raw_get(emulator.port(), k_keys, Emulator::owner_token()) != 200);
}

TEST_CASE("request bodies larger than the max-body option get 413", "[server]") {
    Emulator emulator({"--max-body", "1000"});
    const HttpResult result =
        emulator.post(k_keys, {{"name", "k"}, {"padding", std::string(2000, 'p')}}, owner_auth());
    CHECK(result.status == 413);
    CHECK(emulator.state().at("keys").empty());
}

TEST_CASE("request logging prints one line per request and never a secret", "[server]") {
    Emulator emulator({"--log-requests"});
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}});
    REQUIRE(emulator.get(k_keys, key_auth(key)).status == 200);
    const std::string log = emulator.stderr_text();
    CHECK(log.find("POST /api/2.0/keys -> 200") != std::string::npos);
    CHECK(log.find("GET /api/2.0/keys -> 200") != std::string::npos);
    CHECK(log.find(key.at("key").get<std::string>()) == std::string::npos);
    CHECK(log.find(Emulator::owner_token()) == std::string::npos);
}

TEST_CASE("with several worker threads the emulator answers parallel slow requests", "[server]") {
    Emulator emulator({"--threads", "4"});
    emulator.add_fault({{"method", "GET"},
                        {"path", k_keys},
                        {"action", "latency"},
                        {"latencyMs", 100},
                        {"times", 0}});
    std::vector<std::future<int>> calls;
    for (int i = 0; i < 8; ++i) {
        calls.push_back(std::async(
            std::launch::async, [&emulator] { return emulator.get(k_keys, owner_auth()).status; }));
    }
    for (auto& call : calls) {
        CHECK(call.get() == 200);
    }
    CHECK(emulator.count_requests("GET", k_keys) == 8);
}
