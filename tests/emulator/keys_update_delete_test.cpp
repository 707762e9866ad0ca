// Contract §2.3, §2.4, §8, §9 and §10.7-10.8: updating and deleting keys.
#include "helpers.hpp"

using namespace emulator_test;

namespace {

const std::string k_unknown_id = "0b6f6f6e-1111-4222-8333-944445555666";

json put_key(const Emulator& emulator, const std::string& id, const json& body,
             const std::string& auth = owner_auth()) {
    const HttpResult result = emulator.put(k_keys + "/" + id, body, auth);
    REQUIRE(result.status == 200);
    const json envelope = result.json();
    CHECK(envelope.at("count") == 1);
    CHECK(envelope.at("links").at(0).at("action") == "PUT");
    CHECK(envelope.at("links").at(0).at("href").get<std::string>().find(id) != std::string::npos);
    return envelope.at("response");
}

}  // namespace

TEST_CASE("PUT renames a key and answers 200 true", "[update]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "old"}});
    CHECK(put_key(emulator, key.at("id"), {{"name", "new"}}) == true);
    CHECK(listed(emulator, key.at("id")).at("name") == "new");
}

TEST_CASE("PUT with an empty name leaves the name unchanged and still answers true",
          "[update][quirk]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "keep"}});
    CHECK(put_key(emulator, key.at("id"), {{"name", ""}}) == true);
    CHECK(listed(emulator, key.at("id")).at("name") == "keep");
}

TEST_CASE("PUT applies a whitespace-only name because update has no Required check",
          "[update][quirk]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "visible"}});
    CHECK(put_key(emulator, key.at("id"), {{"name", "   "}}) == true);
    CHECK(listed(emulator, key.at("id")).at("name") == "   ");
}

TEST_CASE("PUT with a 31-character name is a Name validation 400", "[update][validation]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "short"}});
    const json errors =
        validation_errors(emulator.put(k_keys + "/" + key.at("id").get<std::string>(),
                                       {{"name", std::string(31, 'x')}}, owner_auth()));
    CHECK(errors.at("Name") == json::array({"Incorrect name. Length must be less than 30"}));
    CHECK(listed(emulator, key.at("id")).at("name") == "short");
}

TEST_CASE("PUT with permissions [] changes nothing and answers 200 true, not 400",
          "[update][permissions][quirk]") {
    Emulator emulator;
    const json key =
        emulator.create_key(owner_auth(), {{"name", "k"}, {"permissions", {"files:read"}}});
    CHECK(put_key(emulator, key.at("id"), {{"permissions", json::array()}}) == true);
    CHECK(listed(emulator, key.at("id")).at("permissions") == json::array({"files:read"}));
}

TEST_CASE("PUT with exactly [\"*\"] stores null, so later reads omit permissions",
          "[update][permissions][quirk]") {
    Emulator emulator;
    const json key =
        emulator.create_key(owner_auth(), {{"name", "k"}, {"permissions", {"files:read"}}});
    CHECK(put_key(emulator, key.at("id"), {{"permissions", {"*"}}}) == true);
    const json entry = listed(emulator, key.at("id"));
    CHECK_FALSE(entry.contains("permissions"));
    CHECK(emulator.state().at("keys").at(0).at("permissions").is_null());
    const json self = emulator.get(k_keys + "/@self", key_auth(key)).json().at("response");
    CHECK_FALSE(self.contains("permissions"));
    // Null means unrestricted: the key can now manage keys.
    CHECK(emulator.post(k_keys, {{"name", "child"}}, key_auth(key)).status == 200);
}

TEST_CASE("PUT with * among other entries stores the list as sent, and the key is unrestricted",
          "[update][permissions]") {
    Emulator emulator;
    const json key =
        emulator.create_key(owner_auth(), {{"name", "k"}, {"permissions", {"files:read"}}});
    CHECK(put_key(emulator, key.at("id"), {{"permissions", {"rooms:read", "*"}}}) == true);
    CHECK(listed(emulator, key.at("id")).at("permissions") == json::array({"rooms:read", "*"}));
    CHECK(emulator.post(k_keys, {{"name", "child"}}, key_auth(key)).status == 200);
}

TEST_CASE("PUT replaces the permissions list, keeping order and duplicates",
          "[update][permissions]") {
    Emulator emulator;
    const json key =
        emulator.create_key(owner_auth(), {{"name", "k"}, {"permissions", {"files:read"}}});
    const json sent = {"rooms:write", "accounts:read", "rooms:write"};
    CHECK(put_key(emulator, key.at("id"), {{"permissions", sent}}) == true);
    CHECK(listed(emulator, key.at("id")).at("permissions") == sent);
}

TEST_CASE("PUT with an unknown scope answers 400 'Permissions are not valid.' and changes "
          "nothing",
          "[update][permissions][errors]") {
    Emulator emulator;
    const json key =
        emulator.create_key(owner_auth(), {{"name", "k"}, {"permissions", {"files:read"}}});
    const HttpResult result =
        emulator.put(k_keys + "/" + key.at("id").get<std::string>(),
                     {{"name", "renamed"}, {"permissions", {"files:admin"}}}, owner_auth());
    CHECK(error_of(result, 400).at("message") == "Permissions are not valid.");
    const json entry = listed(emulator, key.at("id"));
    CHECK(entry.at("name") == "k");
    CHECK(entry.at("permissions") == json::array({"files:read"}));
}

TEST_CASE("PUT isActive false deactivates the key, which then gets 401, and true reactivates it",
          "[update]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}});
    CHECK(put_key(emulator, key.at("id"), {{"isActive", false}}) == true);
    CHECK(listed(emulator, key.at("id")).at("isActive") == false);
    CHECK(emulator.get(k_keys, key_auth(key)).status == 401);
    CHECK(put_key(emulator, key.at("id"), {{"isActive", true}}) == true);
    CHECK(emulator.get(k_keys, key_auth(key)).status == 200);
}

TEST_CASE("PUT cannot change the expiry or the secret, and {} still answers true", "[update]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}});
    CHECK(put_key(emulator, key.at("id"), {{"expiresInDays", 5}, {"key", "sk-0000"}}) == true);
    CHECK(put_key(emulator, key.at("id"), json::object()) == true);
    const json entry = listed(emulator, key.at("id"));
    CHECK_FALSE(entry.contains("expiresAt"));
    CHECK(emulator.get(k_keys, key_auth(key)).status == 200);
}

TEST_CASE("PUT on an expired key answers 200 false and changes nothing", "[update][quirk]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "old"}, {"expiresInDays", 1}});
    emulator.patch_key(key.at("id"), {{"expiresAt", "2020-01-01T00:00:00Z"}});
    CHECK(put_key(emulator, key.at("id"), {{"name", "revived"}, {"isActive", true}}) == false);
    CHECK(listed(emulator, key.at("id")).at("name") == "old");
}

TEST_CASE("on 3.7.2 PUT on another user's key by a non-admin answers 200 false, not 403",
          "[update][quirk][roles]") {
    Emulator emulator({"--server-behavior", "3.7.2"});
    const std::string alice = emulator.create_user("alice@example.com", "User");
    const std::string bob = emulator.create_user("bob@example.com", "RoomAdmin");
    const json key = emulator.create_key("Bearer " + alice, {{"name", "alice-key"}});
    CHECK(put_key(emulator, key.at("id"), {{"name", "stolen"}}, "Bearer " + bob) == false);
    CHECK(listed(emulator, key.at("id")).at("name") == "alice-key");
    CHECK(put_key(emulator, key.at("id"), {{"name", "mine"}}, "Bearer " + alice) == true);
}

TEST_CASE("a DocSpace admin may update the owner's key", "[update][roles]") {
    Emulator emulator;
    const std::string admin = emulator.create_user("admin@example.com", "DocSpaceAdmin");
    const json key = emulator.create_key(owner_auth(), {{"name", "owner-key"}});
    CHECK(put_key(emulator, key.at("id"), {{"name", "by-admin"}}, "Bearer " + admin) == true);
    CHECK(listed(emulator, key.at("id")).at("name") == "by-admin");
}

TEST_CASE("PUT and DELETE on an unknown GUID answer 500 NullReferenceException",
          "[update][delete][quirk][errors]") {
    Emulator emulator;
    const std::string user = emulator.create_user("u@example.com", "User");
    for (const std::string& auth : {owner_auth(), "Bearer " + user}) {
        const json put_error =
            error_of(emulator.put(k_keys + "/" + k_unknown_id, {{"name", "x"}}, auth), 500);
        CHECK(put_error.at("type") == "System.NullReferenceException");
        const json delete_error = error_of(emulator.del(k_keys + "/" + k_unknown_id, auth), 500);
        CHECK(delete_error.at("type") == "System.NullReferenceException");
    }
}

TEST_CASE("PUT and DELETE with a non-GUID id answer 404", "[update][delete][routes]") {
    Emulator emulator;
    CHECK(emulator.put(k_keys + "/not-a-guid", {{"name", "x"}}, owner_auth()).status == 404);
    CHECK(emulator.del(k_keys + "/12345", owner_auth()).status == 404);
}

TEST_CASE("PUT with a non-JSON content type answers 415", "[update][validation]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}});
    const HttpResult result =
        emulator.request("PUT", k_keys + "/" + key.at("id").get<std::string>(), owner_auth(),
                         R"({"name":"x"})", "text/plain");
    CHECK(result.status == 415);
    CHECK(result.body.empty());
}

TEST_CASE("DELETE removes the key with 200 true and count 1, and it stops authenticating",
          "[delete]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "doomed"}});
    REQUIRE(emulator.get(k_keys, key_auth(key)).status == 200);
    const HttpResult result =
        emulator.del(k_keys + "/" + key.at("id").get<std::string>(), owner_auth());
    REQUIRE(result.status == 200);
    CHECK(result.json().at("response") == true);
    CHECK(result.json().at("count") == 1);
    CHECK(listed(emulator, key.at("id")).is_null());
    CHECK(emulator.get(k_keys, key_auth(key)).status == 401);
}

TEST_CASE(
    "on 3.7.2 DELETE on another user's key by a non-admin answers 200 false and keeps the key",
    "[delete][quirk][roles]") {
    Emulator emulator({"--server-behavior", "3.7.2"});
    const std::string alice = emulator.create_user("alice@example.com", "User");
    const std::string bob = emulator.create_user("bob@example.com", "User");
    const json key = emulator.create_key("Bearer " + alice, {{"name", "alice-key"}});
    const HttpResult result =
        emulator.del(k_keys + "/" + key.at("id").get<std::string>(), "Bearer " + bob);
    REQUIRE(result.status == 200);
    CHECK(result.json().at("response") == false);
    CHECK_FALSE(listed(emulator, key.at("id")).is_null());
}

TEST_CASE("an admin may delete any user's key", "[delete][roles]") {
    Emulator emulator;
    const std::string admin = emulator.create_user("admin@example.com", "DocSpaceAdmin");
    const std::string user = emulator.create_user("user@example.com", "User");
    const json key = emulator.create_key("Bearer " + user, {{"name", "user-key"}});
    const HttpResult result =
        emulator.del(k_keys + "/" + key.at("id").get<std::string>(), "Bearer " + admin);
    REQUIRE(result.status == 200);
    CHECK(result.json().at("response") == true);
    CHECK(emulator.state().at("keys").empty());
}
