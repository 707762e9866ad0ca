// The Terraform HTTP backend protocol as a state backend, against tests/support/
// tf_state_server.py (written from Terraform's documented protocol) and the real emulator:
// runs in scratch directories that share one state, as ephemeral CI runners do.

#include "shared_state_support.hpp"

#include <set>

using namespace e2e;

namespace {

const char* const k_user = "ci";
const char* const k_password = "http-backend-password-7";

/// A running protocol server requiring basic authentication.
struct StateServer {
    TempDir dir;
    test_support::ChildProcess child;
    std::string base;

    StateServer() {
        RunOptions options;
        child = test_support::ChildProcess({"/usr/bin/python3",
                                            PROJECT_SOURCE_DIR "/tests/support/tf_state_server.py",
                                            "--user", k_user, "--password", k_password},
                                           options, dir.path() / "out", dir.path() / "err");
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (read_text(dir.path() / "out").find('\n') == std::string::npos &&
               std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        const std::string out = read_text(dir.path() / "out");
        REQUIRE(out.find('\n') != std::string::npos);
        base = "http://127.0.0.1:" + out.substr(0, out.find('\n'));
    }
};

/// A project whose state is `name` on the server, the lock at the same address.
RunOptions http_env(const Project& project, const StateServer& server, const std::string& name) {
    auto options = project.env();
    options.env["PROVISION_STATE"] = server.base + "/state/" + name;
    options.env["PROVISION_HTTP_LOCK_ADDRESS"] = server.base + "/state/" + name;
    options.env["PROVISION_HTTP_USERNAME"] = k_user;
    options.env["PROVISION_HTTP_PASSWORD"] = k_password;
    return options;
}

}  // namespace

TEST_CASE("two applies at once sharing an HTTP backend state make one set of keys",
          "[e2e][http-state]") {
    StateServer server;
    Emulator emu;
    TempDir keys;
    const auto key = make_sealing_key(keys.path());
    emu.add_fault({{"method", "POST"},
                   {"path", "/api/2.0/keys"},
                   {"action", "latency"},
                   {"latencyMs", 1500},
                   {"times", 1}});

    SECTION("the second waits, then writes its outputs from the sealed store") {
        Project first(emu, sealed_manifest(key.recipient));
        Project second(emu, sealed_manifest(key.recipient));
        check_waiting_applies_share_keys(emu, key, first, http_env(first, server, "waits"), second,
                                         http_env(second, server, "waits"));
    }

    SECTION("without --lock-timeout the second is refused and names the holder") {
        Project first(emu);
        Project second(emu);
        const auto runs = apply_at_once(first, http_env(first, server, "refused"), second,
                                        http_env(second, server, "refused"));
        CHECK(std::set<int>{runs.first, runs.second} == std::set<int>{0, 4});
        const std::string& refused = runs.err_of(4);
        INFO(refused);
        CHECK(refused.find("another run holds the lock of " + server.base +
                           "/state/refused (pid ") != std::string::npos);
        CHECK(refused.find("lock ID ") != std::string::npos);
        CHECK(emu.count_requests("POST", "/api/2.0/keys") == 3);
        CHECK(emu.state().at("keys").size() == 3);
        // The lock was released at the end of the run: the next one takes it at once.
        Project third(emu);
        const auto next =
            third.run({"apply", third.manifest.string()}, http_env(third, server, "refused"));
        INFO(next.out << next.err);
        CHECK(next.err.find("another run holds the lock") == std::string::npos);
        CHECK(emu.count_requests("POST", "/api/2.0/keys") == 3);
    }
}

TEST_CASE("an HTTP state backend refusing the credentials: exit 1, portal untouched",
          "[e2e][http-state]") {
    StateServer server;
    Emulator emu;
    Project project(emu);
    auto env = http_env(project, server, "refused-credentials");
    env.env["PROVISION_HTTP_PASSWORD"] = "wrong-http-password-3";
    const auto run = project.run({"apply", project.manifest.string()}, env);
    INFO(run.err);
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("HTTP 401") != std::string::npos);
    CHECK(run.err.find("PROVISION_HTTP_PASSWORD") != std::string::npos);
    CHECK(run.err.find("wrong-http-password-3") == std::string::npos);
    CHECK(project.posts() == 0);
    CHECK(emu.state().at("keys").empty());
}
