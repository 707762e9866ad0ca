// Contract §2.1, §2.5, §2.6, §4, §5 and §10.1-10.3: listing, the catalogue, @self,
// authentication, the scope gate and role rules.
#include "helpers.hpp"

using namespace emulator_test;

TEST_CASE("the list is newest first by createOn and its count is 1 whatever its length",
          "[list][quirk]") {
    Emulator emulator;
    const json a = emulator.create_key(owner_auth(), {{"name", "a"}});
    const json b = emulator.create_key(owner_auth(), {{"name", "b"}});
    const json c = emulator.create_key(owner_auth(), {{"name", "c"}});
    emulator.patch_key(a.at("id"), {{"createOn", "2031-01-01T00:00:00Z"}});
    emulator.patch_key(c.at("id"), {{"createOn", "2020-01-01T00:00:00Z"}});
    const HttpResult result = emulator.get(k_keys, owner_auth());
    REQUIRE(result.status == 200);
    const json body = result.json();
    CHECK(body.at("count") == 1);
    const json list = body.at("response");
    REQUIRE(list.size() == 3);
    CHECK(list.at(0).at("id") == a.at("id"));
    CHECK(list.at(1).at("id") == b.at("id"));
    CHECK(list.at(2).at("id") == c.at("id"));
}

TEST_CASE("the list's body is the envelope's fields in the server's order, empty or not",
          "[list]") {
    Emulator emulator;
    const HttpResult empty = emulator.get(k_keys, owner_auth());
    REQUIRE(empty.status == 200);
    // Parsed with the order kept, printed again: the same bytes, so nothing was spliced wrongly.
    CHECK(nlohmann::ordered_json::parse(empty.body).dump() == empty.body);
    CHECK(empty.body.rfind(R"({"response":[],"count":1,"links":[{"href":")", 0) == 0);
    CHECK(empty.body.find(R"(,"action":"GET"}],"status":0,"statusCode":200})") !=
          std::string::npos);

    emulator.create_key(owner_auth(), {{"name", "a"}});
    emulator.create_key(owner_auth(),
                        {{"name", "b"}, {"permissions", json::array({"files:read"})}});
    const HttpResult two = emulator.get(k_keys, owner_auth());
    REQUIRE(two.status == 200);
    const auto parsed = nlohmann::ordered_json::parse(two.body);
    CHECK(parsed.dump() == two.body);
    std::vector<std::string> fields;
    for (const auto& [field, value] : parsed.items()) {
        fields.push_back(field);
    }
    CHECK(fields == std::vector<std::string>{"response", "count", "links", "status", "statusCode"});
    REQUIRE(parsed.at("response").size() == 2);
    CHECK(parsed.at("response").at(0).at("name") == "b");
    CHECK(parsed.at("response").at(1).at("name") == "a");
}

TEST_CASE("keys created within the same second are still listed newest first", "[list]") {
    Emulator emulator;
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) {
        ids.push_back(emulator.create_key(owner_auth(), {{"name", "k"}}).at("id"));
    }
    const json list = list_keys(emulator, owner_auth());
    REQUIRE(list.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(list.at(i).at("id") == ids.at(3 - i));
    }
}

TEST_CASE("admins (the owner and DocSpace admins) see every key, other roles only their own",
          "[list][roles]") {
    Emulator emulator;
    const std::string admin = emulator.create_user("admin@example.com", "DocSpaceAdmin");
    const std::string room_admin = emulator.create_user("ra@example.com", "RoomAdmin");
    const std::string user = emulator.create_user("user@example.com", "User");
    emulator.create_key(owner_auth(), {{"name", "owner"}});
    const json mine = emulator.create_key("Bearer " + user, {{"name", "user"}});
    emulator.create_key("Bearer " + room_admin, {{"name", "room-admin"}});
    CHECK(list_keys(emulator, owner_auth()).size() == 3);
    CHECK(list_keys(emulator, "Bearer " + admin).size() == 3);
    const json own = list_keys(emulator, "Bearer " + user);
    REQUIRE(own.size() == 1);
    CHECK(own.at(0).at("id") == mine.at("id"));
    CHECK(list_keys(emulator, "Bearer " + room_admin).size() == 1);
    // A key acts as its creator: the user's key lists the user's keys only.
    CHECK(list_keys(emulator, key_auth(mine)).size() == 1);
}

TEST_CASE("expired and deactivated keys are still listed", "[list]") {
    Emulator emulator;
    const json expired = emulator.create_key(owner_auth(), {{"name", "e"}, {"expiresInDays", 1}});
    const json inactive = emulator.create_key(owner_auth(), {{"name", "i"}});
    emulator.patch_key(expired.at("id"), {{"expiresAt", "2020-01-01T00:00:00Z"}});
    emulator.put(k_keys + "/" + inactive.at("id").get<std::string>(), {{"isActive", false}},
                 owner_auth());
    CHECK(emulator.sweep() == 1);
    const json list = list_keys(emulator, owner_auth());
    REQUIRE(list.size() == 2);
    CHECK(list.at(0).at("isActive") == false);
    CHECK(list.at(1).at("isActive") == false);
}

TEST_CASE("the permissions route returns the 11 scopes in the server's order with count 11",
          "[permissions]") {
    Emulator emulator;
    const HttpResult result = emulator.get(k_keys + "/permissions", owner_auth());
    REQUIRE(result.status == 200);
    const json body = result.json();
    CHECK(body.at("count") == 11);
    CHECK(body.at("response") ==
          json::array({"*", "*:read", "*:write", "accounts:read", "accounts:write",
                       "accounts.self:read", "accounts.self:write", "files:read", "files:write",
                       "rooms:read", "rooms:write"}));
}

TEST_CASE("on 3.7.2 a guest may list keys and read the catalogue, but may not create a key",
          "[roles][quirk]") {
    Emulator emulator({"--server-behavior", "3.7.2"});
    const std::string guest = emulator.create_user("guest@example.com", "Guest");
    const HttpResult list = emulator.get(k_keys, "Bearer " + guest);
    REQUIRE(list.status == 200);
    CHECK(list.json().at("response").empty());
    CHECK(emulator.get(k_keys + "/permissions", "Bearer " + guest).status == 200);
    const json error = error_of(emulator.post(k_keys, {{"name", "g"}}, "Bearer " + guest), 403);
    CHECK(error.at("message") == "Access denied");
    CHECK(error.at("type") == "System.UnauthorizedAccessException");
    CHECK(emulator.state().at("keys").empty());
}

TEST_CASE("create checks run in order on 3.7.2: validation, then role, then scope validity",
          "[create][roles]") {
    Emulator emulator({"--server-behavior", "3.7.2"});
    const std::string guest = "Bearer " + emulator.create_user("guest@example.com", "Guest");
    validation_errors(emulator.post(k_keys, json::object(), guest));
    const json error =
        error_of(emulator.post(k_keys, {{"name", "g"}, {"permissions", {"nope"}}}, guest), 403);
    CHECK(error.at("message") == "Access denied");
}

TEST_CASE("with limitedAccessForUsers only admins may create keys", "[roles]") {
    Emulator emulator({"--limited-access-for-users"});
    const std::string user = emulator.create_user("user@example.com", "User");
    const std::string admin = emulator.create_user("admin@example.com", "DocSpaceAdmin");
    const json error = error_of(emulator.post(k_keys, {{"name", "u"}}, "Bearer " + user), 403);
    CHECK(error.at("message") == "Access denied");
    CHECK(emulator.post(k_keys, {{"name", "a"}}, "Bearer " + admin).status == 200);
    CHECK(emulator.post(k_keys, {{"name", "o"}}, owner_auth()).status == 200);
    CHECK(emulator.state().at("settings").at("limitedAccessForUsers") == true);
}

TEST_CASE("@self returns the calling key's object, masked, whatever the key's scopes", "[self]") {
    Emulator emulator;
    const json key =
        emulator.create_key(owner_auth(), {{"name", "reader"}, {"permissions", {"files:read"}}});
    const HttpResult result = emulator.get(k_keys + "/@self", key_auth(key));
    REQUIRE(result.status == 200);
    const json body = result.json();
    CHECK(body.at("count") == 1);
    const json self = body.at("response");
    CHECK(self.at("id") == key.at("id"));
    CHECK(self.at("key") == "sk-***" + key.at("keyPostfix").get<std::string>());
    CHECK(self.at("permissions") == json::array({"files:read"}));
    CHECK(is_api_date(self.at("lastUsed")));
}

TEST_CASE("@self with a session token answers 500, not the caller's key", "[self][quirk]") {
    Emulator emulator;
    emulator.create_key(owner_auth(), {{"name", "k"}});
    const json error = error_of(emulator.get(k_keys + "/@self", owner_auth()), 500);
    CHECK(error.at("type") == "System.NullReferenceException");
    CHECK(emulator.get(k_keys + "/@self", "").status == 401);
}

TEST_CASE("lastUsed is absent until a key is used and is updated on every authenticated request",
          "[lastused]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}});
    CHECK_FALSE(listed(emulator, key.at("id")).contains("lastUsed"));
    REQUIRE(emulator.get(k_keys + "/permissions", key_auth(key)).status == 200);
    const json used = listed(emulator, key.at("id"));
    REQUIRE(used.contains("lastUsed"));
    CHECK(fraction_of(used.at("lastUsed")) == "0000000");
    emulator.patch_key(key.at("id"), {{"lastUsed", "2020-01-01T00:00:00Z"}});
    REQUIRE(emulator.get(k_keys, key_auth(key)).status == 200);
    CHECK(listed(emulator, key.at("id")).at("lastUsed").get<std::string>().substr(0, 4) != "2020");
}

TEST_CASE("every keys route answers 401 with an empty body without a valid credential", "[auth]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}});
    const std::string id = key.at("id");
    for (const std::string& auth : std::vector<std::string>{"", "Bearer nope", "nope"}) {
        for (const auto& [method, path] :
             std::vector<std::pair<std::string, std::string>>{{"GET", k_keys},
                                                              {"POST", k_keys},
                                                              {"GET", k_keys + "/permissions"},
                                                              {"GET", k_keys + "/@self"},
                                                              {"PUT", k_keys + "/" + id},
                                                              {"DELETE", k_keys + "/" + id}}) {
            const HttpResult result = emulator.request(method, path, auth, R"({"name":"x"})");
            CHECK(result.status == 401);
            CHECK(result.body.empty());
        }
    }
    CHECK(emulator.state().at("keys").size() == 1);
}

TEST_CASE("an API key works only as 'Bearer sk-...': raw or in an ApiKeyBearer header it is 401",
          "[auth][quirk]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}});
    const std::string secret = key.at("key");
    CHECK(emulator.get(k_keys, "Bearer " + secret).status == 200);
    CHECK(emulator.get(k_keys, secret).status == 401);
    CHECK(emulator.request_with("GET", k_keys, {{"ApiKeyBearer", secret}}).status == 401);
}

TEST_CASE("session tokens work raw and with Bearer, and Basic auth works", "[auth]") {
    Emulator emulator;
    CHECK(emulator.get(k_keys, Emulator::owner_token()).status == 200);
    CHECK(emulator.get(k_keys, "Bearer " + Emulator::owner_token()).status == 200);
    // owner@docspace.test:owner-password
    CHECK(emulator.get(k_keys, "Basic b3duZXJAZG9jc3BhY2UudGVzdDpvd25lci1wYXNzd29yZA==").status ==
          200);
    CHECK(emulator.get(k_keys, "Basic b3duZXJAZG9jc3BhY2UudGVzdDp3cm9uZw==").status == 401);
}

TEST_CASE("a deactivated, expired, deleted or disabled-owner key answers 401", "[auth]") {
    Emulator emulator;
    const json inactive = emulator.create_key(owner_auth(), {{"name", "inactive"}});
    emulator.patch_key(inactive.at("id"), {{"isActive", false}});
    CHECK(emulator.get(k_keys, key_auth(inactive)).status == 401);

    const json expired = emulator.create_key(owner_auth(), {{"name", "e"}, {"expiresInDays", 1}});
    emulator.patch_key(expired.at("id"), {{"expiresAt", "2020-01-01T00:00:00Z"}});
    CHECK(listed(emulator, expired.at("id")).at("isActive") == true);
    CHECK(emulator.get(k_keys, key_auth(expired)).status == 401);

    const json deleted = emulator.create_key(owner_auth(), {{"name", "gone"}});
    emulator.del(k_keys + "/" + deleted.at("id").get<std::string>(), owner_auth());
    CHECK(emulator.get(k_keys, key_auth(deleted)).status == 401);

    const std::string user = emulator.create_user("user@example.com", "User");
    const json users_key = emulator.create_key("Bearer " + user, {{"name", "u"}});
    REQUIRE(emulator.get(k_keys, key_auth(users_key)).status == 200);
    const HttpResult disabled = emulator.request(
        "PATCH", "/__emulator/users/" + user_id(emulator, user), "", R"({"active":false})");
    REQUIRE(disabled.status == 200);
    CHECK(emulator.get(k_keys, key_auth(users_key)).status == 401);
}

TEST_CASE("a key with only resource scopes gets 403 on every keys route except @self",
          "[scopes][quirk]") {
    Emulator emulator;
    const json target = emulator.create_key(owner_auth(), {{"name", "target"}});
    const std::string id = target.at("id");
    const json key = emulator.create_key(
        owner_auth(), {{"name", "files"}, {"permissions", {"files:read", "files:write"}}});
    const std::string auth = key_auth(key);
    for (const auto& [method, path] :
         std::vector<std::pair<std::string, std::string>>{{"GET", k_keys},
                                                          {"POST", k_keys},
                                                          {"GET", k_keys + "/permissions"},
                                                          {"PUT", k_keys + "/" + id},
                                                          {"DELETE", k_keys + "/" + id}}) {
        const HttpResult result = emulator.request(method, path, auth, R"({"name":"x"})");
        CHECK(result.status == 403);
        CHECK(result.body.empty());
    }
    CHECK(emulator.get(k_keys + "/@self", auth).status == 200);
    CHECK(emulator.state().at("keys").size() == 2);
}

TEST_CASE("a *:read key may read keys but not create, update or delete them", "[scopes]") {
    Emulator emulator;
    const json target = emulator.create_key(owner_auth(), {{"name", "target"}});
    const std::string id = target.at("id");
    const json key =
        emulator.create_key(owner_auth(), {{"name", "r"}, {"permissions", {"*:read"}}});
    const std::string auth = key_auth(key);
    CHECK(emulator.get(k_keys, auth).status == 200);
    CHECK(emulator.get(k_keys + "/permissions", auth).status == 200);
    CHECK(emulator.post(k_keys, {{"name", "x"}}, auth).status == 403);
    CHECK(emulator.put(k_keys + "/" + id, {{"name", "x"}}, auth).status == 403);
    CHECK(emulator.del(k_keys + "/" + id, auth).status == 403);
}

TEST_CASE("a *:write key and an unrestricted key may manage keys", "[scopes]") {
    Emulator emulator;
    for (const json& permissions : {json::array({"*:write"}), json::array({"*"})}) {
        const json key =
            emulator.create_key(owner_auth(), {{"name", "w"}, {"permissions", permissions}});
        const std::string auth = key_auth(key);
        const HttpResult created = emulator.post(k_keys, {{"name", "child"}}, auth);
        REQUIRE(created.status == 200);
        const std::string child = created.json().at("response").at("id");
        CHECK(
            emulator.put(k_keys + "/" + child, {{"name", "renamed"}}, auth).json().at("response") ==
            true);
        CHECK(emulator.del(k_keys + "/" + child, auth).json().at("response") == true);
        CHECK(emulator.get(k_keys, auth).status == 200);
    }
}

TEST_CASE("unknown routes under /api/2.0/keys answer 404", "[routes]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}});
    const std::string id = key.at("id");
    CHECK(emulator.get(k_keys + "/" + id, owner_auth()).status == 404);
    CHECK(emulator.get(k_keys + "/rotate", owner_auth()).status == 404);
    CHECK(emulator.request("PATCH", k_keys, owner_auth(), "{}").status == 404);
    CHECK(emulator.post(k_keys + "/" + id, {{"name", "x"}}, owner_auth()).status == 404);
    CHECK(emulator.del(k_keys, owner_auth()).status == 404);
}
