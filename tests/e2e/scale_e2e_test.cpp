// Manifests and portals of real size: 10,000 entries, a key list of several megabytes.

#include "e2e_support.hpp"

#include <cstdio>

using namespace e2e;

namespace {

/// The worked example's portal and outputs with `count` generated entries in place of its keys.
std::string scale_manifest(int count) {
    const std::string text = bots_manifest();
    std::string out = text.substr(0, text.find("\nkeys:\n")) + "\nkeys:\n";
    for (int i = 1; i <= count; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "Scale Key %05d", i);
        out += std::string("  - name: ") + name +
               "\n    permissions: [files:read, rooms:read]\n    expiresInDays: 30\n";
    }
    return out;
}

}  // namespace

TEST_CASE(
    "a manifest of 10000 entries validates and plans against a portal listing 10000 other keys",
    "[e2e][scale]") {
    Emulator emu;
    Project project(emu, scale_manifest(10000));

    const auto validated = project.command("validate");
    INFO(validated.err);
    CHECK(validated.exit_code == 0);

    // 10,000 keys list as about 8 MB, twice the answer size that used to be refused.
    const auto seeded =
        emu.request("POST", "/__emulator/keys", "",
                    nlohmann::json{{"count", 10000}, {"namePrefix", "Other Key "}}.dump());
    REQUIRE(seeded.status == 200);
    REQUIRE(seeded.json().at("keys").size() == 10000);
    CHECK(emu.get("/api/2.0/keys", Emulator::owner_token()).body.size() > 4 * 1024 * 1024);
    emu.clear_requests();

    const auto plan = project.command("plan", {"--detailed-exitcode"});
    INFO(plan.err);
    CHECK(plan.exit_code == 2);
    CHECK(plan.out.find("Plan: 10000 to create, 0 to update, 0 to replace, 0 to delete.") !=
          std::string::npos);
    CHECK(plan.out.find("Scale Key 10000") != std::string::npos);
    CHECK(project.posts() == 0);
    CHECK(emu.count_requests("GET", "/api/2.0/keys") == 1);
}
