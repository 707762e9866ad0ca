// Contract Appendix B, "true of every version": a request without Content-Length and without
// chunked encoding has an empty body, the asc_auth_key cookie carries a session token, and
// `Bearer ` is cut as exactly 7 characters.
#include "helpers.hpp"
#include "raw_http.hpp"

#include <cstdio>

using namespace emulator_test;

namespace {

/// A request line and headers with no Content-Length and no Transfer-Encoding, then
/// `Connection: close` so the server ends the exchange after answering.
std::string without_length(const std::string& method, const std::string& path,
                           const std::string& headers = "") {
    return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
           "Connection: close\r\n\r\n";
}

const char* const k_profiles[] = {"3.7.2", "latest"};

}  // namespace

TEST_CASE("a POST without Content-Length or chunked encoding is an empty body: 401 without "
          "credentials, at once",
          "[fidelity][body]") {
    for (const char* profile : k_profiles) {
        Emulator emulator({"--server-behavior", profile});
        const RawExchange answer = raw_exchange(emulator.port(), without_length("POST", k_keys));
        CHECK(answer.status() == 401);
        CHECK(answer.closed);
        CHECK(answer.elapsed < std::chrono::seconds(2));
        CHECK(emulator.state().at("keys").empty());
    }
}

TEST_CASE("a POST or PUT without Content-Length is 415 without a JSON content type, 401 "
          "without credentials",
          "[fidelity][body]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}});
    const std::string auth = "Authorization: " + owner_auth() + "\r\n";
    const RawExchange create = raw_exchange(emulator.port(), without_length("POST", k_keys, auth));
    CHECK(create.status() == 415);
    CHECK(create.last_body().empty());
    const RawExchange update =
        raw_exchange(emulator.port(),
                     without_length("PUT", k_keys + "/" + key.at("id").get<std::string>(), auth));
    CHECK(update.status() == 415);
    const RawExchange anonymous = raw_exchange(
        emulator.port(), without_length("PUT", k_keys + "/" + key.at("id").get<std::string>()));
    CHECK(anonymous.status() == 401);
    CHECK(emulator.state().at("keys").size() == 1);
}

TEST_CASE("a POST without Content-Length but with a JSON content type is the empty-body 400",
          "[fidelity][body]") {
    Emulator emulator;
    const RawExchange answer =
        raw_exchange(emulator.port(), without_length("POST", k_keys,
                                                     "Authorization: " + owner_auth() +
                                                         "\r\nContent-Type: application/json\r\n"));
    REQUIRE(answer.status() == 400);
    const json errors = json::parse(answer.last_body()).at("response").at("errors");
    CHECK(errors.at("") == json::array({"A non-empty request body is required."}));
}

TEST_CASE("curl -X POST on /__emulator/reset answers the documented {} and resets",
          "[fidelity][body][controls]") {
    Emulator emulator;
    emulator.create_key(owner_auth(), {{"name", "gone after reset"}});
    const RawExchange answer =
        raw_exchange(emulator.port(), without_length("POST", "/__emulator/reset"));
    CHECK(answer.status() == 200);
    CHECK(json::parse(answer.last_body()) == json::object());
    CHECK(answer.elapsed < std::chrono::seconds(2));
    CHECK(emulator.state().at("keys").empty());
}

TEST_CASE("after a body-less POST the same connection carries the next request",
          "[fidelity][body]") {
    Emulator emulator;
    const std::string first = "POST " + k_keys + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    const RawExchange answer = raw_exchange(
        emulator.port(),
        {first, without_length("GET", k_keys, "Authorization: " + owner_auth() + "\r\n")});
    CHECK(answer.status(0) == 401);
    CHECK(answer.status(1) == 200);
}

TEST_CASE("a chunked POST still has its body read", "[fidelity][body]") {
    Emulator emulator;
    const std::string body = R"({"name":"chunked"})";
    char size[16];
    std::snprintf(size, sizeof size, "%zx", body.size());
    const std::string request = "POST " + k_keys +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + owner_auth() +
                                "\r\nContent-Type: application/json\r\nTransfer-Encoding: "
                                "chunked\r\nConnection: close\r\n\r\n" +
                                size + "\r\n" + body + "\r\n0\r\n\r\n";
    const RawExchange answer = raw_exchange(emulator.port(), request);
    REQUIRE(answer.status() == 200);
    CHECK(emulator.state().at("keys").at(0).at("name") == "chunked");
}

TEST_CASE("the asc_auth_key cookie carries a session token when there is no Authorization "
          "header",
          "[fidelity][auth]") {
    Emulator emulator;
    const auto with_cookie = [&](const std::string& cookie, const std::string& auth = "") {
        std::map<std::string, std::string> headers{{"Cookie", cookie}};
        if (!auth.empty()) {
            headers["Authorization"] = auth;
        }
        return emulator.request_with("GET", "/api/2.0/people/@self", headers);
    };
    const HttpResult alone = with_cookie("asc_auth_key=" + Emulator::owner_token());
    REQUIRE(alone.status == 200);
    CHECK(alone.json().at("response").at("id") == owner_id(emulator));
    CHECK(with_cookie("lang=en; asc_auth_key=" + Emulator::owner_token() + "; x=1").status == 200);
    CHECK(with_cookie("asc_auth_key=not-a-token").status == 401);
    CHECK(with_cookie("other_cookie=" + Emulator::owner_token()).status == 401);
    // When both are sent, the Authorization header decides who is calling.
    const std::string user = emulator.create_user("u@example.com", "User");
    const HttpResult both = with_cookie("asc_auth_key=" + Emulator::owner_token(), user);
    REQUIRE(both.status == 200);
    CHECK(both.json().at("response").at("id") == user_id(emulator, user));
}

TEST_CASE("Bearer is cut as exactly 7 characters: a second space leaves a credential that "
          "matches nothing",
          "[fidelity][auth]") {
    Emulator emulator;
    const json key = emulator.create_key(owner_auth(), {{"name", "k"}});
    const std::string secret = key.at("key");
    CHECK(emulator.get(k_keys, "Bearer " + secret).status == 200);
    CHECK(emulator.get(k_keys, "Bearer  " + secret).status == 401);
    CHECK(emulator.get(k_keys, "Bearer " + Emulator::owner_token()).status == 200);
    CHECK(emulator.get(k_keys, "Bearer  " + Emulator::owner_token()).status == 401);
    CHECK(emulator.get(k_keys, Emulator::owner_token()).status == 200);
}
