// The PostgreSQL state backend against a real, throw-away PostgreSQL cluster (pg_cluster.sh,
// started by the CTest fixture pg_cluster) and the real emulator: runs in scratch directories
// that share one state through the database, as ephemeral CI runners do.

#include "lifecycle_support.hpp"
#include "shared_state_support.hpp"

#include <csignal>
#include <cstdlib>
#include <regex>
#include <set>

using namespace e2e;

namespace {

/// The cluster's URL (no password) and password, as the fixture wrote them.
struct Cluster {
    std::string url;
    std::string password;
};

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

Cluster cluster() {
    const char* info = std::getenv("PROVISION_TEST_PG_INFO");
    REQUIRE(info != nullptr);
    Cluster c{first_line(read_text(fs::path(info) / "url")),
              first_line(read_text(fs::path(info) / "password"))};
    REQUIRE(c.url.rfind("postgresql://", 0) == 0);
    REQUIRE_FALSE(c.password.empty());
    return c;
}

/// A state name of its own for each test, so the tests share the cluster but no state.
std::string fresh_state_name() {
    static int counter = 0;
    return "t" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

/// A project whose state is `name` in the cluster: PROVISION_STATE and PGPASSWORD set.
RunOptions pg_env(const Project& project, const Cluster& c, const std::string& name) {
    auto options = project.env();
    options.env["PROVISION_STATE"] = c.url + "#" + name;
    options.env["PGPASSWORD"] = c.password;
    return options;
}

ProcessResult apply(const Project& project, const RunOptions& env,
                    std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"apply", project.manifest.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return project.run(args, env);
}

/// `psql -At -c SQL` against the cluster.
std::string psql(const Cluster& c, const std::string& sql) {
    RunOptions options;
    options.env["PGPASSWORD"] = c.password;
    const auto r = test_support::run_process(
        {"/usr/lib/postgresql/15/bin/psql", "-At", c.url, "-c", sql}, options);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

int active_keys(const Emulator& emu) {
    int live = 0;
    const auto portal = emu.state();  // the keys are iterated in it: it must outlive the loop
    for (const auto& key : portal.at("keys")) {
        live += key.at("isActive").get<bool>() ? 1 : 0;
    }
    return live;
}

}  // namespace

TEST_CASE("two applies at once sharing a PostgreSQL state make one set of keys", "[pg][e2e]") {
    const auto c = cluster();
    Emulator emu;
    TempDir keys;
    const auto key = make_sealing_key(keys.path());
    // The first create is slow, so the first run holds the lock while the second asks for it.
    emu.add_fault({{"method", "POST"},
                   {"path", "/api/2.0/keys"},
                   {"action", "latency"},
                   {"latencyMs", 1500},
                   {"times", 1}});

    SECTION("the second waits for the lock, then has nothing to create") {
        const std::string name = fresh_state_name();
        Project first(emu, sealed_manifest(key.recipient));
        Project second(emu, sealed_manifest(key.recipient));
        check_waiting_applies_share_keys(emu, key, first, pg_env(first, c, name), second,
                                         pg_env(second, c, name));
        CHECK_FALSE(fs::exists(first.state_file()));
        CHECK_FALSE(fs::exists(second.state_file()));
    }

    SECTION("without --lock-timeout the second is refused and names the holder") {
        const std::string name = fresh_state_name();
        Project first(emu);
        Project second(emu);
        const auto runs =
            apply_at_once(first, pg_env(first, c, name), second, pg_env(second, c, name));
        CHECK(std::set<int>{runs.first, runs.second} == std::set<int>{0, 4});
        const std::string& refused = runs.err_of(4);
        INFO(refused);
        CHECK(refused.find("another run holds the lock of " + c.url) != std::string::npos);
        CHECK(refused.find("(state '" + name + "')") != std::string::npos);
        CHECK(refused.find("(pid ") != std::string::npos);
        CHECK(emu.count_requests("POST", "/api/2.0/keys") == 3);
        CHECK(emu.state().at("keys").size() == 3);
    }
}

TEST_CASE("SIGKILL while holding the PostgreSQL lock: the next run locks at once and settles",
          "[pg][e2e]") {
    const auto c = cluster();
    const std::string name = fresh_state_name();
    Emulator emu;
    // Killed while it waits for the answer to its first create.
    Project killed(emu);
    auto child = apply_with_create_in_flight(emu, killed, pg_env(killed, c, name));
    child.signal(SIGKILL);
    REQUIRE(child.wait(std::chrono::seconds(30)).has_value());
    CHECK(psql(c, "SELECT count(*) FROM provision_journal WHERE name = '" + name +
                      "' AND record LIKE '%\"op\":\"intent\"%'") == "1\n");
    // The portal commits the create the killed run never heard the answer of.
    wait_for_posts(emu, 1);

    // Another runner: no --lock-timeout, so a lock still held would refuse it (exit 4).
    Project next(emu);
    const auto run = apply(next, pg_env(next, c, name));
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.err.find("revoked orphan key") != std::string::npos);
    CHECK(active_keys(emu) == 3);
    CHECK(psql(c, "SELECT count(*) FROM provision_journal WHERE name = '" + name + "'") == "0\n");
    const auto plan =
        next.run({"plan", next.manifest.string(), "--detailed-exitcode"}, pg_env(next, c, name));
    INFO(plan.out << plan.err);
    CHECK(plan.exit_code == 0);
}

TEST_CASE("a fresh directory with the identity writes the outputs from the sealed store, 0 POSTs",
          "[pg][e2e]") {
    const auto c = cluster();
    const std::string name = fresh_state_name();
    Emulator emu;
    TempDir keys;
    const auto key = make_sealing_key(keys.path());
    Project first(emu, sealed_manifest(key.recipient));
    auto env1 = pg_env(first, c, name);
    const auto made = apply(first, env1);
    INFO(made.out << made.err);
    REQUIRE(made.exit_code == 0);
    REQUIRE(emu.count_requests("POST", "/api/2.0/keys") == 3);
    const auto secrets = source_dotenv(first.secrets("bots.env"), k_bot_vars);

    // The sealed store holds ciphertext and fingerprints only; the state no secret at all.
    const std::string stored =
        psql(c, "SELECT fingerprint || age FROM provision_sealed WHERE name = '" + name + "'") +
        psql(c, "SELECT state FROM provision_state WHERE name = '" + name + "'");
    CHECK(psql(c, "SELECT count(*) FROM provision_sealed WHERE name = '" + name + "'") == "3\n");
    for (const auto& [var, secret] : secrets) {
        REQUIRE(secret.size() > 8);
        CHECK(stored.find(secret) == std::string::npos);
    }

    SECTION("with the identity: 0 POSTs, exit 0, the same secrets") {
        Project fresh(emu, sealed_manifest(key.recipient));
        auto env = pg_env(fresh, c, name);
        env.env["PROVISION_AGE_IDENTITY_FILE"] = key.identity.string();
        const auto run = apply(fresh, env);
        INFO(run.out << run.err);
        CHECK(run.exit_code == 0);
        CHECK(emu.count_requests("POST", "/api/2.0/keys") == 3);
        CHECK(source_dotenv(fresh.secrets("bots.env"), k_bot_vars) == secrets);
        const auto json = nlohmann::json::parse(read_text(fresh.secrets("bots.json")));
        CHECK(json.at("keys").at("INTEGRATION_BOT_API_KEY").at("secret") ==
              secrets.at("INTEGRATION_BOT_API_KEY"));
    }

    SECTION("without the identity: as without sealing, the unknown secrets block") {
        Project fresh(emu, sealed_manifest(key.recipient));
        const auto run = apply(fresh, pg_env(fresh, c, name));
        INFO(run.out << run.err);
        CHECK(run.exit_code == 8);
        CHECK(emu.count_requests("POST", "/api/2.0/keys") == 3);
        CHECK_FALSE(fs::exists(fresh.secrets("bots.env")));
    }
}

TEST_CASE("PostgreSQL backend unreachable, wrong password, another portal: clear errors, portal "
          "untouched",
          "[pg][e2e]") {
    const auto c = cluster();
    Emulator emu;
    Project project(emu);

    SECTION("unreachable") {
        auto env = pg_env(project, c, fresh_state_name());
        env.env["PROVISION_STATE"] = "postgresql://provision@127.0.0.1:1/postgres#x";
        const auto run = apply(project, env);
        INFO(run.err);
        CHECK(run.exit_code == 1);
        CHECK(run.err.find("cannot connect to the state backend "
                           "postgresql://provision@127.0.0.1:1/postgres") != std::string::npos);
        CHECK(run.err.find("check that the server runs") != std::string::npos);
    }

    SECTION("a wrong password, in PGPASSWORD or in the URL, never printed") {
        auto env = pg_env(project, c, fresh_state_name());
        env.env["PGPASSWORD"] = "wrong-pg-password-1";
        const auto run = apply(project, env);
        INFO(run.err);
        CHECK(run.exit_code == 1);
        CHECK(run.err.find("password authentication failed") != std::string::npos);
        CHECK(run.err.find("PGPASSWORD") != std::string::npos);
        CHECK(run.err.find("wrong-pg-password-1") == std::string::npos);

        const std::string in_url = "postgresql://provision:wrong-pg-password-2@" +
                                   c.url.substr(std::string("postgresql://provision@").size());
        env.env["PROVISION_STATE"] = in_url + "#x";
        env.unset_env.push_back("PGPASSWORD");
        env.env.erase("PGPASSWORD");
        const auto inline_run = apply(project, env);
        INFO(inline_run.err);
        CHECK(inline_run.exit_code == 1);
        CHECK(inline_run.err.find("provision:***@") != std::string::npos);
        CHECK(inline_run.err.find("wrong-pg-password-2") == std::string::npos);
        CHECK(inline_run.out.find("wrong-pg-password-2") == std::string::npos);

        // A '/' left raw in the password: libpq misreads the URL and quotes a piece of it.
        env.env["PROVISION_STATE"] = "postgresql://provision:pz7q/wrong-pg-3@" +
                                     c.url.substr(std::string("postgresql://provision@").size()) +
                                     "#x";
        const auto raw_run = apply(project, env);
        INFO(raw_run.err);
        CHECK(raw_run.exit_code == 1);
        CHECK(raw_run.err.find("provision:***@") != std::string::npos);
        CHECK(raw_run.err.find("pz7q") == std::string::npos);
        CHECK(raw_run.err.find("wrong-pg-3") == std::string::npos);
        CHECK(raw_run.err.find("percent-encode") != std::string::npos);
    }

    SECTION("a state row of another portal") {
        const std::string name = fresh_state_name();
        Emulator other;
        Project elsewhere(other);
        REQUIRE(apply(elsewhere, pg_env(elsewhere, c, name)).exit_code == 0);
        const auto run = apply(project, pg_env(project, c, name));
        INFO(run.err);
        CHECK(run.exit_code == 3);
        CHECK(run.err.find(other.url()) != std::string::npos);
        CHECK(run.err.find("--rebind-portal") != std::string::npos);
    }
    CHECK(emu.count_requests("POST", "/api/2.0/keys") == 0);
    CHECK(emu.state().at("keys").empty());
}

TEST_CASE("a frozen run's session keeps the PostgreSQL lock: the refusal names the session, state "
          "unlock ends it, and the next apply converges",
          "[pg][e2e][state-unlock]") {
    const auto c = cluster();
    const std::string name = fresh_state_name();
    Emulator emu;
    Project frozen(emu);
    auto child = apply_with_create_in_flight(emu, frozen, pg_env(frozen, c, name));
    // Stopped, its connection open: as a runner that vanished without closing it.
    child.signal(SIGSTOP);
    wait_for_posts(emu, 1);

    Project next(emu);
    const auto env = pg_env(next, c, name);
    const auto refused = apply(next, env);
    INFO(refused.err);
    CHECK(refused.exit_code == 4);
    std::smatch found;
    REQUIRE(std::regex_search(refused.err, found, std::regex("lock ID ([0-9]+)\\)")));
    const std::string session = found[1].str();
    CHECK(refused.err.find("(pid " + std::to_string(child.pid()) + " on ") != std::string::npos);
    CHECK(refused.err.find("database session " + session + " from 127.0.0.1; lock ID " + session +
                           ")") != std::string::npos);
    CHECK(refused.err.find("`provision state unlock " + next.manifest.string() + " " + session +
                           "`") != std::string::npos);
    CHECK(psql(c, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + session) == "1\n");

    const auto wrong = next.run({"state", "unlock", next.manifest.string(), "1", "-y"}, env);
    INFO(wrong.err);
    CHECK(wrong.exit_code == 3);
    CHECK(wrong.err.find("is lock ID " + session) != std::string::npos);
    const auto unlocked = next.run({"state", "unlock", next.manifest.string(), session, "-y"}, env);
    INFO(unlocked.out << unlocked.err);
    CHECK(unlocked.exit_code == 0);
    CHECK(unlocked.out.find("released lock ID " + session) != std::string::npos);
    CHECK(psql(c, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + session) == "0\n");
    const auto again = next.run({"state", "unlock", next.manifest.string(), session, "-y"}, env);
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("is not locked") != std::string::npos);

    const auto run = apply(next, env);
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.err.find("revoked orphan key") != std::string::npos);
    CHECK(active_keys(emu) == 3);
    CHECK(emu.state().at("keys").size() == 3);

    // Woken, the old run finds its session gone: it cannot write to the state any more.
    child.signal(SIGCONT);
    const auto ended = child.wait(std::chrono::seconds(60));
    REQUIRE(ended.has_value());
    CHECK(*ended != 0);
    CHECK(emu.state().at("keys").size() == 3);
    const auto plan = next.run({"plan", next.manifest.string(), "--detailed-exitcode"}, env);
    INFO(plan.out << plan.err);
    CHECK(plan.exit_code == 0);
}

TEST_CASE(
    "status takes the last apply from the PostgreSQL row, and after destroy removed the row and "
    "sealed secrets reports no state",
    "[pg][e2e]") {
    const auto c = cluster();
    const std::string name = fresh_state_name();
    Emulator emu;
    TempDir keys;
    const auto key = make_sealing_key(keys.path());
    Project project(emu, sealed_manifest(key.recipient));
    const auto env = pg_env(project, c, name);
    REQUIRE(apply(project, env).exit_code == 0);
    const auto rows = [&](const std::string& table) {
        return psql(c, "SELECT count(*) FROM " + table + " WHERE name = '" + name + "'");
    };
    REQUIRE(rows("provision_state") == "1\n");
    REQUIRE(rows("provision_sealed") == "3\n");
    // The last apply's time is the row's updated_at (there is no state file to take it from).
    const auto metrics = [&] {
        const auto status =
            project.run({"status", project.manifest.string(), "--output", "prometheus"}, env);
        INFO(status.out << status.err);
        CHECK(status.exit_code == 0);
        return status.out;
    };
    REQUIRE_FALSE(fs::exists(project.state_file()));
    const std::string updated =
        psql(c, "SELECT floor(extract(epoch FROM updated_at))::bigint FROM provision_state "
                "WHERE name = '" +
                    name + "'");
    CHECK(contains(metrics(), "provision_last_apply_timestamp_seconds{manifest=\"" +
                                  project.manifest.string() + "\"} " + updated));
    const auto destroyed = project.run({"destroy", project.manifest.string(), "-y"}, env);
    INFO(destroyed.out << destroyed.err);
    CHECK(destroyed.exit_code == 0);
    CHECK(emu.state().at("keys").empty());
    CHECK(rows("provision_state") == "0\n");
    CHECK(rows("provision_sealed") == "0\n");
    CHECK(rows("provision_journal") == "0\n");
    CHECK(rows("provision_lock_holder") == "0\n");
    // status reads "no state": the manifest up, its entries not created, no last apply.
    const std::string after = metrics();
    CHECK(
        contains(after, "provision_manifest_up{manifest=\"" + project.manifest.string() + "\"} 1"));
    CHECK_FALSE(contains(after, "provision_last_apply_timestamp_seconds{"));
    CHECK(contains(after, "provision_key_active{manifest=\"" + project.manifest.string() +
                              "\",entry=\"Integration Bot\"} 0"));
    // The next apply starts afresh, the lock free.
    const auto next = apply(project, env);
    INFO(next.out << next.err);
    CHECK(next.exit_code == 0);
    CHECK(emu.state().at("keys").size() == 3);
}
