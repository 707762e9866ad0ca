// A key's whole life against the real emulator, using its time-travel control (PATCH
// /__emulator/keys/{id}) and expiry sweep: rotation before expiry with an overlap, retirement
// after the grace period, and every drift state made by editing the portal directly. After
// every apply a second plan shows no changes.

#include "lifecycle_support.hpp"

using namespace e2e;
using namespace std::chrono_literals;

TEST_CASE("a key is created, rotated before expiry with an overlap, and its old key retired after "
          "the grace period",
          "[e2e][lifecycle]") {
    Emulator emu;
    // The grace period must outlast the apply and the plan that follows it, also under the
    // sanitizers on a loaded machine.
    Project project(emu, lifecycle_manifest("  rotation:\n    gracePeriod: 5s\n"));
    apply_ok(project);
    require_clean_plan(project);
    const auto old_key = only_key(emu, "Integration Bot");
    const std::string old_id = old_key.at("id");
    const std::string old_secret = output_secret(project);
    CHECK(old_key.at("secret") == old_secret);

    // Approaching expiry: within the default window (a third of 30 days).
    emu.patch_key(old_id, {{"expiresAt", iso_from_now(48h)}});
    const auto plan = project.command("plan", {"--detailed-exitcode"});
    CHECK(plan.exit_code == 2);
    CHECK(contains(plan.out, "rotation_due"));

    emu.clear_requests();
    const auto rotated = apply_ok(project);
    CHECK(contains(rotated.out, "1 replaced"));
    const std::string new_secret = output_secret(project);
    REQUIRE(new_secret != old_secret);
    const std::string new_id = self_id(emu, new_secret);
    CHECK_FALSE(new_id.empty());
    CHECK(new_id != old_id);
    // The old key was not touched: it still authenticates during the grace period.
    CHECK(emu.count_requests("DELETE", "/api/2.0/keys/" + old_id) == 0);
    CHECK(emu.count_requests("PUT", "/api/2.0/keys/" + old_id) == 0);
    CHECK(self_id(emu, old_secret) == old_id);
    require_clean_plan(project);

    std::this_thread::sleep_for(5200ms);
    const auto due = project.command("plan", {"--detailed-exitcode"});
    CHECK(due.exit_code == 2);
    CHECK(contains(due.out, "grace_over"));
    apply_ok(project);
    CHECK(emu.count_requests("DELETE", "/api/2.0/keys/" + old_id) == 1);
    CHECK_FALSE(key_exists(emu, old_id));
    CHECK(self_id(emu, old_secret).empty());
    CHECK(self_id(emu, new_secret) == new_id);
    require_clean_plan(project);
}

TEST_CASE("a key deactivated on the portal is reactivated and keeps its secret",
          "[e2e][lifecycle]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest());
    apply_ok(project);
    const std::string id = only_key(emu, "Integration Bot").at("id");
    const std::string secret = output_secret(project);
    REQUIRE(emu.put("/api/2.0/keys/" + id, {{"isActive", false}}, Emulator::owner_token()).status ==
            200);
    CHECK(self_id(emu, secret).empty());

    const auto plan = project.command("plan");
    CHECK(contains(plan.out, "reactivate"));
    CHECK(contains(plan.out, "deactivated"));
    apply_ok(project);
    CHECK(only_key(emu, "Integration Bot").at("isActive") == true);
    CHECK(output_secret(project) == secret);
    CHECK(self_id(emu, secret) == id);
    require_clean_plan(project);
}

TEST_CASE("an expired key is replaced, whether or not the portal's sweep has deactivated it yet",
          "[e2e][lifecycle]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest());
    apply_ok(project);
    const std::string old_id = only_key(emu, "Integration Bot").at("id");
    const std::string old_secret = output_secret(project);
    emu.patch_key(old_id, {{"expiresAt", iso_from_now(-1h)}});
    std::string reason = "expired";
    SECTION("before the sweep the portal still lists it as active") {
        CHECK(only_key(emu, "Integration Bot").at("isActive") == true);
    }
    SECTION("after the sweep it is inactive") {
        CHECK(emu.sweep() == 1);
        reason = "deactivated_expired";
    }
    const auto plan = project.command("plan", {"--detailed-exitcode"});
    CHECK(plan.exit_code == 2);
    CHECK(contains(plan.out, "replace"));
    CHECK(contains(plan.out, reason));

    apply_ok(project);
    const std::string new_secret = output_secret(project);
    CHECK(new_secret != old_secret);
    CHECK_FALSE(self_id(emu, new_secret).empty());
    // An expired key needs no overlap: it is retired at once.
    CHECK_FALSE(key_exists(emu, old_id));
    require_clean_plan(project);
}

TEST_CASE("a lifetime changed in the manifest replaces the key and the plan says why",
          "[e2e][lifecycle]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest());
    apply_ok(project);
    const std::string old_id = only_key(emu, "Integration Bot").at("id");
    std::string text = lifecycle_manifest();
    text.replace(text.find("expiresInDays: 30"), 17, "expiresInDays: 60");
    write_text(project.manifest, text);

    const auto plan = project.command("plan");
    CHECK(contains(plan.out, "lifetime_changed"));
    CHECK(contains(plan.out, "lifetime changed from 30d to 60d"));
    apply_ok(project);
    const std::string new_id = self_id(emu, output_secret(project));
    REQUIRE_FALSE(new_id.empty());
    CHECK(new_id != old_id);
    // The default grace period (24h) keeps the old key until the next run after it.
    CHECK(key_exists(emu, old_id));
    require_clean_plan(project);
}

TEST_CASE("provision rotate replaces the named key at once and refuses unknown names",
          "[e2e][lifecycle]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest());
    apply_ok(project);
    const std::string old_secret = output_secret(project);
    const std::string old_id = self_id(emu, old_secret);

    const auto unknown = project.command("rotate", {"--key", "No Such Bot"});
    CHECK(unknown.exit_code == 3);
    CHECK(project.posts() == 1);

    const auto rotated = project.command("rotate", {"--key", "Integration Bot"});
    INFO(rotated.out << rotated.err);
    REQUIRE(rotated.exit_code == 0);
    CHECK(contains(rotated.out, "forced_rotation"));
    const std::string new_secret = output_secret(project);
    CHECK(new_secret != old_secret);
    CHECK(self_id(emu, old_secret) == old_id);
    CHECK_FALSE(self_id(emu, new_secret).empty());
    require_clean_plan(project);
}

TEST_CASE("keys left the manifest are kept without --prune, deleted with it, and untracked keys of "
          "the same name never touched",
          "[e2e][lifecycle]") {
    Emulator emu;
    const std::string backup = "  - name: Backup Agent\n"
                               "    permissions: [files:read]\n"
                               "    expiresInDays: 90\n";
    Project project(emu, lifecycle_manifest("", backup));
    apply_ok(project);
    const std::string managed_id = only_key(emu, "Backup Agent").at("id");
    const auto stray = emu.create_key(Emulator::owner_token(),
                                      {{"name", "Backup Agent"}, {"permissions", {"files:read"}}});
    const std::string stray_id = stray.at("id");
    write_text(project.manifest, lifecycle_manifest());

    const auto plan = project.command("plan");
    CHECK(contains(plan.out, "pass --prune to delete it"));
    apply_ok(project);
    CHECK(key_exists(emu, managed_id));
    require_clean_plan(project);

    const auto pruning = project.command("plan", {"--prune"});
    CHECK(contains(pruning.out, "delete"));
    CHECK(contains(pruning.out, "Backup Agent"));
    apply_ok(project, {"--prune"});
    CHECK_FALSE(key_exists(emu, managed_id));
    CHECK(key_exists(emu, stray_id));
    require_clean_plan(project, {"--prune"});
}
