// Crash consistency at every named crash point (issue 11): provision is killed with SIGKILL at
// each point where a create's secret is on its way to durability, with two outputs of
// different formats (dotenv, JSON), at concurrency 1, 4 and 16, on a portal where a key was
// deleted out of band (the create that replaces it is the one killed), on a first apply and
// while an expired key is replaced. After the kill, `plan` shows what the interruption left
// (a settle action, exit 2); then one clean apply converges with exit 0: one active key per
// entry, both outputs hold it, the state binds it, no temporary file is left, and planning
// again shows no changes.

#include "lifecycle_support.hpp"

#include <csignal>

using namespace e2e;

namespace {

/// Every point a create passes; "NAME:N" is the Nth time (after_rename: the first output,
/// the second output, then the state file).
const std::vector<std::string> k_points = {"before_post",    "after_response", "after_temp_file",
                                           "after_rename:1", "after_rename:2", "after_rename:3",
                                           "after_outputs",  "after_state"};

/// How the portal looks before the run that is killed.
enum class Before { nothing, key_deleted, key_expired };

const char* name_of(Before before) {
    switch (before) {
    case Before::nothing:
        return "first apply";
    case Before::key_deleted:
        return "key deleted out of band";
    case Before::key_expired:
        return "key expired";
    }
    return "";
}

void prepare(const Emulator& emu, const Project& project, Before before) {
    if (before == Before::nothing) {
        return;
    }
    apply_ok(project);
    const std::string id = only_key(emu, "Integration Bot").at("id").get<std::string>();
    if (before == Before::key_deleted) {
        REQUIRE(emu.del("/api/2.0/keys/" + id, Emulator::owner_token()).status == 200);
    } else {
        emu.patch_key(id, {{"expiresAt", iso_from_now(std::chrono::hours(-1))}});
    }
}

/// Requests the killed run had in flight finish on the portal (20 ms of latency each).
void let_portal_settle() {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
}

void crash_and_converge(const std::string& point, int concurrency, Before before) {
    Emulator emu({"--threads", "16"});
    emu.add_fault({{"method", "*"},
                   {"path", "/api/2.0/*"},
                   {"action", "latency"},
                   {"latencyMs", 20},
                   {"times", 0}});
    Project project(emu);
    prepare(emu, project, before);

    auto options = project.env();
    options.env["PROVISION_CRASH_AT"] = point;
    const auto killed = project.run(
        {"apply", project.manifest.string(), "--concurrency", std::to_string(concurrency)},
        options);
    REQUIRE(killed.signal == SIGKILL);
    check_outputs_intact(project);
    let_portal_settle();

    // What the kill left is visible before anything settles it.
    const auto plan = project.command("plan", {"--detailed-exitcode", "--output", "json"});
    INFO(plan.out << plan.err);
    CHECK(plan.exit_code == 2);
    const auto actions = nlohmann::json::parse(plan.out).at("actions");
    CHECK(std::any_of(actions.begin(), actions.end(),
                      [](const auto& a) { return a.at("action") == "settle"; }));

    const auto clean = project.command("apply", {"--concurrency", std::to_string(concurrency)});
    INFO(clean.out << clean.err);
    CHECK(clean.exit_code == 0);
    check_converged(emu, project);
    check_no_leftovers(project);
}

/// Applies, deletes Integration Bot's key out of band, and kills the apply that recreates it
/// between its two output writes: the dotenv output gets the new secret, the JSON one not.
void kill_between_outputs(const Emulator& emu, const Project& project) {
    prepare(emu, project, Before::key_deleted);
    auto options = project.env();
    options.env["PROVISION_CRASH_AT"] = "after_rename:1";
    REQUIRE(project.run({"apply", project.manifest.string()}, options).signal == SIGKILL);
}

}  // namespace

TEST_CASE(
    "a SIGKILL at any crash point, with a key deleted out of band, converges in one clean run",
    "[e2e][kill][crash-points]") {
    for (const auto& point : k_points)
        for (const int concurrency : {1, 4, 16}) {
            DYNAMIC_SECTION(point << ", concurrency " << concurrency) {
                crash_and_converge(point, concurrency, Before::key_deleted);
            }
        }
}

TEST_CASE("a SIGKILL at any crash point of a first apply or of an expired key's replacement "
          "converges in one clean run",
          "[e2e][kill][crash-points]") {
    for (const auto& point : k_points)
        for (const Before before : {Before::nothing, Before::key_expired}) {
            const int concurrency = before == Before::nothing ? 4 : 16;
            DYNAMIC_SECTION(point << ", " << name_of(before) << ", concurrency " << concurrency) {
                crash_and_converge(point, concurrency, before);
            }
        }
}

TEST_CASE("outputs left holding different secrets by a kill between them settle on the key the "
          "interrupted create made",
          "[e2e][kill][crash-points]") {
    Emulator emu;
    Project project(emu);
    kill_between_outputs(emu, project);
    // The dotenv output has the new key's secret, the JSON output still the deleted key's.
    const std::string fresh = output_secret(project);
    const auto json = nlohmann::json::parse(read_text(project.secrets("bots.json")));
    const std::string stale = json.at("keys").at(k_bot_var).at("secret").get<std::string>();
    REQUIRE(fresh != stale);
    const std::string new_id = only_key(emu, "Integration Bot").at("id").get<std::string>();
    CHECK(self_id(emu, fresh) == new_id);

    const auto status = project.command("status");
    INFO(status.out << status.err);
    CHECK(contains(status.out, "Interrupted creates"));
    CHECK(contains(status.out, "an output holds its secret"));

    const auto clean = project.command("apply");
    INFO(clean.out << clean.err);
    CHECK(clean.exit_code == 0);
    CHECK(contains(clean.err, "adopted key"));
    // The newest secret that authenticates won: both outputs hold it, the key was kept.
    CHECK(output_secret(project) == fresh);
    const auto rewritten = nlohmann::json::parse(read_text(project.secrets("bots.json")));
    CHECK(rewritten.at("keys").at(k_bot_var).at("secret") == fresh);
    CHECK(only_key(emu, "Integration Bot").at("id") == new_id);
    check_converged(emu, project);
}

TEST_CASE("outputs that disagree without an interrupted create keep the state's secret and are "
          "rewritten with it",
          "[e2e][crash-points]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    const std::string secret = output_secret(project);
    // Someone restores an old copy of one output: it holds a secret the state does not bind.
    auto json = nlohmann::json::parse(read_text(project.secrets("bots.json")));
    json["keys"][k_bot_var]["secret"] = "sk-" + std::string(64, 'a');
    write_text(project.secrets("bots.json"), json.dump(2));

    const auto plan = project.command("plan", {"--detailed-exitcode"});
    INFO(plan.out << plan.err);
    CHECK(plan.exit_code == 2);
    CHECK(contains(plan.out, "write-outputs"));
    const auto clean = project.command("apply");
    INFO(clean.out << clean.err);
    CHECK(clean.exit_code == 0);
    CHECK(contains(clean.err, "not the one of its key"));
    const auto rewritten = nlohmann::json::parse(read_text(project.secrets("bots.json")));
    CHECK(rewritten.at("keys").at(k_bot_var).at("secret") == secret);
    CHECK(project.posts() == 3);
    check_converged(emu, project);
}

TEST_CASE("a kill while reconciliation saves an adopted key is settled by the next run",
          "[e2e][kill][crash-points]") {
    Emulator emu;
    Project project(emu);
    kill_between_outputs(emu, project);
    auto options = project.env();
    options.env["PROVISION_CRASH_AT"] = "after_settle_state";
    REQUIRE(project.run({"apply", project.manifest.string()}, options).signal == SIGKILL);

    const auto plan = project.command("plan", {"--detailed-exitcode"});
    INFO(plan.out << plan.err);
    CHECK(plan.exit_code == 2);
    CHECK(contains(plan.out, "interrupted_create"));
    const auto clean = project.command("apply");
    INFO(clean.out << clean.err);
    CHECK(clean.exit_code == 0);
    check_converged(emu, project);
    check_no_leftovers(project);
}
