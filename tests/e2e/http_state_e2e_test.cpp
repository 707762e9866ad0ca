// The Terraform HTTP backend protocol as a state backend, against tests/support/
// tf_state_server.py (written from Terraform's documented protocol) and the real emulator:
// runs in scratch directories that share one state, as ephemeral CI runners do; the lock a
// SIGKILLed run leaves and `provision state unlock`; destroy removing the state wherever it
// lives; credentials in the address.

#include "http_state_support.hpp"
#include "lifecycle_support.hpp"

#include <httplib.h>

#include <csignal>
#include <set>

using namespace e2e;

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

TEST_CASE("a SIGKILLed apply leaves the HTTP lock held: the next run is refused naming it, "
          "state unlock releases it, and the next apply converges",
          "[e2e][http-state][kill]") {
    StateServer server;
    Emulator emu;
    // Killed while it waits for the answer to its first create.
    Project killed(emu);
    auto child = apply_with_create_in_flight(emu, killed, http_env(killed, server, "killed"));
    child.signal(SIGKILL);
    REQUIRE(child.wait(std::chrono::seconds(30)).has_value());
    // The portal commits the create the killed run never heard the answer of.
    wait_for_posts(emu, 1);

    // Another runner: refused, told the lock's ID, its holder and the command to release it.
    Project next(emu);
    const auto env = http_env(next, server, "killed");
    const auto refused = next.run({"apply", next.manifest.string()}, env);
    INFO(refused.err);
    CHECK(refused.exit_code == 4);
    const std::string id = lock_id_in(refused.err);
    REQUIRE_FALSE(id.empty());
    CHECK(contains(refused.err, "another run holds the lock of " + server.base +
                                    "/state/killed (pid " + std::to_string(child.pid()) + " on "));
    CHECK(contains(refused.err, "taken 20"));
    CHECK(contains(refused.err,
                   "`provision state unlock " + next.manifest.string() + " " + id + "`"));
    CHECK(emu.count_requests("POST", "/api/2.0/keys") == 1);

    check_dead_lock_released(emu, next, env, id, [&](const std::string& lock) {
        return std::vector<std::string>{"state", "unlock", next.manifest.string(), lock};
    });
}

TEST_CASE("on a terminal state unlock shows the lock and releases it only on 'yes'",
          "[e2e][http-state]") {
    StateServer server;
    Emulator emu;
    Project project(emu);
    auto env = http_env(project, server, "terminal");
    // A lock nobody will release, taken as a run would take it.
    httplib::Client client("127.0.0.1", server.port);
    client.set_basic_auth(k_user, k_password);
    const std::string id = "6f1c2a9e-3b7d-4e52-a1f0-9c8d7e6b5a43";
    const nlohmann::json info = {{"ID", id},         {"Operation", "OperationTypeApply"},
                                 {"Info", ""},       {"Who", "ci@runner-7"},
                                 {"Version", "1.0"}, {"Created", "2026-07-01T12:00:00Z"},
                                 {"Path", ""}};
    const auto locked = client.send([&] {
        httplib::Request request;
        request.method = "LOCK";
        request.path = "/state/terminal";
        request.body = info.dump();
        request.set_header("Content-Type", "application/json");
        return request;
    }());
    REQUIRE(locked);
    REQUIRE(locked->status == 200);
    const auto command = [&](const std::string& answer) {
        env.stdin_text = answer + "\n";
        const std::string line = test_support::provision_binary() + " state unlock '" +
                                 project.manifest.string() + "' " + id;
        return test_support::run_process({"/usr/bin/script", "-qec", line, "/dev/null"}, env);
    };
    const auto declined = command("no");
    INFO(declined.out << declined.err);
    CHECK(declined.exit_code == 1);
    CHECK(contains(declined.out, "lock ID " + id +
                                     ", held by ci@runner-7, taken "
                                     "2026-07-01T12:00:00Z, for OperationTypeApply"));
    CHECK(contains(declined.out, "Type 'yes' to unlock"));
    CHECK(project.run({"apply", project.manifest.string()}, env).exit_code == 4);
    const auto accepted = command("yes");
    INFO(accepted.out << accepted.err);
    CHECK(accepted.exit_code == 0);
    CHECK(contains(accepted.out, "released lock ID " + id));
    CHECK(project.run({"apply", project.manifest.string()}, env).exit_code == 0);
}

TEST_CASE("destroy removes the state wherever it lives: the HTTP document, the state file with "
          "its sealed secrets and journal",
          "[e2e][http-state][destroy]") {
    Emulator emu;
    TempDir keys;
    const auto key = make_sealing_key(keys.path());

    SECTION("HTTP: the document is deleted under the lock, and the lock released") {
        StateServer server;
        Project project(emu, sealed_manifest(key.recipient));
        const auto env = http_env(project, server, "destroyed");
        REQUIRE(project.run({"apply", project.manifest.string()}, env).exit_code == 0);
        REQUIRE(server.get_status("/state/destroyed") == 200);
        const auto destroyed =
            project.run({"destroy", project.manifest.string(), "--auto-approve"}, env);
        INFO(destroyed.out << destroyed.err);
        CHECK(destroyed.exit_code == 0);
        CHECK(contains(destroyed.out, "the state (" + server.base +
                                          "/state/destroyed) were "
                                          "removed"));
        CHECK(server.get_status("/state/destroyed") == 404);
        CHECK(emu.state().at("keys").empty());
        CHECK_FALSE(fs::exists(project.state_file()));
        // Nothing is left locked: the next run starts afresh at once.
        const auto next = project.run({"apply", project.manifest.string()}, env);
        INFO(next.out << next.err);
        CHECK(next.exit_code == 0);
        CHECK(keys_by_name(emu).size() == 3);
    }

    SECTION("file: the state, its sealed secrets and its emptied journal go; a state file "
            "elsewhere is never touched") {
        Project project(emu, sealed_manifest(key.recipient));
        REQUIRE(project.command("apply").exit_code == 0);
        const fs::path sealed = project.state_file().string() + ".sealed.json";
        const fs::path journal = project.state_file().string() + ".journal";
        REQUIRE(fs::exists(sealed));
        REQUIRE(fs::exists(journal));
        const auto destroyed = project.command("destroy", {"--auto-approve"});
        INFO(destroyed.out << destroyed.err);
        CHECK(destroyed.exit_code == 0);
        CHECK_FALSE(fs::exists(project.state_file()));
        CHECK_FALSE(fs::exists(sealed));
        CHECK_FALSE(fs::exists(journal));
        CHECK(emu.state().at("keys").empty());
    }
}

TEST_CASE("a remote state's destroy leaves the state file beside the manifest alone",
          "[e2e][http-state][destroy]") {
    StateServer server;
    Emulator emu;
    Project project(emu);
    // An old state file, as a state migrate leaves it until it is removed by hand.
    write_text(project.state_file(), "kept");
    const auto env = http_env(project, server, "elsewhere");
    REQUIRE(project.run({"apply", project.manifest.string()}, env).exit_code == 0);
    REQUIRE(project.run({"destroy", project.manifest.string(), "-y"}, env).exit_code == 0);
    CHECK(read_text(project.state_file()) == "kept");
    CHECK(server.get_status("/state/elsewhere") == 404);
}

TEST_CASE("credentials in the state address are used, and never printed", "[e2e][http-state]") {
    StateServer server;
    Emulator emu;
    Project project(emu);
    auto env = http_env(project, server, "userinfo");
    env.env.erase("PROVISION_HTTP_USERNAME");
    env.env.erase("PROVISION_HTTP_PASSWORD");
    const std::string address = "http://" + std::string(k_user) + ":" + k_password +
                                "@127.0.0.1:" + std::to_string(server.port) + "/state/userinfo";

    SECTION("user:password@ becomes basic authentication") {
        env.env["PROVISION_STATE"] = address;
        env.env["PROVISION_HTTP_LOCK_ADDRESS"] = address;
        const auto run =
            project.run({"--log-level", "trace", "apply", project.manifest.string()}, env);
        INFO(run.err);
        CHECK(run.exit_code == 0);
        CHECK_FALSE(contains(run.out + run.err, k_password));
        CHECK(server.get_status("/state/userinfo") == 200);
    }

    SECTION("a wrong password in the address: refused, printed as ***") {
        const std::string wrong =
            "http://ci:wrong-http-password-5@127.0.0.1:" + std::to_string(server.port) +
            "/state/userinfo";
        env.env["PROVISION_STATE"] = wrong;
        const auto run = project.run({"apply", project.manifest.string()}, env);
        INFO(run.err);
        CHECK(run.exit_code == 1);
        CHECK(contains(run.err, "http://ci:***@127.0.0.1:"));
        CHECK(contains(run.err, "HTTP 401"));
        CHECK_FALSE(contains(run.err, "wrong-http-password-5"));
        CHECK(project.posts() == 0);
    }

    SECTION("a token in the query of an unreachable address") {
        env.env.erase("PROVISION_HTTP_LOCK_ADDRESS");
        env.env["PROVISION_STATE"] =
            "http://127.0.0.1:1/state/userinfo?private_token=glpat-query-token-77";
        const auto run = project.run({"apply", project.manifest.string()}, env);
        INFO(run.err);
        CHECK(run.exit_code == 1);
        CHECK(contains(run.err, "cannot reach the state backend"));
        CHECK(contains(run.err, "private_token=***"));
        CHECK_FALSE(contains(run.err, "glpat-query-token-77"));
        // On the command line it is refused before anything is sent.
        env.env.erase("PROVISION_STATE");
        const auto argv =
            project.run({"apply", project.manifest.string(), "--state",
                         "http://127.0.0.1:1/state/userinfo?private_token=glpat-query-token-77"},
                        env);
        CHECK(argv.exit_code == 3);
        CHECK_FALSE(contains(argv.err, "glpat-query-token-77"));
        CHECK(project.posts() == 0);
    }
}

TEST_CASE("state unlock of a state file explains that its lock dies with its process",
          "[e2e][state-unlock]") {
    Emulator emu;
    Project project(emu);
    const auto r = project.run({"state", "unlock", project.manifest.string(), "some-id", "-y"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, "the kernel releases when the process holding it ends"));
    CHECK(contains(r.err, "nothing to unlock"));
}
