// Contract Appendix A: the routes around the keys API that a test portal needs.
#include "helpers.hpp"

using namespace emulator_test;

TEST_CASE("registering a portal starts a fresh tenant with the new owner and no keys", "[portal]") {
    Emulator emulator;
    emulator.create_key(owner_auth(), {{"name", "old"}});
    const HttpResult result = emulator.post("/apisystem/portal/register",
                                            {{"portalName", "test"},
                                             {"firstName", "Ada"},
                                             {"lastName", "King"},
                                             {"email", "ada@example.com"},
                                             {"password", "S3cret!"},
                                             {"language", "en"}},
                                            "");
    REQUIRE(result.status == 200);
    const json tenant = result.json().at("tenant");
    CHECK(tenant.at("domain") == "127.0.0.1:" + std::to_string(emulator.port()));
    const std::string new_owner = tenant.at("ownerId");
    const json state = emulator.state();
    REQUIRE(state.at("users").size() == 1);
    CHECK(state.at("users").at(0).at("id") == new_owner);
    CHECK(state.at("users").at(0).at("role") == "Owner");
    CHECK(state.at("keys").empty());
    CHECK(emulator.get(k_keys, owner_auth()).status == 401);
    const HttpResult login = emulator.post(
        "/api/2.0/authentication", {{"userName", "ada@example.com"}, {"password", "S3cret!"}}, "");
    REQUIRE(login.status == 200);
    const std::string token = login.json().at("response").at("token");
    CHECK(user_id(emulator, token) == new_owner);
}

TEST_CASE("log-in returns a session token usable raw or with Bearer, and bad credentials get 401",
          "[portal][auth]") {
    Emulator emulator;
    const HttpResult login =
        emulator.post("/api/2.0/authentication",
                      {{"userName", "owner@docspace.test"}, {"password", "owner-password"}}, "");
    REQUIRE(login.status == 200);
    const json response = login.json().at("response");
    CHECK(is_api_date(response.at("expires")));
    const std::string token = response.at("token");
    CHECK(emulator.get(k_keys, token).status == 200);
    CHECK(emulator.get(k_keys, "Bearer " + token).status == 200);
    CHECK(emulator
              .post("/api/2.0/authentication",
                    {{"userName", "owner@docspace.test"}, {"password", "wrong"}}, "")
              .status == 401);
}

TEST_CASE("the owner creates users of every role, who can log in at once", "[portal][roles]") {
    Emulator emulator;
    for (const std::string type : {"DocSpaceAdmin", "RoomAdmin", "User", "Guest"}) {
        const std::string token = emulator.create_user(type + "@example.com", type);
        const json self = emulator.get("/api/2.0/people/@self", "Bearer " + token).json();
        CHECK(self.at("response").at("email") == type + "@example.com");
    }
    const json state = emulator.state();
    std::vector<std::string> roles;
    for (const auto& user : state.at("users")) {
        roles.push_back(user.at("role"));
    }
    CHECK(roles ==
          std::vector<std::string>{"Owner", "DocSpaceAdmin", "RoomAdmin", "User", "Guest"});
}

TEST_CASE("people/active creates a guest, and non-admins cannot create users", "[portal][roles]") {
    Emulator emulator;
    const HttpResult guest = emulator.post("/api/2.0/people/active",
                                           {{"email", "g@example.com"},
                                            {"password", "p"},
                                            {"firstName", "G"},
                                            {"lastName", "H"},
                                            {"type", "Guest"}},
                                           owner_auth());
    REQUIRE(guest.status == 200);
    CHECK(guest.json().at("response").at("isVisitor") == true);
    const std::string user = emulator.create_user("u@example.com", "User");
    const HttpResult denied = emulator.post(
        "/api/2.0/people", {{"email", "x@example.com"}, {"password", "p"}, {"type", "User"}},
        "Bearer " + user);
    CHECK(error_of(denied, 403).at("message") == "Access denied");
}

TEST_CASE("people/@self identifies the caller as createBy of the keys they create", "[portal]") {
    Emulator emulator;
    const std::string token = emulator.create_user("u@example.com", "User");
    const json self =
        emulator.get("/api/2.0/people/@self", "Bearer " + token).json().at("response");
    const json key = emulator.create_key("Bearer " + token, {{"name", "k"}});
    CHECK(key.at("createBy").at("id") == self.at("id"));
    CHECK(key.at("createBy").at("displayName") == self.at("displayName"));
}

TEST_CASE("GET people needs accounts:read, accounts:write or a global scope for an API key",
          "[portal][scopes]") {
    Emulator emulator;
    auto status_with = [&](const json& permissions) {
        const json key =
            emulator.create_key(owner_auth(), {{"name", "p"}, {"permissions", permissions}});
        return emulator.get("/api/2.0/people", key_auth(key)).status;
    };
    CHECK(status_with({"accounts:read"}) == 200);
    CHECK(status_with({"accounts:write"}) == 200);
    CHECK(status_with({"*:read"}) == 200);
    CHECK(status_with({"files:read"}) == 403);
    CHECK(status_with({"accounts.self:read"}) == 403);
    CHECK(emulator.get("/api/2.0/people", "").status == 401);
    const HttpResult list = emulator.get("/api/2.0/people", owner_auth());
    CHECK(list.json().at("count") == list.json().at("response").size());
}

TEST_CASE("rooms and files routes check rooms and files scopes for API keys", "[portal][scopes]") {
    Emulator emulator;
    const HttpResult room =
        emulator.post("/api/2.0/files/rooms", {{"title", "Room"}, {"roomType", 6}}, owner_auth());
    REQUIRE(room.status == 200);
    const json room_id = room.json().at("response").at("id");
    REQUIRE(room_id.is_number_integer());
    const std::string room_path = "/api/2.0/files/rooms/" + std::to_string(room_id.get<int>());
    const HttpResult file =
        emulator.post("/api/2.0/files/" + std::to_string(room_id.get<int>()) + "/file",
                      {{"title", "a.docx"}}, owner_auth());
    REQUIRE(file.status == 200);
    CHECK(file.json().at("response").at("id").is_number_integer());
    auto get_room_with = [&](const json& permissions) {
        const json key =
            emulator.create_key(owner_auth(), {{"name", "r"}, {"permissions", permissions}});
        return emulator.get(room_path, key_auth(key)).status;
    };
    CHECK(get_room_with({"rooms:read"}) == 200);
    CHECK(get_room_with({"rooms:write"}) == 200);
    CHECK(get_room_with({"*:read"}) == 200);
    CHECK(get_room_with({"accounts:read"}) == 403);
    CHECK(get_room_with({"files:read"}) == 403);
    const json files_key =
        emulator.create_key(owner_auth(), {{"name", "f"}, {"permissions", {"files:read"}}});
    CHECK(emulator.post("/api/2.0/files/rooms", {{"title", "R"}}, key_auth(files_key)).status ==
          403);
    CHECK(emulator.get("/api/2.0/files/rooms/999999", owner_auth()).status == 404);
}

TEST_CASE("deleting the portal needs the owner and then every credential is refused", "[portal]") {
    Emulator emulator;
    const std::string admin = emulator.create_user("a@example.com", "DocSpaceAdmin");
    const std::string path = "/api/2.0/portal/deleteportalimmediately";
    CHECK(emulator.request("DELETE", path, "Bearer " + admin, R"({"reference":"x"})").status ==
          403);
    CHECK(emulator.request("DELETE", path, owner_auth(), R"({"reference":"x"})").status == 200);
    CHECK(emulator.get(k_keys, owner_auth()).status == 401);
    CHECK(emulator.get(k_keys, "Bearer " + admin).status == 401);
    CHECK(emulator.state().at("users").empty());
}

TEST_CASE("the devtoolsaccess setting switches limitedAccessForUsers for key creation",
          "[portal][roles]") {
    Emulator emulator;
    const std::string user = "Bearer " + emulator.create_user("u@example.com", "User");
    const std::string path = "/api/2.0/settings/devtoolsaccess";
    CHECK(emulator.get(path, user).json().at("response").at("limitedAccessForUsers") == false);
    CHECK(emulator.post(path, {{"limitedAccessForUsers", true}}, user).status == 403);
    REQUIRE(emulator.post(path, {{"limitedAccessForUsers", true}}, owner_auth()).status == 200);
    CHECK(emulator.post(k_keys, {{"name", "u"}}, user).status == 403);
    REQUIRE(emulator.post(path, {{"limitedAccessForUsers", false}}, owner_auth()).status == 200);
    CHECK(emulator.post(k_keys, {{"name", "u"}}, user).status == 200);
}
