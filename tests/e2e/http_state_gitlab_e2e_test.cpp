// The HTTP state backend against GitLab's variant of Terraform's protocol (tf_state_server.py
// --gitlab: the lock at <state>/lock taken with POST and released with DELETE, 409 when held,
// the holder named by its GitLab user), `provision state force-unlock` with Terraform's argument
// order, the transport settings the backend shares with the portal's client (--ca-bundle,
// PROVISION_HTTP_CA_BUNDLE, --request-timeout), and the last-apply time `status --output
// prometheus` takes from the backend.

#include "http_state_support.hpp"
#include "lifecycle_support.hpp"

#include <csignal>
#include <ctime>
#include <iomanip>
#include <set>
#include <sstream>

using namespace e2e;

namespace {

/// A self-signed certificate for 127.0.0.1 (its own CA) and its key, made with openssl.
struct Certificate {
    std::string cert;
    std::string key;
};

Certificate make_certificate(const fs::path& dir, const std::string& name) {
    Certificate made{(dir / (name + "-cert.pem")).string(), (dir / (name + "-key.pem")).string()};
    const auto run = test_support::run_process(
        {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", made.key,
         "-out", made.cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
         "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE"});
    REQUIRE(run.exit_code == 0);
    return made;
}

/// The `provision_last_apply_timestamp_seconds` value `status --output prometheus` printed,
/// or -1 without that series.
long long last_apply_in(const std::string& metrics) {
    const std::string series = "provision_last_apply_timestamp_seconds{";
    const auto at = metrics.find(series);
    if (at == std::string::npos) {
        return -1;
    }
    const auto value = metrics.find("} ", at);
    return std::stoll(metrics.substr(value + 2, metrics.find('\n', value) - value - 2));
}

}  // namespace

TEST_CASE("GitLab-managed state: two applies at once make one set of keys, the second refused "
          "naming the GitLab user and the lock ID",
          "[e2e][http-state][gitlab]") {
    StateServer server({"--gitlab"});
    Emulator emu;
    emu.add_fault({{"method", "POST"},
                   {"path", "/api/2.0/keys"},
                   {"action", "latency"},
                   {"latencyMs", 1500},
                   {"times", 1}});
    Project first(emu);
    Project second(emu);
    const auto runs = apply_at_once(first, gitlab_env(first, server, "bots"), second,
                                    gitlab_env(second, server, "bots"));
    CHECK(std::set<int>{runs.first, runs.second} == std::set<int>{0, 4});
    const std::string& refused = runs.err_of(4);
    INFO(refused);
    // GitLab names the holder by its user, not by what the holder wrote in Who.
    CHECK(contains(refused, "another run holds the lock of " + server.base + "/state/bots (ci; "));
    CHECK_FALSE(lock_id_in(refused).empty());
    CHECK(emu.count_requests("POST", "/api/2.0/keys") == 3);
    CHECK(keys_by_name(emu) == std::map<std::string, int>{{"Integration Bot", 1},
                                                          {"Backup Agent", 1},
                                                          {"Audit Reader", 1}});
    // The winner's DELETE of <state>/lock released the lock: the next run takes it at once.
    Project third(emu);
    const auto next =
        third.run({"apply", third.manifest.string()}, gitlab_env(third, server, "bots"));
    INFO(next.out << next.err);
    CHECK_FALSE(contains(next.err, "another run holds the lock"));
    CHECK(next.exit_code == 8);  // a runner without the outputs: secret_unknown blocks
    CHECK(emu.count_requests("POST", "/api/2.0/keys") == 3);
    // A wrong job token: GitLab's 401, the variables to check named, the token never printed.
    auto wrong = gitlab_env(third, server, "bots");
    write_text(wrong.env["PROVISION_HTTP_PASSWORD_FILE"], "wrong-job-token-5\n");
    const auto refused_token = third.run({"apply", third.manifest.string()}, wrong);
    CHECK(refused_token.exit_code == 1);
    CHECK(contains(refused_token.err, "HTTP 401"));
    CHECK(contains(refused_token.err, "PROVISION_HTTP_PASSWORD_FILE"));
    CHECK_FALSE(contains(refused_token.err, "wrong-job-token-5"));
}

TEST_CASE("GitLab-managed state: a SIGKILLed apply's lock is refused to the next run until "
          "state force-unlock LOCK_ID releases it, and the next apply settles and converges",
          "[e2e][http-state][gitlab][kill]") {
    StateServer server({"--gitlab"});
    Emulator emu;
    Project killed(emu);
    auto child = apply_with_create_in_flight(emu, killed, gitlab_env(killed, server, "killed"));
    child.signal(SIGKILL);
    REQUIRE(child.wait(std::chrono::seconds(30)).has_value());
    wait_for_posts(emu, 1);

    Project next(emu);
    const auto env = gitlab_env(next, server, "killed");
    const auto refused = next.run({"apply", next.manifest.string()}, env);
    INFO(refused.err);
    CHECK(refused.exit_code == 4);
    const std::string id = lock_id_in(refused.err);
    REQUIRE_FALSE(id.empty());
    CHECK(contains(refused.err, "(ci; lock ID " + id + ", taken 20"));

    // Terraform's order, the state from PROVISION_STATE: no manifest needed.
    check_dead_lock_released(emu, next, env, id, [](const std::string& lock) {
        return std::vector<std::string>{"state", "force-unlock", lock};
    });
    // With the manifest after the ID, as `terraform force-unlock ID DIR`.
    const auto with_manifest =
        next.run({"state", "force-unlock", id, next.manifest.string(), "-y"}, env);
    INFO(with_manifest.out << with_manifest.err);
    CHECK(with_manifest.exit_code == 0);
    CHECK(contains(with_manifest.out, "is not locked"));
}

TEST_CASE("state force-unlock without a manifest needs --state or PROVISION_STATE",
          "[e2e][http-state]") {
    Emulator emu;
    Project project(emu);
    auto env = project.env();
    env.env.erase("PROVISION_STATE");
    const auto run = project.run({"state", "force-unlock", "6f1c2a9e", "-y"}, env);
    INFO(run.out << run.err);
    CHECK(run.exit_code == 3);
    CHECK(contains(run.err, "give the manifest after the lock ID"));
}

TEST_CASE("the HTTP state backend verifies its server's certificate with PROVISION_HTTP_CA_BUNDLE "
          "or --ca-bundle and honours --request-timeout",
          "[e2e][http-state][tls]") {
    TempDir pki;
    const auto portal_ca = make_certificate(pki.path(), "portal");
    const auto state_ca = make_certificate(pki.path(), "state");

    SECTION("a state server whose CA is not the portal's: refused until its CA is given") {
        StateServer server({"--tls-cert", state_ca.cert, "--tls-key", state_ca.key});
        Emulator emu({"--tls-cert", portal_ca.cert, "--tls-key", portal_ca.key});
        REQUIRE(emu.tls());
        Project project(emu);
        auto env = http_env(project, server, "tls");
        const auto untrusted =
            project.run({"apply", project.manifest.string(), "--ca-bundle", portal_ca.cert}, env);
        INFO(untrusted.out << untrusted.err);
        CHECK(untrusted.exit_code == 1);
        CHECK(contains(untrusted.err, "cannot reach the state backend " + server.base));
        CHECK(contains(untrusted.err, "certificate"));
        CHECK(contains(untrusted.err, "PROVISION_HTTP_CA_BUNDLE"));
        CHECK(project.posts() == 0);

        env.env["PROVISION_HTTP_CA_BUNDLE"] = state_ca.cert;
        const auto trusted =
            project.run({"apply", project.manifest.string(), "--ca-bundle", portal_ca.cert}, env);
        INFO(trusted.out << trusted.err);
        CHECK(trusted.exit_code == 0);
        CHECK(project.posts() == 3);
        const auto plan = project.run({"plan", project.manifest.string(), "--detailed-exitcode",
                                       "--ca-bundle", portal_ca.cert},
                                      env);
        INFO(plan.out << plan.err);
        CHECK(plan.exit_code == 0);  // the state was written to, and read from, that server
    }

    SECTION("--ca-bundle is trusted by the state backend too") {
        StateServer server({"--tls-cert", state_ca.cert, "--tls-key", state_ca.key});
        Emulator emu;
        Project project(emu);
        const auto env = http_env(project, server, "bundle");
        CHECK(project.run({"apply", project.manifest.string()}, env).exit_code == 1);
        CHECK(project.posts() == 0);
        const auto trusted =
            project.run({"apply", project.manifest.string(), "--ca-bundle", state_ca.cert}, env);
        INFO(trusted.out << trusted.err);
        CHECK(trusted.exit_code == 0);
        CHECK(project.posts() == 3);
    }

    SECTION("a state server slower than --request-timeout: a timeout naming the backend") {
        StateServer server({"--delay-get", "30"});
        Emulator emu;
        Project project(emu);
        const auto run =
            project.run({"plan", project.manifest.string(), "--request-timeout", "0.5"},
                        http_env(project, server, "slow"));
        INFO(run.out << run.err);
        CHECK(run.exit_code == 1);
        CHECK(contains(run.err, "cannot reach the state backend " + server.base + "/state/slow"));
        CHECK(contains(run.err, "timeout"));
    }
}

TEST_CASE("status --output prometheus takes the last apply's time from an HTTP state, not from a "
          "file beside the manifest",
          "[e2e][http-state][status]") {
    StateServer server;
    Emulator emu;
    Project project(emu);
    const auto env = http_env(project, server, "metrics");
    REQUIRE(project.run({"apply", project.manifest.string()}, env).exit_code == 0);
    REQUIRE_FALSE(fs::exists(project.state_file()));
    // What the backend recorded: the document's "written", set by the last save.
    httplib::Client client("127.0.0.1", server.port);
    client.set_basic_auth(k_user, k_password);
    const auto document = client.Get("/state/metrics");
    REQUIRE(document);
    std::tm written{};
    std::istringstream iso(
        nlohmann::json::parse(document->body).at("provision").at("written").get<std::string>());
    iso >> std::get_time(&written, "%Y-%m-%dT%H:%M:%SZ");
    REQUIRE_FALSE(iso.fail());
    const long long expected = ::timegm(&written);

    const auto status =
        project.run({"status", project.manifest.string(), "--output", "prometheus"}, env);
    INFO(status.out << status.err);
    CHECK(status.exit_code == 0);
    CHECK(last_apply_in(status.out) == expected);

    // A stale state file beside the manifest (left by a migration) is not what is reported.
    write_text(project.state_file(), "{}\n");
    fs::last_write_time(project.state_file(),
                        fs::file_time_type::clock::now() - std::chrono::hours(24 * 400));
    const auto again =
        project.run({"status", project.manifest.string(), "--output", "prometheus"}, env);
    CHECK(last_apply_in(again.out) == expected);
}
