#include "api_test_support.hpp"

#include "api/response_parser.hpp"

#include <catch2/catch.hpp>

#include <cstdio>

using namespace provision;
using namespace api_test;
using namespace std::chrono_literals;

namespace {

const std::string k_secret = "sk-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d29f3a";

const std::string k_creator =
    R"("createBy":{"id":"aa11bb22-cc33-dd44-ee55-ff6677889900","displayName":"Jane Doe",)"
    R"("avatar":"/a.png","hasAvatar":false,"isAnonim":false})";

std::string key_json(const std::string& id, const std::string& name, const std::string& extra) {
    return R"({"id":")" + id + R"(","name":")" + name +
           R"(","key":"sk-***9f3a","keyPostfix":"9f3a",)" + extra +
           R"("createOn":"2026-07-01T15:04:05.0000000+03:00",)" + k_creator +
           R"(,"isActive":true})";
}

const std::string k_created = R"({
    "id": "6d0e3f1a-2b4c-4d5e-8f90-a1b2c3d4e5f6",
    "name": "ci-bot",
    "key": ")" + k_secret + R"(",
    "keyPostfix": "9f3a",
    "permissions": ["files:read", "rooms:read"],
    "createOn": "2026-07-01T15:04:05.1234567+03:00",
    )" + k_creator + R"(,
    "expiresAt": "2026-07-31T15:04:05.1234567+03:00",
    "isActive": true
})";

const std::string k_error_400 = R"({"error":{"message":"Permissions are not valid.",)"
                                R"("type":"System.ArgumentException","stack":"   at ...",)"
                                R"("hresult":-2147024809},"status":1,"statusCode":400})";

const std::string k_validation_400 =
    R"({"response":{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1",)"
    R"("title":"One or more validation errors occurred.","status":400,)"
    R"("errors":{"Name":["Incorrect name. Length must be less than 30"]},"traceId":"00-1-2-00"},)"
    R"("count":1,"links":[],"status":1,"statusCode":400})";

const std::string k_null_reference =
    R"({"error":{"message":"Object reference not set to an instance of an object.",)"
    R"("type":"System.NullReferenceException","stack":"   at ...","hresult":-2147467261},)"
    R"("status":1,"statusCode":500})";

const std::string k_id = "6d0e3f1a-2b4c-4d5e-8f90-a1b2c3d4e5f6";

api::CreateRequest create_request(std::string name = "Integration Bot") {
    return api::CreateRequest{std::move(name), core::Scopes::from_list({"files:read"}), 30};
}

}  // namespace

TEST_CASE("listing uses the array length, not the envelope's count of 1", "[api]") {
    Harness h;
    const std::string list =
        "[" + key_json("11111111-0000-0000-0000-000000000001", "a", "") + "," +
        key_json("11111111-0000-0000-0000-000000000002", "b", R"("permissions":[],)") + "," +
        key_json("11111111-0000-0000-0000-000000000003", "c",
                 R"("permissions":["rooms:read","files:read"],)") +
        "]";
    h.transport->reply(200, envelope(list));
    const auto keys = h.keys->list();
    REQUIRE(keys.ok());
    REQUIRE(keys->size() == 3);
    CHECK((*keys)[0].permissions.unrestricted);  // permissions omitted
    CHECK((*keys)[1].permissions.unrestricted);  // permissions []
    CHECK_FALSE((*keys)[2].permissions.unrestricted);
    CHECK((*keys)[2].permissions.items == std::vector<std::string>{"files:read", "rooms:read"});
    CHECK((*keys)[0].created_by_id == "aa11bb22-cc33-dd44-ee55-ff6677889900");
    CHECK((*keys)[0].created_by_name == "Jane Doe");
    REQUIRE(h.transport->requests.size() == 1);
    CHECK(h.transport->requests[0].method == "GET");
    CHECK(h.transport->requests[0].url == "https://portal.example.com/api/2.0/keys");
}

TEST_CASE("a create returns the full secret and dates with offsets converted to UTC", "[api]") {
    Harness h;
    h.transport->reply(200, envelope(k_created, "POST"));
    const auto created = h.keys->create(create_request("ci-bot"));
    REQUIRE(created.ok());
    CHECK(created->secret.reveal() == k_secret);
    CHECK(created->key.id == k_id);
    CHECK(created->key.postfix == "9f3a");
    const auto midnight = core::Timestamp{std::chrono::sys_days{std::chrono::year{2026} / 7 / 1}};
    CHECK(created->key.create_on == midnight + 12h + 4min + 5s + 123456us);
    REQUIRE(created->key.expires_at.has_value());
    CHECK(*created->key.expires_at ==
          midnight + std::chrono::days{30} + 12h + 4min + 5s + 123456us);
    CHECK_FALSE(created->key.last_used.has_value());
    CHECK(created->key.permissions.items == std::vector<std::string>{"files:read", "rooms:read"});

    const auto& request = h.transport->requests.at(0);
    CHECK(request.method == "POST");
    const auto body = nlohmann::json::parse(request.body);
    CHECK(body["name"] == "ci-bot");
    CHECK(body["permissions"] == nlohmann::json::array({"files:read"}));
    CHECK(body["expiresInDays"] == 30);
}

TEST_CASE("an unrestricted create sends [\"*\"], never []", "[api]") {
    Harness h;
    h.transport->reply(200, envelope(k_created, "POST"));
    REQUIRE(h.keys->create(api::CreateRequest{"ci-bot", core::Scopes::all(), std::nullopt}).ok());
    const auto body = nlohmann::json::parse(h.transport->requests.at(0).body);
    CHECK(body["permissions"] == nlohmann::json::array({"*"}));
    CHECK_FALSE(body.contains("expiresInDays"));
}

TEST_CASE("an ErrorApiResponse yields the server's error.message", "[api]") {
    Harness h;
    h.transport->reply(400, k_error_400);
    const auto created = h.keys->create(create_request());
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().code == core::Errc::http_status);
    CHECK(created.error().http_status == 400);
    CHECK_THAT(created.error().message, Catch::Contains("Permissions are not valid."));
    CHECK_THAT(created.error().message, Catch::Contains("creating 'Integration Bot'"));
}

TEST_CASE("validation problems wrapped in the success envelope list each field", "[api]") {
    Harness h;
    h.transport->reply(400, k_validation_400);
    const auto created = h.keys->create(create_request("a-name-that-is-far-too-long-for-docspace"));
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().http_status == 400);
    CHECK_THAT(created.error().message,
               Catch::Contains("Name: Incorrect name. Length must be less than 30"));
}

TEST_CASE("empty 401, 403 and 429 bodies map to their own error codes", "[api]") {
    Harness h;
    h.transport->reply(401, "").reply(403, "");
    const auto unauthorized = h.keys->list();
    REQUIRE_FALSE(unauthorized.ok());
    CHECK(unauthorized.error().code == core::Errc::unauthorized);
    CHECK(unauthorized.error().http_status == 401);

    const auto forbidden = h.keys->create(create_request());
    REQUIRE_FALSE(forbidden.ok());
    CHECK(forbidden.error().code == core::Errc::forbidden);

    for (int i = 0; i < 4; ++i) {  // every attempt allowed by the retry policy
        h.transport->reply(429, "", {{"retry-after", "12"}});
    }
    const auto rate_limited = h.keys->remove(k_id);
    REQUIRE_FALSE(rate_limited.ok());
    CHECK(rate_limited.error().code == core::Errc::rate_limited);
    REQUIRE(rate_limited.error().retry_after.has_value());
    CHECK(*rate_limited.error().retry_after == 12s);
    CHECK(h.sleeps == std::vector<std::chrono::milliseconds>{12s, 12s, 12s});
}

TEST_CASE("an HTML 502 page is reduced to its title in the error message", "[api]") {
    Harness h;
    const std::string page = "<html><head><title>502 Bad Gateway</title></head><body>" +
                             std::string(5000, 'x') + "</body></html>";
    h.transport->reply(502, page);
    const auto created = h.keys->create(create_request());
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().code == core::Errc::http_status);
    CHECK(created.error().http_status == 502);
    CHECK_THAT(created.error().message, Catch::Contains("502 Bad Gateway"));
    CHECK(created.error().message.size() < 300);
}

TEST_CASE("PUT and DELETE answer booleans, and PUT on an expired key is false", "[api]") {
    Harness h;
    h.transport->reply(200, envelope("false", "PUT")).reply(200, envelope("true", "DELETE"));
    api::UpdateRequest update;
    update.permissions = core::Scopes::all();
    update.is_active = true;
    const auto updated = h.keys->update(k_id, update);
    REQUIRE(updated.ok());
    CHECK_FALSE(*updated);
    const auto body = nlohmann::json::parse(h.transport->requests.at(0).body);
    CHECK(body == nlohmann::json{{"permissions", {"*"}}, {"isActive", true}});
    CHECK(h.transport->requests.at(0).url == "https://portal.example.com/api/2.0/keys/" + k_id);

    const auto removed = h.keys->remove(k_id);
    REQUIRE(removed.ok());
    CHECK(*removed);
    CHECK(h.transport->requests.at(1).method == "DELETE");
}

TEST_CASE("a 500 NullReferenceException on DELETE or PUT means the id is unknown, no retry",
          "[api]") {
    Harness h;
    h.transport->reply(500, k_null_reference).reply(500, k_null_reference);
    const auto removed = h.keys->remove(k_id);
    REQUIRE_FALSE(removed.ok());
    CHECK(removed.error().code == core::Errc::http_status);
    CHECK(removed.error().http_status == 500);
    CHECK_THAT(removed.error().message, Catch::Contains("no key with this id"));
    CHECK(api::is_unknown_id(removed.error()));
    CHECK(h.transport->requests.size() == 1);

    const auto updated = h.keys->update(k_id, api::UpdateRequest{});
    REQUIRE_FALSE(updated.ok());
    CHECK_THAT(updated.error().message, Catch::Contains("no key with this id"));
    CHECK(h.transport->requests.size() == 2);
    CHECK(h.sleeps.empty());
}

TEST_CASE("a DELETE that keeps failing with a 500 of another kind does not say the key is gone",
          "[api]") {
    Harness h;
    const std::string failing = R"({"error":{"message":"boom","type":"System.Exception"}})";
    for (int i = 0; i < 4; ++i) {
        h.transport->reply(500, failing);
    }
    const auto removed = h.keys->remove(k_id);
    REQUIRE_FALSE(removed.ok());
    CHECK(removed.error().http_status == 500);
    CHECK_FALSE(api::is_unknown_id(removed.error()));  // the key may well still exist
    CHECK(h.transport->requests.size() > 1);           // retried as any transient 5xx
}

TEST_CASE("a GET that meets a 503 is retried and then succeeds", "[api]") {
    Harness h;
    h.transport->reply(503, "<html>busy</html>").reply(200, envelope("[]"));
    const auto keys = h.keys->list();
    REQUIRE(keys.ok());
    CHECK(keys->empty());
    CHECK(h.transport->requests.size() == 2);
    REQUIRE(h.sleeps.size() == 1);
    CHECK(h.sleeps[0] == 100ms);  // full jitter: 0.5 x base delay 200 ms
}

TEST_CASE("safe retries back off exponentially up to max_attempts", "[api]") {
    Harness h;
    h.transport->fail(core::Errc::timeout)
        .fail(core::Errc::connection_lost)
        .reply(504, "")
        .reply(500, R"({"error":{"message":"boom","type":"System.Exception"}})");
    const auto keys = h.keys->list();
    REQUIRE_FALSE(keys.ok());
    CHECK(keys.error().http_status == 500);
    CHECK(h.transport->requests.size() == 4);
    CHECK(h.sleeps == std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms});
}

TEST_CASE("a POST answered 503 is not retried", "[api]") {
    Harness h;
    h.transport->reply(503, "").reply(200, envelope(k_created, "POST"));
    const auto created = h.keys->create(create_request());
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().http_status == 503);
    CHECK(h.transport->requests.size() == 1);
}

TEST_CASE("a POST that timed out is not retried", "[api]") {
    Harness h;
    h.transport->fail(core::Errc::timeout).reply(200, envelope(k_created, "POST"));
    const auto created = h.keys->create(create_request());
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().code == core::Errc::timeout);
    CHECK(h.transport->requests.size() == 1);
}

TEST_CASE("a POST that was provably not sent is retried", "[api]") {
    Harness h;
    h.transport->fail(core::Errc::not_sent).reply(200, envelope(k_created, "POST"));
    const auto created = h.keys->create(create_request());
    REQUIRE(created.ok());
    CHECK(h.transport->requests.size() == 2);
}

TEST_CASE("a rate-limited POST waits for Retry-After and then creates", "[api]") {
    Harness h;
    h.transport->reply(429, "", {{"retry-after", "3"}}).reply(200, envelope(k_created, "POST"));
    const auto created = h.keys->create(create_request());
    REQUIRE(created.ok());
    CHECK(h.transport->requests.size() == 2);
    CHECK(h.sleeps == std::vector<std::chrono::milliseconds>{3s});
}

TEST_CASE("Retry-After is clamped to max_retry_after", "[api]") {
    Harness h;
    h.transport->reply(429, "", {{"retry-after", "86400"}}).reply(200, envelope("[]"));
    REQUIRE(h.keys->list().ok());
    CHECK(h.sleeps == std::vector<std::chrono::milliseconds>{900s});
}

TEST_CASE("a garbage Retry-After falls back to the backoff delay", "[api]") {
    Harness h;
    h.transport->reply(429, "", {{"retry-after", "soon-ish"}}).reply(200, envelope("[]"));
    REQUIRE(h.keys->list().ok());
    CHECK(h.sleeps == std::vector<std::chrono::milliseconds>{100ms});
}

TEST_CASE("an API key is sent as Bearer, a session token raw", "[api]") {
    CHECK(api::authorization_for(core::Secret{k_secret}).reveal() == "Bearer " + k_secret);
    CHECK(api::authorization_for(core::Secret{"abc.session"}).reveal() == "abc.session");

    Harness with_key(k_secret);
    with_key.transport->reply(200, envelope("[]"));
    REQUIRE(with_key.keys->list().ok());
    CHECK(with_key.transport->requests.at(0).authorization.reveal() == "Bearer " + k_secret);

    Harness with_token;
    with_token.transport->reply(200, envelope(key_json(k_id, "ci-bot", "")));
    REQUIRE(with_token.keys->self(core::Secret{k_secret}).ok());
    CHECK(with_token.transport->requests.at(0).authorization.reveal() == "Bearer " + k_secret);
    CHECK(with_token.transport->requests.at(0).url ==
          "https://portal.example.com/api/2.0/keys/@self");
}

TEST_CASE("a redirect is reported with its Location and not retried", "[api]") {
    Harness h;
    h.transport->fail(core::Errc::redirect,
                      "GET https://portal.example.com/api/2.0/keys: redirecting to Location "
                      "https://elsewhere.example.com/");
    const auto keys = h.keys->list();
    REQUIRE_FALSE(keys.ok());
    CHECK(keys.error().code == core::Errc::redirect);
    CHECK_THAT(keys.error().message, Catch::Contains("https://elsewhere.example.com/"));
    CHECK(h.transport->requests.size() == 1);
}

TEST_CASE("a 2xx create without an id or a well-formed key is a protocol error", "[api]") {
    Harness h;
    h.transport->reply(200, envelope(R"({"name":"ci-bot","key":")" + k_secret + R"("})", "POST"))
        .reply(200, envelope(R"({"id":")" + k_id + R"(","key":"sk-***9f3a"})", "POST"))
        .reply(200, "{\"response\":")
        .reply(201, R"({"id":")" + k_id + R"("})");
    for (int i = 0; i < 4; ++i) {
        const auto created = h.keys->create(create_request());
        REQUIRE_FALSE(created.ok());
        CHECK(created.error().code == core::Errc::protocol);
    }
    CHECK(h.transport->requests.size() == 4);
}

TEST_CASE("a key object without createOn or with a bad date is refused", "[api]") {
    Harness h;
    const std::string bad_date = R"({"id":")" + k_id + R"(","name":"x","permissions":[],)" +
                                 R"("createOn":"2026-07-01 15:04:05",)" + k_creator +
                                 R"(,"isActive":true})";
    h.transport->reply(200, envelope("[" + bad_date + "]"));
    const auto keys = h.keys->list();
    REQUIRE_FALSE(keys.ok());
    CHECK(keys.error().code == core::Errc::protocol);
    CHECK_THAT(keys.error().message, Catch::Contains("createOn"));
}

TEST_CASE("the key list is read in one pass with the same checks as the whole envelope", "[api]") {
    const std::string two =
        "[" + key_json("11111111-0000-0000-0000-000000000001", "a", "") + "," +
        key_json("11111111-0000-0000-0000-000000000002", "b", R"("permissions":["files:read"],)") +
        "]";
    // Members around the list, a nested array and object in a key: none is taken for a key.
    const std::string body = R"({"links":[{"href":"x"}],"response":)" + two +
                             R"(,"count":1,"status":0,"statusCode":200})";
    const auto streamed = api::detail::parse_key_list_envelope(body);
    const auto dom = api::detail::parse_envelope(body);
    REQUIRE(dom.ok());
    const auto whole = api::detail::parse_key_list(*dom);
    REQUIRE(streamed.ok());
    REQUIRE(whole.ok());
    REQUIRE(streamed->size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        CHECK((*streamed)[i].id == (*whole)[i].id);
        CHECK((*streamed)[i].name == (*whole)[i].name);
        CHECK((*streamed)[i].permissions.items == (*whole)[i].permissions.items);
        CHECK((*streamed)[i].created_by_name == (*whole)[i].created_by_name);
        CHECK((*streamed)[i].create_on == (*whole)[i].create_on);
    }

    const auto message = [](const std::string& text) {
        const auto result = api::detail::parse_key_list_envelope(text);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == core::Errc::protocol);
        return result.error().message;
    };
    CHECK_THAT(message(envelope("[1," + key_json(k_id, "a", "") + "]")),
               Catch::Contains("not a JSON object"));
    CHECK_THAT(message(envelope(R"([{"name":"x"}])")), Catch::Contains("has no 'id'"));
    CHECK_THAT(message(envelope(R"({"id":"x"})")), Catch::Contains("not an array"));
    CHECK_THAT(message(R"({"status":0})"), Catch::Contains("no 'response'"));
    CHECK_THAT(message(R"({"response":[],"status":1})"), Catch::Contains("non-zero 'status'"));
    CHECK_THAT(message(R"({"response":[)"), Catch::Contains("not valid JSON"));
    CHECK_THAT(message("[" + std::string(100, '[') + std::string(100, ']') + "]"),
               Catch::Contains("not valid JSON"));
    CHECK_THAT(message("[]"), Catch::Contains("not a JSON object"));
}

TEST_CASE("a list of 10000 keys is read, beyond the transport's 4 MiB answer cap", "[api]") {
    Harness h;
    std::string list = "[";
    for (int i = 0; i < 10000; ++i) {
        char id[40];
        std::snprintf(id, sizeof id, "11111111-0000-0000-0000-%012d", i);
        list += (i == 0 ? "" : ",") + key_json(id, "key " + std::to_string(i),
                                               R"("permissions":["files:read","rooms:read"],)");
    }
    list += "]";
    h.transport->reply(200, envelope(list));
    const auto keys = h.keys->list();
    REQUIRE(keys.ok());
    REQUIRE(keys->size() == 10000);
    CHECK(keys->back().name == "key 9999");
    REQUIRE(h.transport->requests.size() == 1);
    REQUIRE(h.transport->requests[0].max_response_bytes.has_value());
    CHECK(*h.transport->requests[0].max_response_bytes >
          api::TransportOptions{}.max_response_bytes);
}

TEST_CASE("error messages never contain a secret, even when the server echoes it", "[api]") {
    const std::string token = "session-token-0123456789abcdef";
    Harness h(token);
    const std::string echo = R"({"error":{"message":"bad key )" + k_secret + " from " + token +
                             R"("},"status":1,"statusCode":400})";
    h.transport->reply(400, echo)
        .reply(400, std::string(190, 'x') + token + " " + k_secret)
        .reply(200, envelope(R"({"id":")" + k_id + R"(","key":")" + k_secret + R"(x"})", "POST"));
    for (int i = 0; i < 3; ++i) {
        const auto created = h.keys->create(create_request());
        REQUIRE_FALSE(created.ok());
        CHECK(created.error().message.find(token) == std::string::npos);
        CHECK(created.error().message.find(token.substr(0, 12)) == std::string::npos);
        CHECK(created.error().message.find(k_secret.substr(0, 20)) == std::string::npos);
    }
}

TEST_CASE("the current user comes from people/@self", "[api]") {
    Harness h;
    h.transport->reply(200, envelope(R"({"id":"u-1","displayName":"Jane Doe","isOwner":true})"));
    const auto user = h.keys->current_user();
    REQUIRE(user.ok());
    CHECK(user->id == "u-1");
    CHECK(user->display_name == "Jane Doe");
    CHECK(user->is_admin);
    CHECK(h.transport->requests.at(0).url == "https://portal.example.com/api/2.0/people/@self");
}

TEST_CASE("the permission catalogue is read as a list of strings", "[api]") {
    Harness h;
    h.transport->reply(200, envelope(R"(["*","*:read","files:read"])"));
    const auto scopes = h.keys->permissions();
    REQUIRE(scopes.ok());
    CHECK(*scopes == std::vector<std::string>{"*", "*:read", "files:read"});
    CHECK(h.transport->requests.at(0).url == "https://portal.example.com/api/2.0/keys/permissions");
}

TEST_CASE("a refused portal URL or a malformed id sends nothing", "[api]") {
    api::HttpKeysApiOptions options;
    options.base_url = "http://portal.example.com";
    options.credential = core::Secret{"token-abcdef"};
    auto transport = std::make_shared<FakeTransport>();
    auto keys = api::make_http_keys_api(std::move(options), transport);
    const auto listed = keys->list();
    REQUIRE_FALSE(listed.ok());
    CHECK(listed.error().code == core::Errc::invalid_input);

    Harness h;
    const auto removed = h.keys->remove("../../people/@self");
    REQUIRE_FALSE(removed.ok());
    CHECK(removed.error().code == core::Errc::invalid_input);
    CHECK(transport->requests.empty());
    CHECK(h.transport->requests.empty());
}

TEST_CASE("a 429 on a create pauses the next create for the rest of Retry-After, not other calls",
          "[api]") {
    Harness h;
    h.transport->reply(429, "", {{"retry-after", "3"}})
        .reply(200, envelope(k_created, "POST"))
        .reply(200, envelope("[]"))
        .reply(200, envelope(k_created, "POST"));
    REQUIRE(h.keys->create(create_request()).ok());
    REQUIRE(h.sleeps.size() == 1);  // its own Retry-After, once
    REQUIRE(h.keys->list().ok());
    CHECK(h.sleeps.size() == 1);  // a list is not held by the create limit
    REQUIRE(h.keys->create(create_request()).ok());
    // The fake sleep takes no time, so the pause is still on for (almost) its 3 s.
    REQUIRE(h.sleeps.size() == 2);
    CHECK(h.sleeps[1] > 2s);
    CHECK(h.sleeps[1] <= 3s);
    CHECK(h.transport->requests.size() == 4);
}

TEST_CASE("past the deadline nothing is sent, and a wait that would pass it is not started",
          "[api]") {
    SECTION("deadline already passed") {
        Harness h("session-token-0123456789abcdef", [](api::HttpKeysApiOptions& options) {
            options.deadline = std::chrono::steady_clock::now() - 1s;
        });
        const auto created = h.keys->create(create_request());
        REQUIRE_FALSE(created.ok());
        CHECK(created.error().code == core::Errc::deadline);
        CHECK(h.transport->requests.empty());
    }
    SECTION("Retry-After longer than the time left") {
        Harness h("session-token-0123456789abcdef", [](api::HttpKeysApiOptions& options) {
            options.deadline = std::chrono::steady_clock::now() + 60s;
        });
        h.transport->reply(429, "", {{"retry-after", "600"}}).reply(200, envelope("[]"));
        const auto listed = h.keys->list();
        REQUIRE_FALSE(listed.ok());
        CHECK(listed.error().code == core::Errc::deadline);
        CHECK(listed.error().message.find("wait 600.0 s") != std::string::npos);
        CHECK(h.transport->requests.size() == 1);
        CHECK(h.sleeps.empty());
    }
    SECTION("a transfer's timeout is cut to the time left") {
        Harness h("session-token-0123456789abcdef", [](api::HttpKeysApiOptions& options) {
            options.deadline = std::chrono::steady_clock::now() + 5s;
        });
        h.transport->reply(200, envelope("[]"));
        REQUIRE(h.keys->list().ok());
        REQUIRE(h.transport->requests.at(0).timeout.has_value());
        CHECK(*h.transport->requests.at(0).timeout <= 5s);
        CHECK(*h.transport->requests.at(0).timeout > 4s);
    }
}
