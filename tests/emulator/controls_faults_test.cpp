// docs/emulator.md "Test controls" and "Fault rules".
#include "helpers.hpp"

using namespace emulator_test;

namespace {

const json k_create = {{"name", "faulty"}};

std::size_t key_count(const Emulator& emulator) {
    return emulator.state().at("keys").size();
}

/// POST /__emulator/keys: adds keys in bulk; returns their [{"id", "name"}].
json seed_keys(const Emulator& emulator, const json& fields) {
    const auto result = emulator.request("POST", "/__emulator/keys", "", fields.dump());
    REQUIRE(result.status == 200);
    return result.json().at("keys");
}

json last_request(const Emulator& emulator) {
    const json log = emulator.requests();
    REQUIRE_FALSE(log.empty());
    return log.back();
}

}  // namespace

TEST_CASE("reset returns to the start-up owner with no keys, no faults and an empty log",
          "[controls]") {
    Emulator emulator;
    const std::string owner = owner_id(emulator);
    emulator.create_user("u@example.com", "User");
    emulator.create_key(owner_auth(), {{"name", "k"}});
    emulator.add_fault({{"method", "GET"}, {"path", "/nowhere"}, {"action", "drop"}});
    emulator.reset();
    const json state = emulator.state();
    REQUIRE(state.at("users").size() == 1);
    CHECK(state.at("users").at(0).at("id") == owner);
    CHECK(state.at("keys").empty());
    CHECK(emulator.requests().empty());
    CHECK(emulator.get("/__emulator/faults", "").json().empty());
    CHECK(emulator.get(k_keys, owner_auth()).status == 200);
}

TEST_CASE("keys are seeded in bulk, listed like created ones, and bad fields are refused",
          "[controls]") {
    Emulator emulator;
    const json made = seed_keys(emulator, {{"count", 3},
                                           {"namePrefix", "Seed "},
                                           {"first", 10},
                                           {"permissions", {"files:read"}},
                                           {"expiresInDays", 30}});
    REQUIRE(made.size() == 3);
    CHECK(made.at(0).at("name") == "Seed 10");
    CHECK(made.at(2).at("name") == "Seed 12");
    CHECK_FALSE(made.at(0).contains("secret"));
    const json listed = emulator.get(k_keys, owner_auth()).json().at("response");
    REQUIRE(listed.size() == 3);
    CHECK(listed.at(1).at("id") == made.at(1).at("id"));
    CHECK(listed.at(1).at("permissions") == json::array({"files:read"}));
    CHECK(listed.at(1).at("createBy").at("id") == owner_id(emulator));
    CHECK_FALSE(listed.at(1).at("expiresAt").is_null());
    CHECK(emulator.issued().at("keys").size() == 3);
    // Unrestricted and never expiring by default; thousands at once.
    seed_keys(emulator, {{"count", 5000}});
    const json all = emulator.get(k_keys, owner_auth()).json().at("response");
    REQUIRE(all.size() == 5003);
    // Newest first, as the portal lists them: the last one seeded leads.
    CHECK(all.front().at("name") == "Seeded key 5000");
    CHECK_FALSE(all.front().contains("expiresAt"));  // never expires: the field is left out
    CHECK(all.back().at("name") == "Seed 10");
    for (const json& bad :
         {json{{"count", 0}}, json{{"count", 100001}}, json{{"count", "3"}}, json::object(),
          json{{"count", 1}, {"expiresInDays", 0}}, json{{"count", 1}, {"namePrefix", 5}},
          json{{"count", 1}, {"createBy", "nobody"}}}) {
        INFO(bad.dump());
        CHECK(emulator.request("POST", "/__emulator/keys", "", bad.dump()).status == 400);
    }
    CHECK(emulator.state().at("keys").size() == 5003);
}

TEST_CASE("the state dump includes secrets, tokens and settings", "[controls]") {
    Emulator emulator({"--utc-offset", "+02:00"});
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}, {"expiresInDays", 3}});
    const json state = emulator.state();
    const json stored = state.at("keys").at(0);
    CHECK(stored.at("secret") == key.at("key"));
    CHECK(stored.at("keyPostfix") == key.at("keyPostfix"));
    CHECK(stored.at("createBy") == owner_id(emulator));
    CHECK(stored.at("lastUsed").is_null());
    CHECK(stored.at("createOn").get<std::string>().back() == 'Z');
    CHECK(state.at("users").at(0).at("tokens") == json::array({Emulator::owner_token()}));
    CHECK(state.at("settings").at("utcOffset") == "+02:00");
}

TEST_CASE(
    "the issued list keeps every key secret and session token, also after deletes and a reset",
    "[controls]") {
    Emulator emulator;
    const json deleted = emulator.create_key(owner_auth(), {{"name", "by API"}});
    const json removed = emulator.create_key(owner_auth(), {{"name", "by control"}});
    const json kept = emulator.create_key(owner_auth(), {{"name", "kept"}});
    const std::string user_token = emulator.create_user("u@example.com", "User");
    const std::string deleted_id = deleted.at("id");
    REQUIRE(emulator.del(k_keys + "/" + deleted_id, owner_auth()).status == 200);
    REQUIRE(emulator.del("/__emulator/keys/" + removed.at("id").get<std::string>(), "").status ==
            200);
    emulator.reset();
    CHECK(emulator.state().at("keys").empty());

    const json issued = emulator.issued();
    REQUIRE(issued.at("keys").size() == 3);
    CHECK(issued.at("keys").at(0) ==
          json({{"id", deleted_id}, {"name", "by API"}, {"secret", deleted.at("key")}}));
    CHECK(issued.at("keys").at(1).at("secret") == removed.at("key"));
    CHECK(issued.at("keys").at(2).at("secret") == kept.at("key"));
    // The owner's token once, although the reset gave it to the owner again.
    CHECK(issued.at("tokens") == json::array({Emulator::owner_token(), user_token}));
}

TEST_CASE("PATCH and DELETE key controls change keys without API semantics, and unknown ids 404",
          "[controls]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}});
    const json patched =
        emulator.patch_key(key.at("id"), {{"name", "renamed"},
                                          {"permissions", nullptr},
                                          {"isActive", false},
                                          {"expiresAt", "2030-01-02T03:04:05+01:00"}});
    CHECK(patched.at("name") == "renamed");
    CHECK(patched.at("permissions").is_null());
    CHECK(patched.at("isActive") == false);
    CHECK(patched.at("expiresAt") == "2030-01-02T02:04:05.0000000Z");
    const std::string unknown = "/__emulator/keys/0b6f6f6e-1111-4222-8333-944445555666";
    CHECK(emulator.request("PATCH", unknown, "", "{}").status == 404);
    CHECK(emulator
              .request("PATCH", "/__emulator/keys/" + key.at("id").get<std::string>(), "",
                       R"({"expiresAt":"tomorrow"})")
              .status == 400);
    CHECK(emulator.del("/__emulator/keys/" + key.at("id").get<std::string>(), "").status == 200);
    CHECK(key_count(emulator) == 0);
    CHECK(emulator.del(unknown, "").status == 404);
}

TEST_CASE("PATCH key controls seed who made a key, when, and when it was last used, as the list "
          "shows them",
          "[controls]") {
    Emulator emulator;
    const std::string carol = emulator.create_user("carol@example.com", "DocSpaceAdmin");
    const std::string carol_id =
        emulator.get("/api/2.0/people/@self", "Bearer " + carol).json().at("response").at("id");
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}, {"expiresInDays", 30}});
    const std::string control = "/__emulator/keys/" + key.at("id").get<std::string>();
    emulator.patch_key(key.at("id"), {{"createBy", carol_id},
                                      {"createOn", "2025-01-02T03:04:05Z"},
                                      {"lastUsed", "2025-06-07T08:09:10Z"}});
    const json listed = emulator.get(k_keys, owner_auth()).json().at("response").at(0);
    CHECK(listed.at("createBy").at("id") == carol_id);
    CHECK(listed.at("createOn") == "2025-01-02T03:04:05.0000000Z");
    CHECK(listed.at("lastUsed") == "2025-06-07T08:09:10.0000000Z");

    emulator.patch_key(key.at("id"), {{"lastUsed", nullptr}});  // never used again
    CHECK_FALSE(
        emulator.get(k_keys, owner_auth()).json().at("response").at(0).contains("lastUsed"));
    for (const char* bad : {R"({"createBy":"0b6f6f6e-1111-4222-8333-944445555666"})",
                            R"({"createOn":null})", R"({"lastUsed":"yesterday"})"}) {
        INFO(bad);
        CHECK(emulator.request("PATCH", control, "", bad).status == 400);
    }
}

TEST_CASE("the request log records every API request, oldest first, and not the controls",
          "[controls]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}});
    emulator.get(k_keys + "?fields=id", key_auth(key));
    emulator.get(k_keys, "");
    const json log = emulator.requests();
    REQUIRE(log.size() == 3);
    CHECK(log.at(0).at("method") == "POST");
    CHECK(log.at(0).at("status") == 200);
    CHECK(log.at(0).at("auth") == "session");
    CHECK(log.at(1).at("query") == "fields=id");
    CHECK(log.at(1).at("auth") == "apikey");
    CHECK(log.at(2).at("status") == 401);
    CHECK(log.at(2).at("auth") == "none");
    CHECK(log.at(0).at("seq") < log.at(1).at("seq"));
    CHECK(log.at(0).at("durationMs").is_number());
    CHECK(emulator.count_requests("POST", k_keys) == 1);
    emulator.clear_requests();
    CHECK(emulator.requests().empty());
}

TEST_CASE("a status fault answers the given status and body without processing", "[faults]") {
    Emulator emulator;
    const std::string id = emulator.add_fault({{"method", "POST"},
                                               {"path", k_keys},
                                               {"action", "status"},
                                               {"status", 503},
                                               {"body", "<html>busy</html>"},
                                               {"retryAfter", 2}});
    const HttpResult result = emulator.post(k_keys, k_create, owner_auth());
    CHECK(result.status == 503);
    CHECK(result.body == "<html>busy</html>");
    CHECK(result.header("retry-after") == "2");
    CHECK(key_count(emulator) == 0);
    CHECK(last_request(emulator).at("fault") == id);
    CHECK(emulator.post(k_keys, k_create, owner_auth()).status == 200);
}

TEST_CASE("a latency fault delays but still processes the request", "[faults]") {
    Emulator emulator;
    emulator.add_fault(
        {{"method", "POST"}, {"path", k_keys}, {"action", "latency"}, {"latencyMs", 100}});
    CHECK(emulator.post(k_keys, k_create, owner_auth()).status == 200);
    CHECK(key_count(emulator) == 1);
}

TEST_CASE("a drop fault closes the connection without a response and without processing",
          "[faults]") {
    Emulator emulator;
    emulator.add_fault({{"method", "POST"}, {"path", k_keys}, {"action", "drop"}});
    CHECK(emulator.post(k_keys, k_create, owner_auth()).status == 0);
    CHECK(key_count(emulator) == 0);
    CHECK(last_request(emulator).at("status") == 0);
}

TEST_CASE("a commit_drop fault creates the key but the client gets no response at all",
          "[faults]") {
    Emulator emulator;
    emulator.add_fault({{"method", "POST"}, {"path", k_keys}, {"action", "commit_drop"}});
    CHECK(emulator.post(k_keys, k_create, owner_auth()).status == 0);
    CHECK(key_count(emulator) == 1);
    CHECK(last_request(emulator).at("status") == 0);
    CHECK(emulator.get(k_keys, owner_auth()).status == 200);
}

TEST_CASE("a commit_500 fault creates the key and answers 500 with HTML", "[faults]") {
    Emulator emulator;
    emulator.add_fault({{"method", "POST"}, {"path", k_keys}, {"action", "commit_500"}});
    const HttpResult result = emulator.post(k_keys, k_create, owner_auth());
    CHECK(result.status == 500);
    CHECK(result.body.find("<html>") != std::string::npos);
    CHECK(key_count(emulator) == 1);
}

TEST_CASE("a malformed fault processes the request and answers 200 with truncated JSON",
          "[faults]") {
    Emulator emulator;
    emulator.add_fault({{"method", "POST"}, {"path", k_keys}, {"action", "malformed"}});
    const HttpResult result = emulator.post(k_keys, k_create, owner_auth());
    CHECK(result.status == 200);
    CHECK_THROWS(result.json());
    CHECK(key_count(emulator) == 1);
}

TEST_CASE("an oversized fault processes the request and answers bodyBytes of valid JSON",
          "[faults]") {
    Emulator emulator;
    emulator.add_fault(
        {{"method", "GET"}, {"path", k_keys}, {"action", "oversized"}, {"bodyBytes", 200000}});
    const HttpResult result = emulator.get(k_keys, owner_auth());
    CHECK(result.status == 200);
    CHECK(result.body.size() == 200000);
    CHECK(result.json().at("response").is_array());
}

TEST_CASE("a rate_limit fault answers 429 with Retry-After and X-RateLimit headers", "[faults]") {
    Emulator emulator;
    emulator.add_fault(
        {{"method", "POST"}, {"path", k_keys}, {"action", "rate_limit"}, {"retryAfter", 7}});
    const HttpResult result = emulator.post(k_keys, k_create, owner_auth());
    CHECK(result.status == 429);
    CHECK(result.body.empty());
    CHECK(result.header("retry-after") == "7");
    CHECK(result.header("x-ratelimit-limit") == "5");
    CHECK(result.header("x-ratelimit-remaining") == "0");
    CHECK(key_count(emulator) == 0);
}

TEST_CASE("a redirect fault answers 307 to another origin with the original path", "[faults]") {
    Emulator emulator;
    emulator.add_fault({{"method", "*"},
                        {"path", k_keys},
                        {"action", "redirect"},
                        {"location", "http://127.0.0.1:9/elsewhere"}});
    const HttpResult result = emulator.post(k_keys, k_create, owner_auth());
    CHECK(result.status == 307);
    CHECK(result.header("location") == "http://127.0.0.1:9/elsewhere" + k_keys);
    CHECK(key_count(emulator) == 0);
}

TEST_CASE("a silent fault sends nothing, then closes, without processing", "[faults]") {
    Emulator emulator;
    emulator.add_fault(
        {{"method", "POST"}, {"path", k_keys}, {"action", "silent"}, {"latencyMs", 200}});
    CHECK(emulator.post(k_keys, k_create, owner_auth()).status == 0);
    CHECK(key_count(emulator) == 0);
}

TEST_CASE("a commit_silent fault creates the key at once, then sends nothing until it closes",
          "[faults]") {
    Emulator emulator;
    emulator.add_fault(
        {{"method", "POST"}, {"path", k_keys}, {"action", "commit_silent"}, {"latencyMs", 1500}});
    emulator.set_read_timeout(std::chrono::milliseconds(300));
    const auto started = std::chrono::steady_clock::now();
    CHECK(emulator.post(k_keys, k_create, owner_auth()).status == 0);  // gave up waiting
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1400));
    CHECK(key_count(emulator) == 1);     // processed while the connection is still held
    CHECK(emulator.requests().empty());  // logged once the connection closes
}

TEST_CASE("skip lets matching requests through before a rule fires times times, then it is gone",
          "[faults]") {
    Emulator emulator;
    emulator.add_fault({{"method", "GET"},
                        {"path", k_keys},
                        {"action", "status"},
                        {"status", 502},
                        {"skip", 1},
                        {"times", 2}});
    CHECK(emulator.get(k_keys, owner_auth()).status == 200);
    CHECK(emulator.get(k_keys, owner_auth()).status == 502);
    CHECK(emulator.get(k_keys, owner_auth()).status == 502);
    CHECK(emulator.get(k_keys, owner_auth()).status == 200);
    CHECK(emulator.get("/__emulator/faults", "").json().empty());
}

TEST_CASE("times 0 fires forever until the rule is deleted", "[faults]") {
    Emulator emulator;
    const std::string id = emulator.add_fault(
        {{"method", "GET"}, {"path", k_keys}, {"action", "status"}, {"status", 503}, {"times", 0}});
    for (int i = 0; i < 3; ++i) {
        CHECK(emulator.get(k_keys, owner_auth()).status == 503);
    }
    const json rules = emulator.get("/__emulator/faults", "").json();
    REQUIRE(rules.size() == 1);
    CHECK(rules.at(0).at("fired") == 3);
    CHECK(emulator.del("/__emulator/faults/" + id, "").status == 200);
    CHECK(emulator.get(k_keys, owner_auth()).status == 200);
}

TEST_CASE("rules match by method and by exact path or a prefix ending in *", "[faults]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}});
    emulator.add_fault({{"method", "DELETE"},
                        {"path", k_keys + "/*"},
                        {"action", "status"},
                        {"status", 418},
                        {"times", 0}});
    CHECK(emulator.post(k_keys, k_create, owner_auth()).status == 200);
    CHECK(emulator.get(k_keys, owner_auth()).status == 200);
    CHECK(emulator.del(k_keys + "/" + key.at("id").get<std::string>(), owner_auth()).status == 418);
    emulator.clear_faults();
    CHECK(emulator.get("/__emulator/faults", "").json().empty());
}

TEST_CASE("fault rules never affect the test controls, and invalid rules are rejected",
          "[faults][controls]") {
    Emulator emulator;
    emulator.add_fault({{"method", "*"}, {"path", "*"}, {"action", "drop"}, {"times", 0}});
    CHECK(emulator.get("/__emulator/state", "").status == 200);
    CHECK(emulator.get(k_keys, owner_auth()).status == 0);
    CHECK(emulator.post("/__emulator/faults", {{"action", "explode"}}, "").status == 400);
    CHECK(emulator.post("/__emulator/faults", {{"action", "status"}}, "").status == 400);
}
