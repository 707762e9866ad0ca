// Contract §2.2, §3, §6 and §10.5-10.6, 10.9-10.10: creating keys.
#include "helpers.hpp"

using namespace emulator_test;

TEST_CASE("creating a key answers 200 with the full secret in the success envelope", "[create]") {
    Emulator emulator;
    const HttpResult result = emulator.post(k_keys, {{"name", "ci-bot"}}, owner_auth());
    REQUIRE(result.status == 200);
    const json body = result.json();
    CHECK(body.at("status") == 0);
    CHECK(body.at("statusCode") == 200);
    CHECK(body.at("count") == 1);
    CHECK_FALSE(body.contains("total"));
    CHECK(body.at("links").at(0).at("action") == "POST");
    CHECK(body.at("links").at(0).at("href") == emulator.url() + k_keys);
    const json key = body.at("response");
    const std::string secret = key.at("key");
    CHECK(std::regex_match(secret, std::regex("^sk-[0-9a-f]{64}$")));
    CHECK(key.at("keyPostfix") == secret.substr(secret.size() - 4));
    CHECK(std::regex_match(
        key.at("id").get<std::string>(),
        std::regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")));
    CHECK(key.at("name") == "ci-bot");
    CHECK(key.at("isActive") == true);
    CHECK(key.at("permissions") == json::array());
    CHECK(key.at("createBy").at("id") == owner_id(emulator));
    for (const char* field :
         {"displayName", "avatar", "avatarOriginal", "avatarMax", "avatarMedium", "avatarSmall",
          "profileUrl", "hasAvatar", "isAnonim"}) {
        CHECK(key.at("createBy").contains(field));
    }
    CHECK_FALSE(key.contains("lastUsed"));
    CHECK_FALSE(key.contains("expiresAt"));
}

TEST_CASE("the secret is shown only in the create answer and masked as sk-*** plus postfix "
          "everywhere else",
          "[create]") {
    Emulator emulator;
    const json created = emulator.create_key(owner_auth(), {{"name", "masked"}});
    const std::string secret = created.at("key");
    const HttpResult list = emulator.get(k_keys, owner_auth());
    CHECK(list.body.find(secret) == std::string::npos);
    const json entry = listed(emulator, created.at("id"));
    CHECK(entry.at("key") == "sk-***" + secret.substr(secret.size() - 4));
    CHECK(entry.at("keyPostfix") == secret.substr(secret.size() - 4));
    const HttpResult self = emulator.get(k_keys + "/@self", key_auth(created));
    CHECK(self.json().at("response").at("key") == entry.at("key"));
}

TEST_CASE("the create answer carries real sub-second digits and later reads carry .0000000",
          "[create][dates]") {
    Emulator emulator;
    const json created =
        emulator.create_key(owner_auth(), {{"name", "dated"}, {"expiresInDays", 2}});
    const std::string create_on = created.at("createOn");
    REQUIRE(is_api_date(create_on));
    REQUIRE(is_api_date(created.at("expiresAt")));
    CHECK(fraction_of(create_on) != "0000000");
    const json entry = listed(emulator, created.at("id"));
    CHECK(is_api_date(entry.at("createOn")));
    CHECK(fraction_of(entry.at("createOn")) == "0000000");
    CHECK(fraction_of(entry.at("expiresAt")) == "0000000");
}

TEST_CASE("expiresAt is createOn plus exactly N whole days, not the end of a day",
          "[create][dates]") {
    Emulator emulator;
    const json created =
        emulator.create_key(owner_auth(), {{"name", "thirty"}, {"expiresInDays", 30}});
    const std::int64_t difference =
        to_ticks(created.at("expiresAt")) - to_ticks(created.at("createOn"));
    CHECK(difference == std::int64_t{30} * 86400 * 10'000'000);
}

TEST_CASE("dates use the configured portal UTC offset, and a zero offset is written as Z",
          "[create][dates]") {
    SECTION("a positive offset") {
        Emulator emulator({"--utc-offset", "+03:00"});
        const json created = emulator.create_key(owner_auth(), {{"name", "east"}});
        const std::string local = created.at("createOn");
        CHECK(local.substr(27) == "+03:00");
        const std::string utc = emulator.state().at("keys").at(0).at("createOn");
        const int utc_hour = std::stoi(utc.substr(11, 2));
        const int local_hour = std::stoi(local.substr(11, 2));
        CHECK(local_hour == (utc_hour + 3) % 24);
        CHECK(to_ticks(listed(emulator, created.at("id")).at("createOn")) == to_ticks(utc));
    }
    SECTION("a negative offset") {
        Emulator emulator({"--utc-offset", "-05:30"});
        const json created = emulator.create_key(owner_auth(), {{"name", "west"}});
        CHECK(created.at("createOn").get<std::string>().substr(27) == "-05:30");
    }
    SECTION("zero") {
        Emulator emulator({"--utc-offset", "+00:00"});
        const json created = emulator.create_key(owner_auth(), {{"name", "zulu"}});
        CHECK(created.at("createOn").get<std::string>().substr(27) == "Z");
    }
}

TEST_CASE("on 3.7.2 omitted, null and empty permissions all create an unrestricted key shown as []",
          "[create][permissions][quirk]") {
    Emulator emulator({"--server-behavior", "3.7.2"});
    for (const json& body :
         {json{{"name", "omitted"}}, json{{"name", "null"}, {"permissions", nullptr}},
          json{{"name", "empty"}, {"permissions", json::array()}}}) {
        const HttpResult result = emulator.post(k_keys, body, owner_auth());
        REQUIRE(result.status == 200);
        const json key = result.json().at("response");
        CHECK(key.at("permissions") == json::array());
        CHECK(listed(emulator, key.at("id")).at("permissions") == json::array());
        // Unrestricted: the key may create keys itself.
        CHECK(emulator.post(k_keys, {{"name", "child"}}, key_auth(key)).status == 200);
    }
}

TEST_CASE("a permissions list containing * anywhere is stored as [] with the other entries "
          "dropped",
          "[create][permissions]") {
    Emulator emulator;
    const json key = emulator.create_key(
        owner_auth(), {{"name", "star"}, {"permissions", {"files:read", "*", "rooms:read"}}});
    CHECK(key.at("permissions") == json::array());
    CHECK(listed(emulator, key.at("id")).at("permissions") == json::array());
}

TEST_CASE("permissions keep their order and their duplicates", "[create][permissions]") {
    Emulator emulator;
    const json sent = {"rooms:write", "files:read", "rooms:write", "accounts.self:read"};
    const json key = emulator.create_key(owner_auth(), {{"name", "order"}, {"permissions", sent}});
    CHECK(key.at("permissions") == sent);
    CHECK(listed(emulator, key.at("id")).at("permissions") == sent);
}

TEST_CASE("an unknown or wrongly cased scope is rejected with ErrorApiResponse 400 "
          "'Permissions are not valid.'",
          "[create][permissions][errors]") {
    Emulator emulator;
    for (const std::string scope : {"Files:read", "keys:read", "files:*", ""}) {
        const HttpResult result = emulator.post(
            k_keys, {{"name", "bad"}, {"permissions", {"files:read", scope}}}, owner_auth());
        const json error = error_of(result, 400);
        CHECK(error.at("message") == "Permissions are not valid.");
        CHECK(error.at("type") == "System.ArgumentException");
        CHECK(error.contains("stack"));
        CHECK(error.at("hresult").is_number_integer());
    }
    CHECK(emulator.state().at("keys").empty());
}

TEST_CASE("every one of the 11 catalogue scopes is accepted on create", "[create][permissions]") {
    Emulator emulator;
    const json catalogue =
        emulator.get(k_keys + "/permissions", owner_auth()).json().at("response");
    REQUIRE(catalogue.size() == 11);
    for (const auto& scope : catalogue) {
        if (scope == "*") {
            continue;
        }
        const json key =
            emulator.create_key(owner_auth(), {{"name", "s"}, {"permissions", {scope}}});
        CHECK(key.at("permissions") == json::array({scope}));
    }
}

TEST_CASE("names of 30 UTF-16 units are accepted and 31 are rejected with the Name message",
          "[create][validation]") {
    Emulator emulator;
    CHECK(emulator.post(k_keys, {{"name", std::string(30, 'n')}}, owner_auth()).status == 200);
    std::string accented;
    for (int i = 0; i < 30; ++i) {
        accented += "\xc3\xa9";  // é: two UTF-8 bytes, one UTF-16 unit
    }
    CHECK(emulator.post(k_keys, {{"name", accented}}, owner_auth()).status == 200);
    const json errors =
        validation_errors(emulator.post(k_keys, {{"name", std::string(31, 'n')}}, owner_auth()));
    CHECK(errors.at("Name") == json::array({"Incorrect name. Length must be less than 30"}));
}

TEST_CASE("an empty, whitespace-only or null name is rejected as required",
          "[create][validation]") {
    Emulator emulator;
    for (const json& name : {json(""), json("   "), json("\t\n"), json(nullptr)}) {
        const json errors =
            validation_errors(emulator.post(k_keys, {{"name", name}}, owner_auth()));
        CHECK(errors.at("Name") == json::array({"The Name field is required."}));
    }
    CHECK(emulator.state().at("keys").empty());
}

TEST_CASE("names are stored verbatim: not trimmed, not unique, HTML kept", "[create]") {
    Emulator emulator;
    const json padded = emulator.create_key(owner_auth(), {{"name", "  padded  "}});
    CHECK(listed(emulator, padded.at("id")).at("name") == "  padded  ");
    const json html = emulator.create_key(owner_auth(), {{"name", "<b>'x'</b>"}});
    CHECK(listed(emulator, html.at("id")).at("name") == "<b>'x'</b>");
    const json first = emulator.create_key(owner_auth(), {{"name", "same"}});
    const json second = emulator.create_key(owner_auth(), {{"name", "same"}});
    CHECK(first.at("id") != second.at("id"));
    CHECK(list_keys(emulator, owner_auth()).size() == 4);
}

TEST_CASE("creating is not idempotent: the same body twice makes two keys", "[create]") {
    Emulator emulator;
    const json body = {{"name", "twice"}, {"permissions", {"files:read"}}};
    const json first = emulator.create_key(owner_auth(), body);
    const json second = emulator.create_key(owner_auth(), body);
    CHECK(first.at("id") != second.at("id"));
    CHECK(first.at("key") != second.at("key"));
    CHECK(emulator.state().at("keys").size() == 2);
}

TEST_CASE("a body without a name property reports missing required properties under $",
          "[create][validation]") {
    Emulator emulator;
    const json errors = validation_errors(emulator.post(k_keys, json::object(), owner_auth()));
    REQUIRE(errors.contains("$"));
    CHECK(errors.at("$").at(0).get<std::string>().find(
              "missing required properties including: 'name'") != std::string::npos);
}

TEST_CASE("expiresInDays accepts 1 to 365, also as a string, and rejects 0 and 366",
          "[create][validation]") {
    Emulator emulator;
    for (const json& days : {json(1), json(365), json("30")}) {
        CHECK(
            emulator.post(k_keys, {{"name", "d"}, {"expiresInDays", days}}, owner_auth()).status ==
            200);
    }
    for (const int days : {0, 366, -1}) {
        const json errors = validation_errors(
            emulator.post(k_keys, {{"name", "d"}, {"expiresInDays", days}}, owner_auth()));
        CHECK(errors.at("ExpiresInDays") ==
              json::array({"Incorrect number of days. Value must be between 1 and 365"}));
    }
    CHECK(emulator.state().at("keys").size() == 3);
}

TEST_CASE("several invalid fields are reported together in one validation answer",
          "[create][validation]") {
    Emulator emulator;
    const HttpResult result =
        emulator.post(k_keys, {{"name", ""}, {"expiresInDays", 0}}, owner_auth());
    const json errors = validation_errors(result);
    CHECK(errors.contains("Name"));
    CHECK(errors.contains("ExpiresInDays"));
    const json problem = result.json().at("response");
    CHECK(problem.at("title") == "One or more validation errors occurred.");
    CHECK(problem.at("type") == "https://tools.ietf.org/html/rfc9110#section-15.5.1");
    CHECK(problem.at("traceId").is_string());
    CHECK(result.json().at("links").at(0).at("action") == "POST");
}

TEST_CASE("property names bind case-insensitively and unknown properties are ignored", "[create]") {
    Emulator emulator;
    const HttpResult result = emulator.post(k_keys,
                                            {{"NAME", "shouty"},
                                             {"Permissions", {"files:read"}},
                                             {"EXPIRESINDAYS", 3},
                                             {"colour", "blue"}},
                                            owner_auth());
    REQUIRE(result.status == 200);
    const json key = result.json().at("response");
    CHECK(key.at("name") == "shouty");
    CHECK(key.at("permissions") == json::array({"files:read"}));
    CHECK(key.contains("expiresAt"));
}

TEST_CASE("malformed JSON and an empty body are model-validation 400s", "[create][validation]") {
    Emulator emulator;
    const json malformed =
        validation_errors(emulator.request("POST", k_keys, owner_auth(), "{\"name\": "));
    CHECK(malformed.contains("$"));
    const json empty = validation_errors(emulator.request("POST", k_keys, owner_auth(), ""));
    CHECK(empty.contains(""));
    const json wrong_type = validation_errors(emulator.post(k_keys, {{"name", 5}}, owner_auth()));
    CHECK(wrong_type.contains("$.name"));
}

TEST_CASE("a body that is not JSON content type answers 415 with an empty body",
          "[create][validation]") {
    Emulator emulator;
    const HttpResult result =
        emulator.request("POST", k_keys, owner_auth(), R"({"name":"x"})", "text/plain");
    CHECK(result.status == 415);
    CHECK(result.body.empty());
    CHECK(emulator.state().at("keys").empty());
}

TEST_CASE("a name with a character outside the BMP fails with 500 as the utf8mb3 column does",
          "[create]") {
    Emulator emulator;
    const HttpResult result =
        emulator.post(k_keys, {{"name", "bot \xf0\x9f\xa4\x96"}}, owner_auth());
    CHECK(error_of(result, 500).at("type").is_string());
    CHECK(emulator.state().at("keys").empty());
}

TEST_CASE("the vendor sample's create flow works as a user would run it", "[create][sample]") {
    Emulator emulator;
    // The sample sends the credential raw in Authorization, which works for session tokens.
    const json payload = {
        {"name", "Integration Bot"},
        {"permissions", {"files:read", "files:write", "rooms:read", "rooms:write"}},
        {"expiresInDays", 30}};
    const HttpResult result =
        emulator.request("POST", k_keys, Emulator::owner_token(), payload.dump());
    REQUIRE(result.status == 200);
    const json resp = result.json().at("response");
    CHECK(resp.at("name") == "Integration Bot");
    const std::string key = resp.at("key");
    CHECK(std::regex_match(key, std::regex("^sk-[0-9a-f]{64}$")));
    CHECK(resp.at("keyPostfix") == key.substr(key.size() - 4));
    CHECK(resp.at("permissions") ==
          json::array({"files:read", "files:write", "rooms:read", "rooms:write"}));
    REQUIRE(is_api_date(resp.at("expiresAt")));
    CHECK(to_ticks(resp.at("expiresAt")) - to_ticks(resp.at("createOn")) ==
          std::int64_t{30} * 86400 * 10'000'000);
}
