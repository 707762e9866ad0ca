// Saved plans (plan --out, apply PLANFILE), --target end to end, and the JSON output of plan
// and apply.

#include "lifecycle_support.hpp"

using namespace e2e;

TEST_CASE("a saved plan is applied when nothing changed since it was saved", "[e2e][saved-plan]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    const std::string id = only_key(emu, "Backup Agent").at("id");
    REQUIRE(
        emu.put("/api/2.0/keys/" + id, {{"permissions", {"files:write"}}}, Emulator::owner_token())
            .status == 200);
    const auto plan_file = project.dir.path() / "bots.plan";

    const auto saved = project.command("plan", {"--out", plan_file.string()});
    INFO(saved.out << saved.err);
    REQUIRE(saved.exit_code == 0);
    const auto document = nlohmann::json::parse(read_text(plan_file));
    CHECK(document.at("kind") == "provision-plan");
    CHECK(document.at("formatVersion") == 1);
    CHECK(document.at("digests").at("portal").get<std::string>().rfind("sha256:", 0) == 0);
    const auto dump = emu.state();  // keep the document alive for the loop
    for (const auto& key : dump.at("keys")) {
        CHECK_FALSE(contains(read_text(plan_file), key.at("secret").get<std::string>()));
    }

    const auto with_flags = project.run({"apply", plan_file.string(), "--prune"});
    CHECK(with_flags.exit_code == 3);
    CHECK(contains(with_flags.err, "saved plan carries its own options"));

    emu.clear_requests();
    const auto applied = project.run({"apply", plan_file.string()});
    INFO(applied.out << applied.err);
    REQUIRE(applied.exit_code == 0);
    CHECK(emu.count_requests("PUT", "/api/2.0/keys/" + id) == 1);
    CHECK(only_key(emu, "Backup Agent").at("permissions").size() == 2);
    require_clean_plan(project);
}

TEST_CASE("a saved plan is refused, naming what changed, after a portal edit or a manifest edit",
          "[e2e][saved-plan]") {
    Emulator emu;
    Project project(emu);
    const auto plan_file = project.dir.path() / "bots.plan";
    REQUIRE(project.command("plan", {"--out", plan_file.string()}).exit_code == 0);

    emu.create_key(Emulator::owner_token(), {{"name", "Someone Else"}});
    const auto portal = project.run({"apply", plan_file.string()});
    CHECK(portal.exit_code == 3);
    CHECK(contains(portal.err, "the portal's keys changed"));
    CHECK(project.posts() == 1);  // only the test's own key

    REQUIRE(project.command("plan", {"--out", plan_file.string()}).exit_code == 0);
    write_text(project.manifest, read_text(project.manifest) + "# reviewed\n");
    const auto manifest = project.run({"apply", plan_file.string()});
    CHECK(manifest.exit_code == 3);
    CHECK(contains(manifest.err, "the manifest changed"));

    REQUIRE(project.command("plan", {"--out", plan_file.string()}).exit_code == 0);
    apply_ok(project, {"--target", "Audit Reader"});
    const auto state = project.run({"apply", plan_file.string()});
    INFO(state.err);
    CHECK(state.exit_code == 3);
    CHECK(contains(state.err, "the state file and the portal's keys changed"));
    CHECK(project.posts() == 2);
}

TEST_CASE("the --target flag limits plan and apply to the named entries", "[e2e][target]") {
    Emulator emu;
    Project project(emu);
    const auto applied = apply_ok(project, {"--target", "Backup Agent"});
    CHECK(project.posts() == 1);
    CHECK(keys_named(emu, "Backup Agent").size() == 1);
    CHECK(keys_named(emu, "Integration Bot").empty());
    require_clean_plan(project, {"--target", "Backup Agent"});
    CHECK(project.command("plan", {"--detailed-exitcode"}).exit_code == 2);
    apply_ok(project);
    CHECK(project.posts() == 3);
    require_clean_plan(project);
}

TEST_CASE("plan and apply --output json carry formatVersion 2 and no secret", "[e2e][json]") {
    Emulator emu;
    Project project(emu);
    const auto plan = project.command("plan", {"--output", "json"});
    REQUIRE(plan.exit_code == 0);
    const auto plan_json = nlohmann::json::parse(plan.out);
    CHECK(plan_json.at("formatVersion") == 2);
    CHECK(plan_json.at("summary").at("create") == 3);

    const auto applied = project.command("apply", {"--output", "json"});
    REQUIRE(applied.exit_code == 0);
    const auto apply_json = nlohmann::json::parse(applied.out);
    CHECK(apply_json.at("formatVersion") == 2);
    CHECK(apply_json.at("result").at("created") == 3);
    const auto dump = emu.state();  // keep the document alive for the loop
    for (const auto& key : dump.at("keys")) {
        CHECK_FALSE(contains(applied.out, key.at("secret").get<std::string>()));
    }
    require_clean_plan(project);
}

TEST_CASE("a saved plan applies in another checkout at a different path", "[e2e][saved-plan]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    const std::string id = only_key(emu, "Backup Agent").at("id");
    REQUIRE(
        emu.put("/api/2.0/keys/" + id, {{"permissions", {"files:write"}}}, Emulator::owner_token())
            .status == 200);
    const auto plan_file = project.dir.path() / "bots.plan";
    REQUIRE(project.command("plan", {"--out", plan_file.string()}).exit_code == 0);
    CHECK(nlohmann::json::parse(read_text(plan_file)).at("manifest") == "manifests/bots.yaml");

    // The next CI job: the same repository (plan artifact included) checked out elsewhere.
    TempDir other;
    fs::copy(project.dir.path(), other.path(), fs::copy_options::recursive);
    auto options = project.env();
    options.cwd = other.path();
    emu.clear_requests();
    const auto applied = project.run({"apply", (other.path() / "bots.plan").string()}, options);
    INFO(applied.out << applied.err);
    CHECK(applied.exit_code == 0);
    CHECK(emu.count_requests("PUT", "/api/2.0/keys/" + id) == 1);
    CHECK(only_key(emu, "Backup Agent").at("permissions").size() == 2);
}
