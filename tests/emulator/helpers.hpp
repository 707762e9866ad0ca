#pragma once
/// Shared helpers for the emulator contract tests.

#include "emulator_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <regex>
#include <string>

namespace emulator_test {

using nlohmann::json;
using test_support::Emulator;
using test_support::HttpResult;

inline const std::string k_keys = "/api/2.0/keys";

/// "Bearer <owner session token>".
inline std::string owner_auth() {
    return "Bearer " + Emulator::owner_token();
}

/// "Bearer <secret>" for a create answer's `response`.
inline std::string key_auth(const json& created) {
    return "Bearer " + created.at("key").get<std::string>();
}

/// True for `yyyy-MM-ddTHH:mm:ss.fffffff` + `Z` or `±hh:mm`.
inline bool is_api_date(const std::string& text) {
    static const std::regex k_format(
        R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}(Z|[+-]\d{2}:\d{2})$)");
    return std::regex_match(text, k_format);
}

/// The 7 fractional digits of an API date.
inline std::string fraction_of(const std::string& date) {
    return date.substr(20, 7);
}

/// An API date as 100-ns ticks since the epoch (offset applied).
inline std::int64_t to_ticks(const std::string& date) {
    const int year = std::stoi(date.substr(0, 4));
    const int month = std::stoi(date.substr(5, 2));
    const int day = std::stoi(date.substr(8, 2));
    const int y = year - (month <= 2 ? 1 : 0);
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t mp = month > 2 ? month - 3 : month + 9;
    const std::int64_t doy = (153 * mp + 2) / 5 + day - 1;
    const std::int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    std::int64_t seconds = days * 86400 + std::stoi(date.substr(11, 2)) * 3600 +
                           std::stoi(date.substr(14, 2)) * 60 + std::stoi(date.substr(17, 2));
    const std::string suffix = date.substr(27);
    if (suffix != "Z") {
        const int minutes = std::stoi(suffix.substr(1, 2)) * 60 + std::stoi(suffix.substr(4, 2));
        seconds -= (suffix[0] == '-' ? -minutes : minutes) * 60;
    }
    return seconds * 10'000'000 + std::stoll(fraction_of(date));
}

/// The owner's user id, from the state dump.
inline std::string owner_id(const Emulator& emulator) {
    const json state = emulator.state();
    for (const auto& user : state.at("users")) {
        if (user.at("role") == "Owner") {
            return user.at("id").get<std::string>();
        }
    }
    return {};
}

/// The user id behind a session token, via people/@self.
inline std::string user_id(const Emulator& emulator, const std::string& token) {
    return emulator.get("/api/2.0/people/@self", "Bearer " + token)
        .json()
        .at("response")
        .at("id")
        .get<std::string>();
}

/// GET /api/2.0/keys as `auth`; the `response` array.
inline json list_keys(const Emulator& emulator, const std::string& auth) {
    const HttpResult result = emulator.get(k_keys, auth);
    REQUIRE(result.status == 200);
    return result.json().at("response");
}

/// The listed entry with this id, or null.
inline json listed(const Emulator& emulator, const std::string& id,
                   const std::string& auth = owner_auth()) {
    for (const auto& entry : list_keys(emulator, auth)) {
        if (entry.at("id") == id) {
            return entry;
        }
    }
    return nullptr;
}

/// The `error` object of an ErrorApiResponse after checking its frame.
inline json error_of(const HttpResult& result, int status) {
    REQUIRE(result.status == status);
    const json body = result.json();
    CHECK(body.at("status") == 1);
    CHECK(body.at("statusCode") == status);
    return body.at("error");
}

/// The `errors` object of a validation answer after checking its frame.
inline json validation_errors(const HttpResult& result) {
    REQUIRE(result.status == 400);
    const json body = result.json();
    CHECK(body.at("status") == 1);
    CHECK(body.at("statusCode") == 400);
    CHECK(body.at("response").at("status") == 400);
    return body.at("response").at("errors");
}

}  // namespace emulator_test
