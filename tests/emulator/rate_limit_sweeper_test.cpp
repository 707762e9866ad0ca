// Contract §7, §8 and §10.4, §10.11: the sensitive_api limiter on POST keys and the expiry
// sweeper.
#include "helpers.hpp"

#include <thread>

using namespace emulator_test;

namespace {

std::vector<std::string> limited(int count, const std::string& window = "30") {
    return {"--rate-limit", "--rate-limit-count", std::to_string(count), "--rate-limit-window",
            window};
}

}  // namespace

TEST_CASE("without the rate-limit flag creates are never throttled", "[ratelimit]") {
    Emulator emulator;
    for (int i = 0; i < 8; ++i) {
        CHECK(emulator.post(k_keys, {{"name", "k"}}, owner_auth()).status == 200);
    }
}

TEST_CASE("the limiter admits N creates per window, then answers 429 with an empty body, "
          "Retry-After seconds and X-RateLimit headers",
          "[ratelimit]") {
    Emulator emulator(limited(3));
    for (int i = 0; i < 3; ++i) {
        const HttpResult ok = emulator.post(k_keys, {{"name", "k"}}, owner_auth());
        REQUIRE(ok.status == 200);
        CHECK(ok.header("x-ratelimit-limit").empty());
    }
    const HttpResult rejected = emulator.post(k_keys, {{"name", "k"}}, owner_auth());
    REQUIRE(rejected.status == 429);
    CHECK(rejected.body.empty());
    const int retry_after = std::stoi(rejected.header("retry-after"));
    CHECK(retry_after >= 1);
    CHECK(retry_after <= 30);
    CHECK(rejected.header("x-ratelimit-limit") == "3");
    CHECK(rejected.header("x-ratelimit-remaining") == "0");
    CHECK(emulator.state().at("keys").size() == 3);
}

TEST_CASE("the default limit is 5 creates per window", "[ratelimit]") {
    Emulator emulator({"--rate-limit"});
    for (int i = 0; i < 5; ++i) {
        REQUIRE(emulator.post(k_keys, {{"name", "k"}}, owner_auth()).status == 200);
    }
    const HttpResult rejected = emulator.post(k_keys, {{"name", "k"}}, owner_auth());
    CHECK(rejected.status == 429);
    CHECK(rejected.header("x-ratelimit-limit") == "5");
}

TEST_CASE("failed creates consume permits because the limiter runs before validation and "
          "authorization",
          "[ratelimit]") {
    Emulator emulator(limited(3));
    const json files_key =
        emulator.create_key(owner_auth(), {{"name", "f"}, {"permissions", {"files:read"}}});
    CHECK(emulator.post(k_keys, json::object(), owner_auth()).status == 400);
    CHECK(emulator.post(k_keys, {{"name", "x"}}, key_auth(files_key)).status == 403);
    CHECK(emulator.post(k_keys, {{"name", "ok"}}, owner_auth()).status == 429);
}

TEST_CASE("the window is per user and shared by all of that user's credentials", "[ratelimit]") {
    Emulator emulator(limited(2));
    const std::string alice = "Bearer " + emulator.create_user("alice@example.com", "User");
    const std::string bob = "Bearer " + emulator.create_user("bob@example.com", "User");
    const json alice_key = emulator.create_key(alice, {{"name", "a1"}});
    REQUIRE(emulator.post(k_keys, {{"name", "a2"}}, key_auth(alice_key)).status == 200);
    CHECK(emulator.post(k_keys, {{"name", "a3"}}, alice).status == 429);
    CHECK(emulator.post(k_keys, {{"name", "a4"}}, key_auth(alice_key)).status == 429);
    CHECK(emulator.post(k_keys, {{"name", "b1"}}, bob).status == 200);
}

TEST_CASE("only POST /api/2.0/keys is limited, and reads, updates and deletes are not",
          "[ratelimit]") {
    Emulator emulator(limited(1));
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}});
    REQUIRE(emulator.post(k_keys, {{"name", "k"}}, owner_auth()).status == 429);
    const std::string id = key.at("id");
    CHECK(emulator.get(k_keys, owner_auth()).status == 200);
    CHECK(emulator.put(k_keys + "/" + id, {{"name", "n"}}, owner_auth()).status == 200);
    CHECK(emulator.del(k_keys + "/" + id, owner_auth()).status == 200);
}

TEST_CASE("an unauthenticated create is 401, not 429", "[ratelimit]") {
    Emulator emulator(limited(1));
    REQUIRE(emulator.post(k_keys, {{"name", "k"}}, owner_auth()).status == 200);
    CHECK(emulator.post(k_keys, {{"name", "k"}}, "").status == 401);
}

TEST_CASE("after waiting Retry-After seconds a create is admitted again", "[ratelimit]") {
    Emulator emulator(limited(1, "1"));
    REQUIRE(emulator.post(k_keys, {{"name", "k"}}, owner_auth()).status == 200);
    const HttpResult rejected = emulator.post(k_keys, {{"name", "k"}}, owner_auth());
    REQUIRE(rejected.status == 429);
    const int retry_after = std::stoi(rejected.header("retry-after"));
    REQUIRE(retry_after == 1);
    std::this_thread::sleep_for(std::chrono::seconds(retry_after));
    CHECK(emulator.post(k_keys, {{"name", "k"}}, owner_auth()).status == 200);
}

TEST_CASE("reset clears the limiter", "[ratelimit][controls]") {
    Emulator emulator(limited(1));
    REQUIRE(emulator.post(k_keys, {{"name", "k"}}, owner_auth()).status == 200);
    REQUIRE(emulator.post(k_keys, {{"name", "k"}}, owner_auth()).status == 429);
    emulator.reset();
    CHECK(emulator.post(k_keys, {{"name", "k"}}, owner_auth()).status == 200);
}

TEST_CASE("an expired key stays listed as active until the sweep sets it inactive", "[sweeper]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "e"}, {"expiresInDays", 1}});
    const json fresh = emulator.create_key(owner_auth(), {{"name", "f"}, {"expiresInDays", 1}});
    emulator.patch_key(key.at("id"), {{"expiresAt", "2020-01-01T00:00:00Z"}});
    CHECK(listed(emulator, key.at("id")).at("isActive") == true);
    CHECK(emulator.get(k_keys, key_auth(key)).status == 401);
    CHECK(emulator.sweep() == 1);
    CHECK(listed(emulator, key.at("id")).at("isActive") == false);
    CHECK(listed(emulator, fresh.at("id")).at("isActive") == true);
    CHECK(emulator.sweep() == 0);
}

TEST_CASE("the periodic sweeper deactivates expired keys by itself", "[sweeper]") {
    Emulator emulator({"--sweep-interval", "0.2"});
    const json key = emulator.create_key(owner_auth(), {{"name", "e"}, {"expiresInDays", 1}});
    emulator.patch_key(key.at("id"), {{"expiresAt", "2020-01-01T00:00:00Z"}});
    bool inactive = false;
    for (int i = 0; i < 100 && !inactive; ++i) {
        inactive = emulator.state().at("keys").at(0).at("isActive") == false;
        if (!inactive) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    CHECK(inactive);
}

TEST_CASE("with a sweep interval of 0 expired keys stay active until a sweep is requested",
          "[sweeper]") {
    Emulator emulator({"--sweep-interval", "0"});
    const json key = emulator.create_key(owner_auth(), {{"name", "e"}, {"expiresInDays", 1}});
    emulator.patch_key(key.at("id"), {{"expiresAt", "2020-01-01T00:00:00Z"}});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(emulator.state().at("keys").at(0).at("isActive") == true);
    CHECK(emulator.sweep() == 1);
}
