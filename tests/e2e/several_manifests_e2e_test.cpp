// Several manifests in one run (`provision plan|apply|status A B ...` and a directory): one
// identity check and one key list per portal, every manifest planned and reported, each with
// its own state, lock and outputs, a failing manifest leaving the others alone, and the exit
// code the most severe of theirs (docs/exit-codes.md#several-manifests).

#include "e2e_support.hpp"

#include <fcntl.h>
#include <regex>
#include <sys/file.h>
#include <unistd.h>

using namespace e2e;

namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
}

/// The worked example as team `team`'s manifest: its entries' names start with the team's
/// name (no team's key is another's untracked key of the same name) and its outputs are
/// secrets/<team>.env and secrets/<team>.json. `url` replaces ${DOCSPACE_URL} when given.
std::string team_manifest(const std::string& team, const std::string& url = "") {
    std::string text = bots_manifest();
    replace_all(text, "../secrets/bots", "../secrets/" + team);
    replace_all(text, "  - name: ", "  - name: " + team + " ");
    if (!url.empty()) {
        replace_all(text, "${DOCSPACE_URL}", url);
    }
    return text;
}

/// A project whose manifests/ holds bots.yaml (the worked example) and the teams' manifests.
struct Teams {
    Project project;
    explicit Teams(Emulator& emu, const std::vector<std::string>& teams) : project(emu) {
        for (const auto& team : teams) {
            write_text(file(team), team_manifest(team));
        }
    }
    fs::path file(const std::string& team) const {
        return project.dir.path() / "manifests" / (team + ".yaml");
    }
    fs::path state(const std::string& team) const {
        return project.dir.path() / "manifests" / (team + ".state.json");
    }
    /// `provision <args>` with the project's environment.
    ProcessResult run(const std::vector<std::string>& args) const { return project.run(args); }
};

std::size_t state_keys(const fs::path& state) {
    return nlohmann::json::parse(read_text(state)).at("keys").size();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// Every secret in a team's dotenv output authenticates on the portal.
void check_team_secrets(const Emulator& emu, const Project& project, const std::string& team) {
    const auto json = nlohmann::json::parse(read_text(project.secrets(team + ".json")));
    REQUIRE(json.at("keys").size() == 3);
    for (const auto& [variable, record] : json.at("keys").items()) {
        INFO(team << " " << variable);
        CHECK(self_with(emu, record.at("secret").get<std::string>()).status == 200);
    }
    CHECK(mode_of(project.secrets(team + ".env")) == 0600U);
}

/// Holds the flock of a state's lock file while alive, as another run would.
struct HeldLock {
    int fd;
    explicit HeldLock(const fs::path& state)
        : fd(::open((state.string() + ".lock").c_str(), O_RDWR | O_CREAT, 0600)) {
        REQUIRE(fd >= 0);
        REQUIRE(::flock(fd, LOCK_EX) == 0);
    }
    ~HeldLock() { ::close(fd); }
    HeldLock(const HeldLock&) = delete;
    HeldLock& operator=(const HeldLock&) = delete;
};

}  // namespace

TEST_CASE("apply of two manifests checks the portal's identity and lists its keys once, and "
          "keeps each manifest's own state and outputs",
          "[e2e][several]") {
    Emulator emu;
    Teams teams(emu, {"alpha", "beta"});
    const auto applied =
        teams.run({"apply", teams.file("alpha").string(), teams.file("beta").string()});
    INFO(applied.out << applied.err);
    CHECK(applied.exit_code == 0);
    CHECK(teams.project.posts() == 6);
    CHECK(emu.count_requests("GET", "/api/2.0/keys") == 1);
    CHECK(emu.count_requests("GET", "/api/2.0/people/@self") == 1);
    CHECK(emu.count_requests("GET", "/api/2.0/portal") == 1);
    CHECK(state_keys(teams.state("alpha")) == 3);
    CHECK(state_keys(teams.state("beta")) == 3);
    check_team_secrets(emu, teams.project, "alpha");
    check_team_secrets(emu, teams.project, "beta");
    CHECK(contains(applied.out, "==> " + teams.file("alpha").string() + " <=="));
    CHECK(contains(applied.out, "==> " + teams.file("beta").string() + " <=="));
    CHECK(contains(applied.out, "==> totals <==\n2 manifests, 0 not applied cleanly.\n"
                                "Apply complete: 6 created, 0 updated, 0 replaced, 0 deleted, "
                                "0 unchanged."));

    emu.clear_requests();
    const auto again =
        teams.run({"apply", teams.file("alpha").string(), teams.file("beta").string()});
    INFO(again.out << again.err);
    CHECK(again.exit_code == 0);
    CHECK(teams.project.posts() == 0);
    CHECK(emu.count_requests("GET", "/api/2.0/keys") == 1);

    const auto plan = teams.run(
        {"plan", "--detailed-exitcode", teams.file("alpha").string(), teams.file("beta").string()});
    INFO(plan.out << plan.err);
    CHECK(plan.exit_code == 0);
    CHECK(contains(plan.out, "2 manifests, 2 planned, 0 not planned. No changes in any manifest."));
}

TEST_CASE("a directory runs every manifest in it in name order, and not the YAML outputs its "
          "manifests write there",
          "[e2e][several]") {
    Emulator emu;
    Teams teams(emu, {"gamma", "alpha"});
    // gamma also writes a YAML output beside the manifests: it holds secrets, not a manifest.
    std::string gamma = team_manifest("gamma");
    gamma.insert(gamma.find("\nkeys:\n"), "  - path: gamma-secrets.yaml\n    format: yaml\n");
    write_text(teams.file("gamma"), gamma);
    const auto dir = (teams.project.dir.path() / "manifests").string();

    const auto applied = teams.run({"apply", dir});
    INFO(applied.out << applied.err);
    CHECK(applied.exit_code == 0);
    REQUIRE(fs::exists(teams.project.dir.path() / "manifests" / "gamma-secrets.yaml"));
    CHECK(emu.count_requests("GET", "/api/2.0/keys") == 1);

    const auto plan = teams.run({"plan", dir, "--output", "json", "--detailed-exitcode"});
    INFO(plan.out << plan.err);
    CHECK(plan.exit_code == 0);
    const auto doc = nlohmann::json::parse(plan.out);
    CHECK(doc.at("formatVersion") == 2);
    REQUIRE(doc.at("manifests").size() == 3);
    CHECK(doc.at("manifests")[0].at("manifest") == (fs::path(dir) / "alpha.yaml").string());
    CHECK(doc.at("manifests")[1].at("manifest") == (fs::path(dir) / "bots.yaml").string());
    CHECK(doc.at("manifests")[2].at("manifest") == (fs::path(dir) / "gamma.yaml").string());
    for (const auto& manifest : doc.at("manifests")) {
        CHECK(manifest.at("exitCode") == 0);
        CHECK(manifest.at("plan").at("changes") == false);
        CHECK(manifest.at("plan").at("summary").at("unchanged") == 3);
    }
    CHECK(doc.at("totals").at("manifests") == 3);
    CHECK(doc.at("totals").at("planned") == 3);
    CHECK(doc.at("totals").at("failed") == 0);
    CHECK(doc.at("totals").at("summary").at("unchanged") == 9);
    CHECK(doc.at("exitCode") == 0);
    CHECK(!contains(plan.out, "sk-"));
    // It holds secrets; the suite's leak check searches every other file a test leaves.
    fs::remove(teams.project.dir.path() / "manifests" / "gamma-secrets.yaml");
}

TEST_CASE("an invalid manifest and one whose lock is held fail with their own codes while the "
          "others are applied, and the run exits with the most severe",
          "[e2e][several]") {
    Emulator emu;
    Teams teams(emu, {"alpha", "locked", "zulu"});
    const std::string broken_text = team_manifest("broken");
    write_text(teams.file("broken"), broken_text + "colour: blue\n");
    const auto colour_line = std::count(broken_text.begin(), broken_text.end(), '\n') + 1;
    const HeldLock held(teams.state("locked"));

    const auto applied = teams.run({"apply", "--output", "json", teams.file("alpha").string(),
                                    teams.file("broken").string(), teams.file("locked").string(),
                                    teams.file("zulu").string()});
    INFO(applied.out << applied.err);
    CHECK(applied.exit_code == 3);  // invalid (3) outranks lock held (4): see docs/exit-codes.md
    const auto doc = nlohmann::json::parse(applied.out);
    REQUIRE(doc.at("manifests").size() == 4);
    const auto& alpha = doc.at("manifests")[0];
    const auto& broken = doc.at("manifests")[1];
    const auto& locked = doc.at("manifests")[2];
    const auto& zulu = doc.at("manifests")[3];
    CHECK(alpha.at("exitCode") == 0);
    CHECK(alpha.at("result").at("created") == 3);
    CHECK(broken.at("exitCode") == 3);
    CHECK(broken.at("error").at("code") == "invalid_input");
    CHECK(contains(broken.at("error").at("message").get<std::string>(), "colour"));
    CHECK(broken.at("error").at("line") == colour_line);
    CHECK(!broken.contains("plan"));
    CHECK(locked.at("exitCode") == 4);
    CHECK(locked.at("error").at("code") == "lock_held");
    CHECK(zulu.at("exitCode") == 0);
    CHECK(zulu.at("result").at("created") == 3);
    CHECK(doc.at("totals").at("created") == 6);
    CHECK(doc.at("totals").at("manifests") == 4);
    CHECK(doc.at("totals").at("manifestsFailed") == 2);
    CHECK(doc.at("exitCode") == 3);
    CHECK(teams.project.posts() == 6);
    CHECK(state_keys(teams.state("alpha")) == 3);
    CHECK(state_keys(teams.state("zulu")) == 3);
    CHECK(!fs::exists(teams.state("locked")));
    CHECK(!fs::exists(teams.state("broken")));
    check_team_secrets(emu, teams.project, "alpha");
    check_team_secrets(emu, teams.project, "zulu");

    // The lock alone: exit 4, with the other manifests unchanged.
    const auto only_lock =
        teams.run({"apply", teams.file("alpha").string(), teams.file("locked").string()});
    INFO(only_lock.out << only_lock.err);
    CHECK(only_lock.exit_code == 4);
    CHECK(contains(only_lock.err, "holds the lock"));
    CHECK(contains(only_lock.out, "not applied: "));
    CHECK(contains(only_lock.out, "(exit 4)"));
}

TEST_CASE("the secrets one manifest created are saved when a later manifest's creates fail",
          "[e2e][several]") {
    Emulator emu;
    Teams teams(emu, {"alpha", "beta"});
    // Every create after alpha's three is refused with a 503 (not processed).
    const auto rule = emu.request("POST", "/__emulator/faults", "",
                                  nlohmann::json{{"method", "POST"},
                                                 {"path", "/api/2.0/keys"},
                                                 {"action", "status"},
                                                 {"status", 503},
                                                 {"skip", 3},
                                                 {"times", 0}}
                                      .dump());
    REQUIRE(rule.status == 200);
    const auto applied = teams.run(
        {"apply", "--concurrency", "1", teams.file("alpha").string(), teams.file("beta").string()});
    INFO(applied.out << applied.err);
    CHECK(applied.exit_code != 0);
    CHECK(applied.exit_code != 3);
    CHECK(state_keys(teams.state("alpha")) == 3);
    check_team_secrets(emu, teams.project, "alpha");
    CHECK(contains(applied.out, "Apply complete: 3 created"));

    // The portal recovers: the next run of both creates beta's keys only.
    REQUIRE(emu.request("DELETE", "/__emulator/faults").status == 200);
    emu.clear_requests();
    const auto again =
        teams.run({"apply", teams.file("alpha").string(), teams.file("beta").string()});
    INFO(again.out << again.err);
    CHECK(again.exit_code == 0);
    CHECK(teams.project.posts() == 3);
    check_team_secrets(emu, teams.project, "alpha");
    check_team_secrets(emu, teams.project, "beta");
}

TEST_CASE("manifests on two portals list each portal once", "[e2e][several]") {
    Emulator first;
    Emulator second;
    Teams teams(first, {"alpha"});
    write_text(teams.file("beta"), team_manifest("beta", second.url()));
    write_text(teams.file("gamma"), team_manifest("gamma", second.url()));
    const auto applied = teams.run({"apply", teams.file("alpha").string(),
                                    teams.file("beta").string(), teams.file("gamma").string()});
    INFO(applied.out << applied.err);
    CHECK(applied.exit_code == 0);
    CHECK(first.count_requests("POST", "/api/2.0/keys") == 3);
    CHECK(second.count_requests("POST", "/api/2.0/keys") == 6);
    CHECK(first.count_requests("GET", "/api/2.0/keys") == 1);
    CHECK(second.count_requests("GET", "/api/2.0/keys") == 1);
    CHECK(second.count_requests("GET", "/api/2.0/people/@self") == 1);
    check_team_secrets(first, teams.project, "alpha");
    check_team_secrets(second, teams.project, "beta");
    check_team_secrets(second, teams.project, "gamma");
}

TEST_CASE("two runs of overlapping manifest sets take the locks in one order and both finish",
          "[e2e][several]") {
    Emulator emu;
    Teams teams(emu, {"alpha", "beta"});
    // Each run's identity check takes a while, so the second starts while the first holds a
    // lock: taken in argument order, each would hold one lock and wait for the other's.
    REQUIRE(emu.request("POST", "/__emulator/faults", "",
                        nlohmann::json{{"method", "GET"},
                                       {"path", "/api/2.0/people/@self"},
                                       {"action", "latency"},
                                       {"latencyMs", 400},
                                       {"times", 0}}
                            .dump())
                .status == 200);
    const auto start = [&](const std::string& first, const std::string& second,
                           const std::string& name) {
        return test_support::ChildProcess(
            {test_support::provision_binary(), "apply", "--lock-timeout", "60",
             teams.file(first).string(), teams.file(second).string()},
            teams.project.env(), teams.project.dir.path() / (name + ".out"),
            teams.project.dir.path() / (name + ".err"));
    };
    auto one = start("alpha", "beta", "one");
    auto two = start("beta", "alpha", "two");
    const auto first_exit = one.wait(std::chrono::seconds(90));
    const auto second_exit = two.wait(std::chrono::seconds(90));
    INFO(read_text(teams.project.dir.path() / "one.err")
         << read_text(teams.project.dir.path() / "two.err"));
    CHECK(first_exit == 0);
    CHECK(second_exit == 0);
    CHECK(teams.project.posts() == 6);
    CHECK(state_keys(teams.state("alpha")) == 3);
    CHECK(state_keys(teams.state("beta")) == 3);
}

TEST_CASE("apply of several manifests releases each manifest's lock when its part is over",
          "[e2e][several]") {
    Emulator emu;
    Teams teams(emu, {"alpha", "beta"});
    // Every create answers after 300 ms: beta's three creates keep the run going for about a
    // second after alpha's part is over.
    emu.add_fault({{"method", "POST"},
                   {"path", "/api/2.0/keys"},
                   {"action", "latency"},
                   {"latencyMs", 300},
                   {"times", 0}});
    test_support::ChildProcess run({test_support::provision_binary(), "apply", "--concurrency", "1",
                                    teams.file("alpha").string(), teams.file("beta").string()},
                                   teams.project.env(), teams.project.dir.path() / "run.out",
                                   teams.project.dir.path() / "run.err");
    // beta's first create is saved: alpha's part is over, beta's is not.
    for (int i = 0;
         i < 300 && !(fs::exists(teams.state("beta")) && state_keys(teams.state("beta")) >= 1);
         ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    REQUIRE(fs::exists(teams.state("beta")));
    const int alpha_lock =
        ::open((teams.state("alpha").string() + ".lock").c_str(), O_RDWR | O_CREAT, 0600);
    REQUIRE(alpha_lock >= 0);
    const bool alpha_free = ::flock(alpha_lock, LOCK_EX | LOCK_NB) == 0;
    const bool still_running = run.running();
    ::close(alpha_lock);
    const auto exit = run.wait(std::chrono::seconds(60));
    INFO(read_text(teams.project.dir.path() / "run.err"));
    CHECK(still_running);
    CHECK(alpha_free);
    CHECK(exit == 0);
    CHECK(state_keys(teams.state("alpha")) == 3);
    CHECK(state_keys(teams.state("beta")) == 3);
}

TEST_CASE("a wait for the rate limit in a run of several manifests is logged with the counts of "
          "the manifest being applied",
          "[e2e][several][ratelimit]") {
    Emulator emu;
    Teams teams(emu, {"alpha", "beta"});
    emu.add_fault({{"method", "POST"},
                   {"path", "/api/2.0/keys"},
                   {"action", "rate_limit"},
                   {"retryAfter", 1},
                   {"times", 1}});
    const auto r = teams.run(
        {"apply", "--concurrency", "1", teams.file("alpha").string(), teams.file("beta").string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(std::regex_search(r.err, std::regex(R"(info: waiting 1\.0 s for the rate limit \(429\) )"
                                              R"(before creating 'alpha [^']+' again, 0 of 3 )"
                                              R"(created\n)")));
    CHECK(teams.project.posts() == 7);  // the refused create and the six
}

TEST_CASE("status of several manifests shows each and the totals, as text, JSON and one "
          "Prometheus file",
          "[e2e][several]") {
    Emulator emu;
    Teams teams(emu, {"alpha", "beta"});
    const std::vector<std::string> both = {teams.file("alpha").string(),
                                           teams.file("beta").string()};
    REQUIRE(teams.run({"apply", both[0], both[1]}).exit_code == 0);
    emu.clear_requests();

    const auto text = teams.run({"status", both[0], both[1]});
    INFO(text.out << text.err);
    CHECK(text.exit_code == 0);
    CHECK(contains(text.out, "alpha Integration Bot"));
    CHECK(contains(text.out, "beta Audit Reader"));
    CHECK(contains(text.out, "==> totals <==\n2 manifests, 0 not shown; 6 entries, 6 active; "
                             "0 expiring."));
    CHECK(emu.count_requests("GET", "/api/2.0/keys") == 1);

    const auto json =
        teams.run({"status", both[0], both[1], "--output", "json", "--expiring-within", "40d"});
    INFO(json.out << json.err);
    CHECK(json.exit_code == 9);
    const auto doc = nlohmann::json::parse(json.out);
    REQUIRE(doc.at("manifests").size() == 2);
    CHECK(doc.at("manifests")[0].at("status").at("keys").size() == 3);
    CHECK(doc.at("manifests")[0].at("exitCode") == 9);
    CHECK(doc.at("totals").at("keys") == 6);
    CHECK(doc.at("totals").at("expiring") == 2);  // each team's Integration Bot: 30 days
    CHECK(doc.at("exitCode") == 9);

    const auto prometheus = teams.run({"status", both[0], both[1], "--output", "prometheus"});
    INFO(prometheus.out << prometheus.err);
    CHECK(prometheus.exit_code == 0);
    std::size_t declared = 0;
    for (auto at = prometheus.out.find("# TYPE provision_key_active gauge");
         at != std::string::npos;
         at = prometheus.out.find("# TYPE provision_key_active gauge", at + 1)) {
        ++declared;
    }
    CHECK(declared == 1);
    CHECK(contains(prometheus.out, "provision_key_active{manifest=\"" + both[0] +
                                       "\",entry=\"alpha Backup Agent\"} 1"));
    CHECK(contains(prometheus.out, "provision_key_active{manifest=\"" + both[1] +
                                       "\",entry=\"beta Backup Agent\"} 1"));
    CHECK(contains(prometheus.out, "provision_manifest_up{manifest=\"" + both[0] + "\"} 1\n"));
    CHECK(contains(prometheus.out, "provision_manifest_up{manifest=\"" + both[1] + "\"} 1\n"));
    CHECK_FALSE(contains(prometheus.out, "provision_manifest_exit_code"));

    // A manifest that cannot be read is up 0 with its exit code; the others are still shown.
    write_text(teams.file("beta"), "version: 1\nkeys: [\n");
    const auto one_failed = teams.run({"status", both[0], both[1], "--output", "prometheus"});
    INFO(one_failed.out << one_failed.err);
    CHECK(one_failed.exit_code == 3);
    CHECK(contains(one_failed.out, "provision_manifest_up{manifest=\"" + both[0] + "\"} 1\n"));
    CHECK(contains(one_failed.out, "provision_manifest_up{manifest=\"" + both[1] + "\"} 0\n"));
    CHECK(
        contains(one_failed.out, "provision_manifest_exit_code{manifest=\"" + both[1] + "\"} 3\n"));
    CHECK(contains(one_failed.out, "provision_key_active{manifest=\"" + both[0] +
                                       "\",entry=\"alpha Backup Agent\"} 1"));
    CHECK_FALSE(contains(one_failed.out, "entry=\"beta Backup Agent\""));
}

TEST_CASE("options that name one manifest's state, entries or saved plan are refused with "
          "several manifests, before any request",
          "[e2e][several]") {
    Emulator emu;
    Teams teams(emu, {"alpha", "beta"});
    const std::string a = teams.file("alpha").string();
    const std::string b = teams.file("beta").string();
    const auto out = teams.run({"plan", a, b, "--out", "both.plan"});
    CHECK(out.exit_code == 3);
    CHECK(contains(out.err, "--out saves the plan of one manifest"));
    const auto target = teams.run({"apply", a, b, "--target", "alpha Backup Agent"});
    CHECK(target.exit_code == 3);
    CHECK(contains(target.err, "--target names entries of one manifest"));
    const auto state = teams.run({"status", a, b, "--state", "elsewhere.json"});
    CHECK(state.exit_code == 3);
    CHECK(contains(state.err, "--state"));
    const auto saved = teams.run({"plan", a, "--out", "alpha.plan"});
    REQUIRE(saved.exit_code == 0);
    const auto with_saved = teams.run({"apply", "alpha.plan", b});
    CHECK(with_saved.exit_code == 3);
    CHECK(contains(with_saved.err, "is a saved plan, which is applied on its own"));
    const auto empty_dir = teams.project.dir.path() / "empty";
    fs::create_directories(empty_dir);
    const auto none = teams.run({"plan", empty_dir.string()});
    CHECK(none.exit_code == 3);
    CHECK(contains(none.err, "holds no manifest"));
    write_text(teams.file("shared"), team_manifest("shared") + "state: alpha.state.json\n");
    const auto shared = teams.run({"plan", a, teams.file("shared").string()});
    INFO(shared.out << shared.err);
    CHECK(shared.exit_code == 3);
    CHECK(contains(shared.err, "a state belongs to one manifest"));
    CHECK(emu.count_requests("POST", "/api/2.0/keys") == 0);
    CHECK(emu.count_requests("GET", "/api/2.0/keys") <= 2);  // the saved plan's, the shared run's
}
