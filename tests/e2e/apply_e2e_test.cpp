// provision validate / plan / apply against a real docspace-emulator over loopback.

#include "e2e_support.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using namespace e2e;

TEST_CASE("plan, apply, plan again: the portal ends up matching the manifest and the second plan "
          "is empty",
          "[e2e]") {
    Emulator emu;
    Project project(emu);

    const auto first_plan = project.command("plan", {"--detailed-exitcode"});
    INFO(first_plan.err);
    CHECK(first_plan.exit_code == 2);
    CHECK(first_plan.out.find("Plan: 3 to create, 0 to update, 0 to replace, 0 to delete.") !=
          std::string::npos);
    CHECK(project.posts() == 0);

    const auto applied = project.command("apply");
    INFO(applied.err);
    REQUIRE(applied.exit_code == 0);
    CHECK(applied.out.find("Apply complete: 3 created") != std::string::npos);
    CHECK(project.posts() == 3);

    const auto second_plan = project.command("plan", {"--detailed-exitcode"});
    CHECK(second_plan.exit_code == 0);
    CHECK(second_plan.out.find("No changes.") != std::string::npos);
}

TEST_CASE("apply writes 0600 outputs that parse and whose secrets authenticate as the right keys",
          "[e2e]") {
    Emulator emu;
    Project project(emu);
    REQUIRE(project.command("apply").exit_code == 0);

    const auto env_file = project.secrets("bots.env");
    const auto json_file = project.secrets("bots.json");
    CHECK(mode_of(env_file) == 0600U);
    CHECK(mode_of(json_file) == 0600U);

    const auto values = source_dotenv(env_file, k_bot_vars);
    const auto json = nlohmann::json::parse(read_text(json_file));
    const auto state = emu.state();
    for (const auto& var : k_bot_vars) {
        const std::string& secret = values.at(var);
        CHECK(json.at("keys").at(var).at("secret").get<std::string>() == secret);
        const auto self = self_with(emu, secret);
        REQUIRE(self.status == 200);
        const auto id = self.json().at("response").at("id").get<std::string>();
        bool found = false;
        for (const auto& key : state.at("keys")) {
            if (key.at("id") == id) {
                found = key.at("secret").get<std::string>() == secret;
            }
        }
        CHECK(found);
    }
    CHECK(state.at("keys").size() == 3);
    // The state file holds ids and fingerprints, never a secret.
    const auto state_text = read_text(project.state_file());
    for (const auto& var : k_bot_vars) {
        CHECK(state_text.find(values.at(var)) == std::string::npos);
    }
}

TEST_CASE("a second apply sends zero POSTs and leaves the outputs byte for byte unchanged",
          "[e2e]") {
    Emulator emu;
    Project project(emu);
    REQUIRE(project.command("apply").exit_code == 0);
    const auto before = read_text(project.secrets("bots.env"));
    const auto posts = project.posts();
    emu.clear_requests();

    const auto again = project.command("apply");
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("No changes.") != std::string::npos);
    CHECK(project.posts() == 0);
    CHECK(emu.count_requests("PUT", "/api/2.0/keys") == 0);
    CHECK(posts == 3);
    CHECK(read_text(project.secrets("bots.env")) == before);
}

TEST_CASE("a permission edit made on the portal is put back by one PUT", "[e2e]") {
    Emulator emu;
    Project project(emu);
    REQUIRE(project.command("apply").exit_code == 0);
    std::string id;
    const auto before = emu.state();
    for (const auto& key : before.at("keys")) {
        if (key.at("name") == "Backup Agent") {
            id = key.at("id").get<std::string>();
        }
    }
    REQUIRE_FALSE(id.empty());
    const auto edited =
        emu.put("/api/2.0/keys/" + id, {{"permissions", {"files:write"}}}, Emulator::owner_token());
    REQUIRE(edited.status == 200);

    const auto plan = project.command("plan");
    CHECK(plan.out.find("scopes_edited") != std::string::npos);
    CHECK(plan.out.find("permissions: + files:read  + rooms:read  - files:write") !=
          std::string::npos);

    emu.clear_requests();
    const auto applied = project.command("apply");
    INFO(applied.err);
    CHECK(applied.exit_code == 0);
    int puts = 0;
    for (const auto& r : emu.requests()) {
        puts += r.at("method") == "PUT" ? 1 : 0;
    }
    CHECK(puts == 1);
    CHECK(project.posts() == 0);
    const auto after = emu.state();
    for (const auto& key : after.at("keys")) {
        if (key.at("id") == id) {
            CHECK(key.at("permissions") == nlohmann::json({"files:read", "rooms:read"}));
        }
    }
    CHECK(project.command("plan", {"--detailed-exitcode"}).exit_code == 0);
}

TEST_CASE("a key deleted on the portal is reported as missing and created again", "[e2e]") {
    Emulator emu;
    Project project(emu);
    REQUIRE(project.command("apply").exit_code == 0);
    const auto old_values = source_dotenv(project.secrets("bots.env"), k_bot_vars);
    std::string id;
    const auto before = emu.state();
    for (const auto& key : before.at("keys")) {
        if (key.at("name") == "Audit Reader") {
            id = key.at("id").get<std::string>();
        }
    }
    REQUIRE(emu.del("/api/2.0/keys/" + id, Emulator::owner_token()).status == 200);

    const auto plan = project.command("plan", {"--detailed-exitcode"});
    CHECK(plan.exit_code == 2);
    CHECK(plan.out.find("missing_on_portal") != std::string::npos);
    CHECK(plan.out.find("is gone from the portal") != std::string::npos);

    const auto applied = project.command("apply");
    CHECK(applied.exit_code == 0);
    const auto values = source_dotenv(project.secrets("bots.env"), k_bot_vars);
    CHECK(values.at("AUDIT_READER_API_KEY") != old_values.at("AUDIT_READER_API_KEY"));
    CHECK(self_with(emu, values.at("AUDIT_READER_API_KEY")).status == 200);
    // The other keys' secrets were kept byte for byte.
    CHECK(values.at("INTEGRATION_BOT_API_KEY") == old_values.at("INTEGRATION_BOT_API_KEY"));
    CHECK(values.at("BACKUP_AGENT_API_KEY") == old_values.at("BACKUP_AGENT_API_KEY"));
    CHECK(project.command("plan", {"--detailed-exitcode"}).exit_code == 0);
}

TEST_CASE("an invalid manifest exits 3 with file:line:col and the portal sees no request",
          "[e2e]") {
    Emulator emu;
    const std::string example = bots_manifest();
    Project project(
        emu, example + "  - name: Broken\n    permissions: [files:raed]\n    expiresInDays: 30\n");
    // The misspelt scope: the second line of the entry appended after the example's last line.
    const auto line = std::count(example.begin(), example.end(), '\n') + 2;
    const std::string where = "bots.yaml:" + std::to_string(line) + ":19";
    for (const std::string command : {"validate", "plan", "apply"}) {
        const auto r = project.command(command);
        CHECK(r.exit_code == 3);
        CHECK(r.err.find(where) != std::string::npos);
        CHECK(r.err.find("did you mean") != std::string::npos);
    }
    CHECK(emu.requests().empty());
}

TEST_CASE("validate accepts the worked example without any network access", "[e2e]") {
    Emulator emu;
    Project project(emu);
    const auto r = project.command("validate");
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("valid (3 key(s), 2 output(s))") != std::string::npos);
    CHECK(emu.requests().empty());
}

TEST_CASE("validate needs no secrets and runs the local checks plan runs", "[e2e]") {
    Emulator emu;  // not contacted
    Project project(emu);
    const auto contains = [](const std::string& text, const std::string& part) {
        return text.find(part) != std::string::npos;
    };
    auto no_secrets = project.env();
    no_secrets.env.erase("DOCSPACE_TOKEN");
    no_secrets.env.erase("DOCSPACE_URL");
    const auto offline = project.run({"validate", project.manifest.string()}, no_secrets);
    INFO(offline.out << offline.err);
    CHECK(offline.exit_code == 0);
    CHECK(contains(offline.err,
                   "warning: portal.url: environment variable `DOCSPACE_URL` is not set here"));
    CHECK(contains(offline.err, "DOCSPACE_TOKEN"));
    CHECK(contains(offline.out, "valid (3 key(s), 2 output(s))"));

    // An output git would track is refused, as plan refuses it.
    const auto git =
        test_support::run_process({"/usr/bin/git", "init", "-q", project.dir.path().string()});
    REQUIRE(git.exit_code == 0);
    const auto tracked = project.run({"validate", project.manifest.string()}, no_secrets);
    CHECK(tracked.exit_code == 3);
    CHECK(contains(tracked.err, "allowGit"));
    fs::remove_all(project.dir.path() / ".git");

    // A state file that cannot be read is reported.
    write_text(project.state_file(), "{ not json");
    const auto corrupt = project.run({"validate", project.manifest.string()}, no_secrets);
    CHECK(corrupt.exit_code == 3);
    CHECK(contains(corrupt.err, "is corrupt"));
    CHECK(emu.requests().empty());
}

TEST_CASE("apply exits 4 naming the holder while another run holds the lock", "[e2e]") {
    Emulator emu;
    Project project(emu);
    const auto lock_file = project.state_file().string() + ".lock";
    const int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX) == 0);
    const auto r = project.command("apply");
    ::close(fd);
    CHECK(r.exit_code == 4);
    CHECK(r.err.find("holds the lock") != std::string::npos);
    CHECK(project.posts() == 0);
}

TEST_CASE(
    "a missing token exits 3 and an unreachable portal exits 1, both without creating anything",
    "[e2e]") {
    Emulator emu;
    Project project(emu);
    auto no_token = project.env();
    no_token.env.erase("DOCSPACE_TOKEN");
    no_token.unset_env.push_back("DOCSPACE_TOKEN");
    const auto missing = project.run({"apply", project.manifest.string()}, no_token);
    CHECK(missing.exit_code == 3);
    CHECK(missing.err.find("DOCSPACE_TOKEN") != std::string::npos);

    auto unreachable = project.env();
    unreachable.env["DOCSPACE_URL"] = "http://127.0.0.1:1";
    const auto down =
        project.run({"apply", project.manifest.string(), "--connect-timeout", "1"}, unreachable);
    CHECK(down.exit_code == 1);
    CHECK(project.posts() == 0);
}

TEST_CASE("a wrong token exits 1 with a message that does not echo the token", "[e2e]") {
    Emulator emu;
    Project project(emu);
    auto options = project.env();
    options.env["DOCSPACE_TOKEN"] = "not-a-valid-session-token-1234";
    const auto r = project.run({"plan", project.manifest.string()}, options);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("not-a-valid-session-token-1234") == std::string::npos);
    CHECK(r.out.find("not-a-valid-session-token-1234") == std::string::npos);
}

TEST_CASE("the --version and --help flags answer without a manifest", "[e2e]") {
    Emulator emu;
    Project project(emu);
    const auto version = project.run({"--version"});
    CHECK(version.exit_code == 0);
    CHECK(version.out.find("provision ") != std::string::npos);
    const auto help = project.run({"apply", "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("Examples:") != std::string::npos);
    const auto bad = project.run({"frobnicate"});
    CHECK(bad.exit_code == 3);
}

TEST_CASE("several outputs each take their own format, selection of keys and variable prefix",
          "[e2e]") {
    Emulator emu;
    Project project(emu, R"(version: 1
portal:
  url: ${DOCSPACE_URL}
  token: ${DOCSPACE_TOKEN}
outputs:
  - path: ../secrets/ci.env
    format: dotenv
    keys: [Integration Bot]
    envPrefix: CI_
  - path: ../secrets/all.json
    format: json
keys:
  - name: Integration Bot
    permissions: [files:read]
    expiresInDays: 30
  - name: Backup Agent
    permissions: [rooms:read]
    expiresInDays: 30
)");
    const auto applied = project.command("apply");
    INFO(applied.err);
    REQUIRE(applied.exit_code == 0);
    const auto ci = source_dotenv(project.secrets("ci.env"),
                                  {"CI_INTEGRATION_BOT_API_KEY", "CI_BACKUP_AGENT_API_KEY"});
    const auto all = nlohmann::json::parse(read_text(project.secrets("all.json")));
    CHECK(ci.at("CI_INTEGRATION_BOT_API_KEY") ==
          all.at("keys").at("INTEGRATION_BOT_API_KEY").at("secret"));
    CHECK(ci.at("CI_BACKUP_AGENT_API_KEY").empty());  // not selected for this output
    CHECK(all.at("keys").contains("BACKUP_AGENT_API_KEY"));
    CHECK(self_with(emu, ci.at("CI_INTEGRATION_BOT_API_KEY")).status == 200);
    emu.clear_requests();
    CHECK(project.command("apply").exit_code == 0);
    CHECK(project.posts() == 0);
}
