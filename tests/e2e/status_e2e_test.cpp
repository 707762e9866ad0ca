// provision status: the table, retiring keys, unmanaged count, --expiring-within's exit code
// and the JSON form, which never holds a secret.

#include "lifecycle_support.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

std::string id_of(const Emulator& emu, const std::string& name) {
    return only_key(emu, name).at("id").get<std::string>();
}

}  // namespace

TEST_CASE("status lists each managed key with its state, the retiring keys and the unmanaged count",
          "[e2e][status]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    emu.create_key(Emulator::owner_token(), {{"name", "Someone Else"}});
    const std::string backup = id_of(emu, "Backup Agent");
    REQUIRE(
        emu.put("/api/2.0/keys/" + backup, {{"isActive", false}}, Emulator::owner_token()).status ==
        200);
    REQUIRE(project.command("rotate", {"--key", "Audit Reader"}).exit_code == 0);

    const auto status = project.command("status");
    INFO(status.out << status.err);
    REQUIRE(status.exit_code == 0);
    CHECK(contains(status.out, "Integration Bot"));
    CHECK(contains(status.out, backup));
    const auto line_of = [&](const std::string& entry) {
        const auto start = status.out.find(entry);
        REQUIRE(start != std::string::npos);
        return status.out.substr(start, status.out.find('\n', start) - start);
    };
    CHECK(line_of("Integration Bot").substr(line_of("Integration Bot").size() - 7) == " active");
    CHECK(line_of("Backup Agent").substr(line_of("Backup Agent").size() - 12) == " deactivated");
    CHECK(contains(status.out, "Retiring after rotation:"));
    CHECK(contains(status.out, "1 key(s) on the portal not managed by this manifest."));
    CHECK(contains(status.out, "never"));  // Audit Reader never expires
}

TEST_CASE("status --expiring-within exits 9 only when a managed key expires within the window",
          "[e2e][status]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    CHECK(project.command("status", {"--expiring-within", "1d"}).exit_code == 0);
    // An unmanaged key expiring soon does not count.
    const std::string stray =
        emu.create_key(Emulator::owner_token(), {{"name", "Stray"}, {"expiresInDays", 1}}).at("id");
    CHECK(project.command("status", {"--expiring-within", "2d"}).exit_code == 0);

    emu.patch_key(id_of(emu, "Integration Bot"), {{"expiresAt", iso_from_now(12h)}});
    const auto expiring = project.command("status", {"--expiring-within", "1d"});
    CHECK(expiring.exit_code == 9);
    CHECK(project.command("status", {"--expiring-within", "6h"}).exit_code == 0);
    CHECK(project.command("status", {"--expiring-within", "soon"}).exit_code == 3);
}

TEST_CASE("status --output json has a formatVersion, one object per key and no secret",
          "[e2e][status]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    emu.patch_key(id_of(emu, "Backup Agent"), {{"expiresAt", iso_from_now(-1h)}});

    const auto r = project.command("status", {"--output", "json", "--expiring-within", "1d"});
    CHECK(r.exit_code == 9);
    const auto json = nlohmann::json::parse(r.out);
    CHECK(json.at("formatVersion") == 2);
    CHECK(json.at("unmanagedCount") == 0);
    REQUIRE(json.at("keys").size() == 3);
    std::map<std::string, std::string> states;
    for (const auto& key : json.at("keys")) {
        states[key.at("entry")] = key.at("state");
    }
    CHECK(states["Integration Bot"] == "active");
    CHECK(states["Backup Agent"] == "expired");
    const auto dump = emu.state();  // keep the document alive for the loop
    for (const auto& key : dump.at("keys")) {
        CHECK_FALSE(contains(r.out, key.at("secret").get<std::string>()));
    }
}

TEST_CASE("status shows secret-unknown and missing keys", "[e2e][status]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    fs::remove(project.secrets("bots.env"));
    fs::remove(project.secrets("bots.json"));
    const std::string backup = id_of(emu, "Backup Agent");
    REQUIRE(emu.del("/api/2.0/keys/" + backup, Emulator::owner_token()).status == 200);
    const auto r = project.command("status", {"--output", "json"});
    REQUIRE(r.exit_code == 0);
    const auto json = nlohmann::json::parse(r.out);
    std::map<std::string, std::string> states;
    for (const auto& key : json.at("keys")) {
        states[key.at("entry")] = key.at("state");
    }
    CHECK(states["Integration Bot"] == "secret-unknown");
    CHECK(states["Backup Agent"] == "missing");
}
