#include "api_test_support.hpp"

#include <catch2/catch.hpp>

using namespace provision;
using namespace std::chrono_literals;

TEST_CASE("portal URLs must be https, except http to a loopback address", "[api]") {
    for (const char* url : {"https://portal.example.com", "https://portal.example.com/",
                            "https://portal.example.com:8443/docspace", "http://127.0.0.1:8080",
                            "http://127.10.0.3", "http://localhost:9000/", "HTTP://LOCALHOST",
                            "http://[::1]:8080", "https://[2001:db8::1]"}) {
        INFO(url);
        CHECK(api::check_portal_url(url).ok());
    }
    for (const char* url :
         {"http://portal.example.com", "http://10.0.0.1", "http://127.0.0.1.nip.io",
          "http://128.0.0.1", "http://localhost.example.com", "ftp://127.0.0.1",
          "portal.example.com", "https://", "https://host:0", "https://host:99999", "http://[::2]",
          "http://0127.0.0.1"}) {
        INFO(url);
        const auto status = api::check_portal_url(url);
        REQUIRE_FALSE(status.ok());
        CHECK(status.error().code == core::Errc::invalid_input);
    }
}

TEST_CASE("portal URLs with user info, a query or a fragment are refused without echoing "
          "the password",
          "[api]") {
    const auto with_password = api::check_portal_url("https://admin:hunter2@portal.example.com");
    REQUIRE_FALSE(with_password.ok());
    CHECK(with_password.error().message.find("hunter2") == std::string::npos);
    CHECK_THAT(with_password.error().message, Catch::Contains("portal.example.com"));
    CHECK_FALSE(api::check_portal_url("https://portal.example.com/?a=b").ok());
    CHECK_FALSE(api::check_portal_url("https://portal.example.com/#top").ok());
}

TEST_CASE("Retry-After accepts delta-seconds", "[api]") {
    const auto now = api_test::test_now();
    CHECK(api::parse_retry_after("42", now) == std::optional{42s});
    CHECK(api::parse_retry_after(" 0 ", now) == std::optional{0s});
    CHECK(api::parse_retry_after("99999999999999999999999", now).has_value());
}

TEST_CASE("Retry-After accepts an IMF-fixdate relative to now, a past date meaning now", "[api]") {
    const auto now = api_test::test_now();  // Wed, 01 Jul 2026 12:00:00 GMT
    CHECK(api::parse_retry_after("Wed, 01 Jul 2026 12:01:30 GMT", now) == std::optional{90s});
    CHECK(api::parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now) == std::optional{0s});
    // The last date an IMF-fixdate can write, far past what nanosecond clocks hold.
    const auto last = api::parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now);
    REQUIRE(last.has_value());
    CHECK(*last > std::chrono::hours{24 * 365 * 7000});
}

TEST_CASE("Retry-After garbage is ignored", "[api]") {
    const auto now = api_test::test_now();
    for (const char* value : {"", "soon", "-5", "1.5", "12s", "Thu, 01 Jul 2026 12:01:30 GMT",
                              "Wed, 32 Jul 2026 12:01:30 GMT", "Wed, 01 Jul 2026 25:01:30 GMT",
                              "Wed, 01 Jly 2026 12:01:30 GMT", "Wed, 01 Jul 2026 12:01:30 UTC",
                              "Wednesday, 01-Jul-26 12:01:30 GMT"}) {
        INFO(value);
        CHECK_FALSE(api::parse_retry_after(value, now).has_value());
    }
}
