// A lost state file (no silent duplicates: blocked with exit 8, then import, --adopt or
// --allow-duplicate), import with and without a verified secret, and destroy.

#include "lifecycle_support.hpp"

#include <csignal>

using namespace e2e;

namespace {

/// Applies the one-key manifest, then loses the state file; returns the key's id.
std::string apply_then_lose_state(const Project& project, const Emulator& emu) {
    apply_ok(project);
    fs::remove(project.state_file());
    return only_key(emu, "Integration Bot").at("id");
}

}  // namespace

TEST_CASE("a lost state file blocks with exit 8 instead of creating a duplicate, and import with "
          "the secret makes the key fully managed",
          "[e2e][import]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest());
    const std::string id = apply_then_lose_state(project, emu);
    const std::string secret = output_secret(project);

    const auto plan = project.command("plan", {"--detailed-exitcode"});
    CHECK(plan.exit_code == 2);
    CHECK(contains(plan.out, "untracked_name_match"));
    CHECK(contains(plan.out, "provision import"));
    CHECK(contains(plan.out, "--adopt"));
    const auto blocked = project.command("apply");
    CHECK(blocked.exit_code == 8);
    CHECK(keys_named(emu, "Integration Bot").size() == 1);

    auto env = project.env();
    env.env["PROVISION_IMPORT_SECRET"] = secret;
    const auto imported =
        project.run({"import", project.manifest.string(), "Integration Bot", "--id", id}, env);
    INFO(imported.out << imported.err);
    REQUIRE(imported.exit_code == 0);
    CHECK(contains(imported.out, "verified"));
    CHECK_FALSE(contains(imported.out + imported.err, secret));
    CHECK(output_secret(project) == secret);
    require_clean_plan(project);
}

TEST_CASE("import refuses an unknown id and a secret that belongs to another key",
          "[e2e][import]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest());
    const std::string id = apply_then_lose_state(project, emu);
    const auto other = emu.create_key(Emulator::owner_token(), {{"name", "Other"}});
    const std::string other_secret = other.at("key");

    const auto unknown = project.command(
        "import", {"Integration Bot", "--id", "00000000-0000-0000-0000-000000000000"});
    CHECK(unknown.exit_code == 3);
    CHECK(contains(unknown.err, "no key with id"));

    auto env = project.env();
    env.stdin_text = other_secret + "\n";
    const auto wrong = project.run(
        {"import", project.manifest.string(), "Integration Bot", "--id", id, "--secret-stdin"},
        env);
    CHECK(wrong.exit_code == 3);
    CHECK(contains(wrong.err, "belongs to key"));
    CHECK_FALSE(contains(wrong.out + wrong.err, other_secret));
    CHECK_FALSE(fs::exists(project.state_file()));
}

TEST_CASE("import without a secret leaves it unknown: the policy blocks until provision rotate "
          "replaces the key",
          "[e2e][import]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest());
    const std::string id = apply_then_lose_state(project, emu);
    fs::remove(project.secrets("bots.env"));

    const auto imported = project.command("import", {"Integration Bot", "--id", id});
    INFO(imported.err);
    REQUIRE(imported.exit_code == 0);
    const auto plan = project.command("plan", {"--detailed-exitcode"});
    CHECK(plan.exit_code == 2);
    CHECK(contains(plan.out, "secret_unknown"));
    CHECK(project.command("apply").exit_code == 8);

    const auto rotated = project.command("rotate", {"--key", "Integration Bot"});
    INFO(rotated.out << rotated.err);
    REQUIRE(rotated.exit_code == 0);
    CHECK_FALSE(self_id(emu, output_secret(project)).empty());
    require_clean_plan(project);
}

TEST_CASE("the --adopt flag binds the one untracked key and, with onSecretUnknown: rotate, "
          "replaces it in the same run",
          "[e2e][import]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest("  onSecretUnknown: rotate\n"));
    const std::string id = apply_then_lose_state(project, emu);

    const auto adopted = project.command("apply", {"--adopt"});
    INFO(adopted.out << adopted.err);
    REQUIRE(adopted.exit_code == 0);
    CHECK(contains(adopted.out, "adopt"));
    CHECK(contains(adopted.out, "1 replaced"));
    const std::string new_id = self_id(emu, output_secret(project));
    CHECK_FALSE(new_id.empty());
    CHECK(new_id != id);
    CHECK(key_exists(emu, id));  // retiring: the default grace period keeps it a while
    CHECK(contains(read_text(project.state_file()), id));
    require_clean_plan(project);
}

TEST_CASE("the --adopt flag does not choose between two untracked keys, and --allow-duplicate "
          "creates another",
          "[e2e][import]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest("  onSecretUnknown: keep\n"));
    const std::string id = apply_then_lose_state(project, emu);
    const std::string second =
        emu.create_key(Emulator::owner_token(), {{"name", "Integration Bot"}}).at("id");

    const auto ambiguous = project.command("apply", {"--adopt"});
    CHECK(ambiguous.exit_code == 8);
    CHECK(contains(ambiguous.out, id));
    CHECK(contains(ambiguous.out, second));
    CHECK(keys_named(emu, "Integration Bot").size() == 2);

    apply_ok(project, {"--allow-duplicate"});
    CHECK(keys_named(emu, "Integration Bot").size() == 3);
    CHECK(key_exists(emu, id));
    CHECK(key_exists(emu, second));
    require_clean_plan(project);
}

TEST_CASE("destroy refuses without --auto-approve off a terminal, then deletes only managed keys, "
          "outputs and state",
          "[e2e][destroy]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    const std::string stray =
        emu.create_key(Emulator::owner_token(), {{"name", "Backup Agent"}}).at("id");
    REQUIRE(emu.state().at("keys").size() == 4);

    const auto refused = project.command("destroy");
    CHECK(refused.exit_code == 3);
    CHECK(contains(refused.err, "--auto-approve"));
    CHECK(emu.state().at("keys").size() == 4);

    const auto destroyed = project.command("destroy", {"--auto-approve"});
    INFO(destroyed.out << destroyed.err);
    REQUIRE(destroyed.exit_code == 0);
    const auto keys = emu.state().at("keys");
    REQUIRE(keys.size() == 1);
    CHECK(keys[0].at("id") == stray);
    CHECK_FALSE(fs::exists(project.secrets("bots.env")));
    CHECK_FALSE(fs::exists(project.secrets("bots.json")));
    CHECK_FALSE(fs::exists(project.state_file()));
}

TEST_CASE("destroy refuses a protected entry unless --override-protect", "[e2e][destroy]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest("", "    protect: true\n"));
    apply_ok(project);
    const auto refused = project.command("destroy", {"--auto-approve"});
    CHECK(refused.exit_code == 3);
    CHECK(contains(refused.err, "protect"));
    CHECK(keys_named(emu, "Integration Bot").size() == 1);
    const auto destroyed = project.command("destroy", {"--auto-approve", "--override-protect"});
    CHECK(destroyed.exit_code == 0);
    CHECK(keys_named(emu, "Integration Bot").empty());
}

TEST_CASE("on a terminal destroy asks for 'yes' and deletes nothing on any other answer",
          "[e2e][destroy]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest());
    apply_ok(project);
    const auto declined = on_terminal(project, "destroy", "", "no");
    CHECK(contains(declined.out, "Type 'yes' to destroy 1 keys"));
    CHECK(declined.exit_code == 1);
    CHECK(keys_named(emu, "Integration Bot").size() == 1);

    const auto accepted = on_terminal(project, "destroy", "", "yes");
    INFO(accepted.out << accepted.err);
    CHECK(accepted.exit_code == 0);
    CHECK(keys_named(emu, "Integration Bot").empty());
    CHECK_FALSE(fs::exists(project.state_file()));
}

TEST_CASE("destroy and import are plans: previewed, and reported as JSON with the plan",
          "[e2e][destroy][import]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest());
    const std::string id = apply_then_lose_state(project, emu);

    const auto imported =
        project.command("import", {"Integration Bot", "--id", id, "--output", "json"});
    INFO(imported.out << imported.err);
    REQUIRE(imported.exit_code == 0);
    const auto import_report = nlohmann::json::parse(imported.out);
    CHECK(import_report.at("plan").at("actions").at(0).at("action") == "import");
    CHECK(import_report.at("plan").at("actions").at(0).at("keyId") == id);
    CHECK(import_report.at("result").at("imported") == 1);

    const auto destroyed = project.command("destroy", {"--auto-approve", "--output", "json"});
    INFO(destroyed.out << destroyed.err);
    REQUIRE(destroyed.exit_code == 0);
    const auto destroy_report = nlohmann::json::parse(destroyed.out);
    const auto& action = destroy_report.at("plan").at("actions").at(0);
    CHECK(action.at("action") == "delete");
    CHECK(action.at("reasons").at(0) == "destroy_requested");
    CHECK(destroy_report.at("result").at("deleted") == 1);
    CHECK(keys_named(emu, "Integration Bot").empty());
}

TEST_CASE(
    "destroy settles a create an interrupted apply left before it deletes, so no key outlives it",
    "[e2e][destroy]") {
    Emulator emu;
    Project project(emu);
    auto options = project.env();
    options.env["PROVISION_CRASH_AT"] = "after_response:2";
    const auto killed =
        project.run({"apply", project.manifest.string(), "--concurrency", "1"}, options);
    REQUIRE(killed.signal == SIGKILL);
    REQUIRE(emu.state().at("keys").size() == 2);  // the second create's key is not in the state

    const auto destroyed = project.command("destroy", {"--auto-approve"});
    INFO(destroyed.out << destroyed.err);
    CHECK(destroyed.exit_code == 0);
    CHECK(emu.state().at("keys").empty());
    CHECK_FALSE(fs::exists(project.state_file()));
}

TEST_CASE("import settles a create an interrupted apply left before it binds", "[e2e][import]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest());
    const std::string id = apply_then_lose_state(project, emu);
    const std::string secret = output_secret(project);
    auto options = project.env();
    options.env["PROVISION_CRASH_AT"] = "after_response";
    const auto killed =
        project.run({"apply", project.manifest.string(), "--allow-duplicate"}, options);
    REQUIRE(killed.signal == SIGKILL);
    REQUIRE(keys_named(emu, "Integration Bot").size() == 2);

    auto with_secret = project.env();
    with_secret.env["PROVISION_IMPORT_SECRET"] = secret;
    const auto imported = project.run(
        {"import", project.manifest.string(), "Integration Bot", "--id", id}, with_secret);
    INFO(imported.out << imported.err);
    // No output holds the secret of the key the lost create made, so settling revokes it;
    // then the named key is bound.
    CHECK(imported.exit_code == 0);
    const auto left = keys_named(emu, "Integration Bot");
    REQUIRE(left.size() == 1);
    CHECK(left[0].at("id") == id);
    CHECK(contains(read_text(project.state_file()), id));
    require_clean_plan(project);
}

TEST_CASE("on a terminal apply asks before replacing a key and changes nothing on any other answer",
          "[e2e][apply]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest());
    apply_ok(project);
    const std::string id = only_key(emu, "Integration Bot").at("id");
    emu.patch_key(id, {{"expiresAt", iso_from_now(std::chrono::hours(-1))}});  // replace due
    const auto declined = on_terminal(project, "apply", "", "no");
    INFO(declined.out << declined.err);
    CHECK(contains(declined.out, "Type 'yes' to go on"));
    CHECK(declined.exit_code == 1);
    CHECK(project.posts() == 1);

    const auto approved = on_terminal(project, "apply", " -y", "");
    INFO(approved.out << approved.err);
    CHECK(approved.exit_code == 0);
    CHECK_FALSE(contains(approved.out, "Type 'yes'"));
    CHECK(project.posts() == 2);
    // Without a terminal nothing is asked (CI): covered by every other apply in this suite.
}

TEST_CASE("a CI job killed with its runner after a create loses state and journal, and the "
          "documented way out converges",
          "[e2e][import][kill]") {
    // docs/ci.md, "What a CI job must keep": the kill loses everything the job wrote after its
    // checkout; the next runner starts from the committed (empty) state, without the journal.
    Emulator emu;
    Project project(emu, lifecycle_manifest("  onSecretUnknown: rotate\n"));
    auto options = project.env();
    options.env["PROVISION_CRASH_AT"] = "after_response";
    REQUIRE(project.run({"apply", project.manifest.string()}, options).signal == SIGKILL);
    const std::string lost_id = only_key(emu, "Integration Bot").at("id");
    fs::remove(project.state_file());
    fs::remove(fs::path(project.state_file().string() + ".journal"));
    fs::remove_all(project.secrets("bots.env").parent_path());

    const auto blocked = project.command("apply");
    INFO(blocked.out << blocked.err);
    CHECK(blocked.exit_code == 8);
    CHECK(contains(blocked.out + blocked.err, "--adopt"));
    CHECK(keys_named(emu, "Integration Bot").size() == 1);

    const auto adopted = project.command("apply", {"--adopt"});
    INFO(adopted.out << adopted.err);
    REQUIRE(adopted.exit_code == 0);
    const std::string new_id = self_id(emu, output_secret(project));
    CHECK(new_id != lost_id);
    CHECK(contains(read_text(project.state_file()), lost_id));  // retiring, then deleted
    require_clean_plan(project);
}
