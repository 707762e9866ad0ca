// Contract Appendix B: `--server-behavior 3.7.2|latest`. One test per row of the table, each
// run against both profiles, plus where the profile comes from (option, state file, default).
#include "helpers.hpp"

#include <fstream>
#include <sstream>

using namespace emulator_test;
using test_support::TempDir;

namespace {

Emulator started(const std::string& profile) {
    return Emulator({"--server-behavior", profile});
}

/// A key the owner made, for other users to try to change.
json owners_key(const Emulator& emulator) {
    return emulator.create_key(owner_auth(), {{"name", "owner's"}});
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("a guest's create is 403: Access denied on 3.7.2, the guest-role message later",
          "[behavior][create]") {
    for (const auto& [profile, message] :
         {std::pair{"3.7.2", "Access denied"},
          std::pair{"latest", "This operation unavailable for user with guest role"}}) {
        Emulator emulator = started(profile);
        const std::string guest = "Bearer " + emulator.create_user("g@example.com", "Guest");
        const json error = error_of(emulator.post(k_keys, {{"name", "g"}}, guest), 403);
        CHECK(error.at("message") == message);
        CHECK(emulator.state().at("keys").empty());
    }
}

TEST_CASE("the owner's create with permissions [] is unrestricted on 3.7.2 and 400 later",
          "[behavior][create][permissions]") {
    {
        Emulator emulator = started("3.7.2");
        const HttpResult result =
            emulator.post(k_keys, {{"name", "all"}, {"permissions", json::array()}}, owner_auth());
        REQUIRE(result.status == 200);
        const json key = result.json().at("response");
        CHECK(emulator.post(k_keys, {{"name", "child"}}, key_auth(key)).status == 200);
    }
    {
        Emulator emulator = started("latest");
        const json error = error_of(
            emulator.post(k_keys, {{"name", "all"}, {"permissions", json::array()}}, owner_auth()),
            400);
        CHECK(error.at("message") == "Permissions are not valid.");
        CHECK(emulator.state().at("keys").empty());
        // Only the explicit empty list changed: no permissions, or ["*"], stay unrestricted.
        CHECK(emulator.post(k_keys, {{"name", "none"}}, owner_auth()).status == 200);
        CHECK(emulator.post(k_keys, {{"name", "star"}, {"permissions", {"*"}}}, owner_auth())
                  .status == 200);
    }
}

TEST_CASE("a guest reads keys/permissions on 3.7.2 and gets 403 Access denied later",
          "[behavior][permissions]") {
    {
        Emulator emulator = started("3.7.2");
        const std::string guest = "Bearer " + emulator.create_user("g@example.com", "Guest");
        const HttpResult result = emulator.get(k_keys + "/permissions", guest);
        REQUIRE(result.status == 200);
        CHECK(result.json().at("response").size() == 11);
    }
    {
        Emulator emulator = started("latest");
        const std::string guest = "Bearer " + emulator.create_user("g@example.com", "Guest");
        CHECK(error_of(emulator.get(k_keys + "/permissions", guest), 403).at("message") ==
              "Access denied");
        // Non-guests are unaffected.
        const std::string user = "Bearer " + emulator.create_user("u@example.com", "User");
        CHECK(emulator.get(k_keys + "/permissions", user).status == 200);
    }
}

TEST_CASE("a guest lists no keys on 3.7.2 and gets 403 Access denied later", "[behavior][list]") {
    {
        Emulator emulator = started("3.7.2");
        owners_key(emulator);
        const std::string guest = "Bearer " + emulator.create_user("g@example.com", "Guest");
        CHECK(list_keys(emulator, guest) == json::array());
    }
    {
        Emulator emulator = started("latest");
        owners_key(emulator);
        const std::string guest = "Bearer " + emulator.create_user("g@example.com", "Guest");
        const HttpResult result = emulator.get(k_keys, guest);
        CHECK(error_of(result, 403).at("message") == "Access denied");
        CHECK(result.body.find("owner's") == std::string::npos);
        const std::string user = "Bearer " + emulator.create_user("u@example.com", "User");
        CHECK(list_keys(emulator, user) == json::array());
    }
}

TEST_CASE("PUT of another user's key by a RoomAdmin, User or Guest: 200 false on 3.7.2, 403 "
          "later, and the key is unchanged",
          "[behavior][update]") {
    const std::string role = GENERATE(as<std::string>{}, "RoomAdmin", "User", "Guest");
    CAPTURE(role);
    for (const std::string profile : {"3.7.2", "latest"}) {
        CAPTURE(profile);
        Emulator emulator = started(profile);
        const json key = owners_key(emulator);
        const std::string path = k_keys + "/" + key.at("id").get<std::string>();
        const std::string other = "Bearer " + emulator.create_user("o@example.com", role);
        const HttpResult result = emulator.put(path, {{"name", "taken"}}, other);
        if (profile == "3.7.2") {
            REQUIRE(result.status == 200);
            CHECK(result.json().at("response") == false);
        } else {
            CHECK(error_of(result, 403).at("message") == "Access denied");
        }
        CHECK(listed(emulator, key.at("id")).at("name") == "owner's");
        // An admin still updates anyone's key, in both profiles.
        const std::string admin =
            "Bearer " + emulator.create_user("a@example.com", "DocSpaceAdmin");
        REQUIRE(emulator.put(path, {{"name", "by admin"}}, admin).status == 200);
        CHECK(listed(emulator, key.at("id")).at("name") == "by admin");
    }
}

TEST_CASE("DELETE of another user's key by a RoomAdmin, User or Guest: 200 false on 3.7.2, "
          "403 later, and the key stays",
          "[behavior][delete]") {
    const std::string role = GENERATE(as<std::string>{}, "RoomAdmin", "User", "Guest");
    CAPTURE(role);
    for (const std::string profile : {"3.7.2", "latest"}) {
        CAPTURE(profile);
        Emulator emulator = started(profile);
        const json key = owners_key(emulator);
        const std::string path = k_keys + "/" + key.at("id").get<std::string>();
        const std::string other = "Bearer " + emulator.create_user("o@example.com", role);
        const HttpResult result = emulator.del(path, other);
        if (profile == "3.7.2") {
            REQUIRE(result.status == 200);
            CHECK(result.json().at("response") == false);
        } else {
            CHECK(error_of(result, 403).at("message") == "Access denied");
        }
        CHECK(emulator.state().at("keys").size() == 1);
    }
}

TEST_CASE("a user still updates and deletes their own keys in both profiles", "[behavior]") {
    for (const std::string profile : {"3.7.2", "latest"}) {
        CAPTURE(profile);
        Emulator emulator = started(profile);
        const std::string user = "Bearer " + emulator.create_user("u@example.com", "User");
        const json key = emulator.create_key(user, {{"name", "mine"}});
        const std::string path = k_keys + "/" + key.at("id").get<std::string>();
        REQUIRE(emulator.put(path, {{"name", "renamed"}}, user).status == 200);
        CHECK(listed(emulator, key.at("id"), user).at("name") == "renamed");
        const HttpResult removed = emulator.del(path, user);
        REQUIRE(removed.status == 200);
        CHECK(removed.json().at("response") == true);
    }
}

TEST_CASE("HTML in a key name is stored and returned verbatim in both profiles",
          "[behavior][create]") {
    const std::string name = "<a href=//evil.com>LINK</a>";
    for (const std::string profile : {"3.7.2", "latest"}) {
        CAPTURE(profile);
        Emulator emulator = started(profile);
        const json key = emulator.create_key(owner_auth(), {{"name", name}});
        CHECK(key.at("name") == name);
        CHECK(listed(emulator, key.at("id")).at("name") == name);
    }
}

TEST_CASE("the profile defaults to latest and shows in the state settings", "[behavior]") {
    Emulator plain;
    CHECK(plain.state().at("settings").at("serverBehavior") == "latest");
    Emulator old = started("3.7.2");
    CHECK(old.state().at("settings").at("serverBehavior") == "3.7.2");
    old.reset();
    CHECK(old.state().at("settings").at("serverBehavior") == "3.7.2");
}

TEST_CASE("a state file carries the profile unless the option overrides it",
          "[behavior][persistence]") {
    TempDir dir;
    const std::string file = (dir / "state.json").string();
    { Emulator emulator({"--state-file", file, "--server-behavior", "3.7.2"}); }
    CHECK(json::parse(read_text(file)).at("settings").at("serverBehavior") == "3.7.2");
    {
        Emulator restarted({"--state-file", file});
        CHECK(restarted.state().at("settings").at("serverBehavior") == "3.7.2");
        const std::string guest = "Bearer " + restarted.create_user("g@example.com", "Guest");
        CHECK(restarted.get(k_keys, guest).status == 200);
    }
    Emulator overridden({"--state-file", file, "--server-behavior", "latest"});
    CHECK(overridden.state().at("settings").at("serverBehavior") == "latest");
    const std::string guest = "Bearer " + overridden.create_user("h@example.com", "Guest");
    CHECK(overridden.get(k_keys, guest).status == 403);
}

TEST_CASE("an unknown server behaviour is refused at start-up", "[behavior][server]") {
    const auto result =
        test_support::run_process({test_support::emulator_binary(), "--server-behavior", "3.8"});
    CHECK(result.exit_code != 0);
    CHECK(result.err.find("--server-behavior") != std::string::npos);
}
