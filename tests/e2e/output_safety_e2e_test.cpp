// Outputs never lose anything silently (issue 11): a line the tool does not own is refused
// before anything is written, and a secret that cannot reach the outputs goes to the recovery
// file beside the state (reliability C.10) instead of being revoked; the next run moves it
// into the outputs and deletes the file.

#include "lifecycle_support.hpp"

#include <sys/stat.h>

using namespace e2e;

TEST_CASE(
    "a variable the manifest does not write is refused before any change, and the file keeps it",
    "[e2e][outputs]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    const std::string original = read_text(project.secrets("bots.env"));
    write_text(project.secrets("bots.env"), original + "DATABASE_PASSWORD='x'\n");
    const std::string edited = read_text(project.secrets("bots.env"));
    // A key deleted on the portal gives apply something to do.
    const std::string id = only_key(emu, "Integration Bot").at("id").get<std::string>();
    REQUIRE(emu.del("/api/2.0/keys/" + id, Emulator::owner_token()).status == 200);

    for (const std::string command : {"plan", "apply"}) {
        const auto run = project.command(command);
        INFO(command << ": " << run.out << run.err);
        CHECK(run.exit_code == 3);
        CHECK(contains(run.err, "../secrets/bots.env holds DATABASE_PASSWORD"));
        CHECK(contains(run.err, "move it to a file of its own"));
    }
    CHECK(read_text(project.secrets("bots.env")) == edited);
    CHECK(project.posts() == 3);

    // Moved away, the next apply goes ahead.
    write_text(project.secrets("bots.env"), original);
    apply_ok(project);
    check_converged(emu, project);
}

TEST_CASE("the variable of an entry that left the manifest is the tool's own, not a foreign line",
          "[e2e][outputs]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    // Drop "Audit Reader" from the manifest; its key stays managed (no --prune).
    std::string text = bots_manifest();
    text.erase(text.find("  - name: Audit Reader"));
    write_text(project.manifest, text);
    const auto run = project.command("apply");
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    CHECK_FALSE(contains(run.err, "no manifest entry writes there"));
}

TEST_CASE("a secret the outputs cannot take goes to the recovery file, the key is kept, and the "
          "next run moves it into the outputs",
          "[e2e][outputs][recovery]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    const std::string id = only_key(emu, "Integration Bot").at("id").get<std::string>();
    REQUIRE(emu.del("/api/2.0/keys/" + id, Emulator::owner_token()).status == 200);

    // The create is held by the portal; meanwhile the outputs' directory is replaced by a
    // file, so the secret cannot be written there (the state's directory still can).
    const auto held = emu.add_fault({{"method", "POST"},
                                     {"path", "/api/2.0/keys"},
                                     {"action", "latency"},
                                     {"latencyMs", 1500},
                                     {"times", 1}});
    test_support::ChildProcess child(
        {test_support::provision_binary(), "apply", project.manifest.string()}, project.env(),
        project.dir / "out", project.dir / "err");
    wait_until_fired(emu, held);
    const auto secrets_dir = project.secrets("");
    const auto moved = project.dir.path() / "secrets.moved";
    fs::rename(secrets_dir, moved);
    write_text(project.dir.path() / "secrets", "not a directory\n");
    const auto code = child.wait(std::chrono::seconds(30));
    REQUIRE(code.has_value());
    const std::string err = read_text(project.dir / "err");
    INFO(err);
    CHECK(*code == 5);
    CHECK(contains(err, "recovery file"));

    const fs::path recovery = project.state_file().string() + ".recovery";
    REQUIRE(fs::exists(recovery));
    CHECK(mode_of(recovery) == 0600U);
    const auto recovered = nlohmann::json::parse(read_text(recovery));
    const std::string secret =
        recovered.at("keys").at("Integration Bot").at("secret").get<std::string>();
    const std::string new_id = only_key(emu, "Integration Bot").at("id").get<std::string>();
    CHECK(self_id(emu, secret) == new_id);  // kept, not revoked
    CHECK(recovered.at("keys").at("Integration Bot").at("id") == new_id);
    CHECK(!contains(err, secret));

    // Still broken: plan cannot read the outputs and says which.
    const auto plan = project.command("plan", {"--detailed-exitcode"});
    CHECK(plan.exit_code == 1);
    CHECK(contains(plan.err, "bots.env"));

    // Repaired: one apply writes the secret everywhere and deletes the recovery file.
    fs::remove(project.dir.path() / "secrets");
    fs::rename(moved, secrets_dir);
    const auto clean = project.command("apply");
    INFO(clean.out << clean.err);
    CHECK(clean.exit_code == 0);
    CHECK_FALSE(fs::exists(recovery));
    CHECK(output_secret(project) == secret);
    CHECK(project.posts() == 4);
    check_converged(emu, project);
    check_no_leftovers(project);
}
