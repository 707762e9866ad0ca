// Retry-After (RFC 9110 §10.2.3): either delta-seconds or an IMF-fixdate such as
// "Sun, 06 Nov 1994 08:49:37 GMT". Anything else is ignored rather than guessed, so a
// garbage header falls back to the caller's own backoff. DocSpace sends integer seconds.
//
// The date is read by libcurl's curl_getdate(), which is lenient: it takes the obsolete RFC 850
// and asctime forms, other zones than GMT, a weekday that does not match the date, and
// out-of-range fields that it rolls over. A date is therefore accepted only when printing the
// time curl read as an IMF-fixdate gives back the header's text exactly: that one comparison
// checks the form, the zone, every field's range and the weekday. What this reads differently
// from the hand-written parser it replaced: a leap second (":60") and years before 1583, which
// curl does not read as written, are now ignored instead of meaning "retry now".

#include "provision/api/http_keys_api.hpp"

#include "api/text.hpp"

#include <curl/curl.h>
#include <fmt/chrono.h>

#include <cctype>
#include <ctime>
#include <string>

namespace provision::api {

namespace {

constexpr long long k_max_seconds = 1'000'000'000;  // callers clamp far below this anyway

constexpr std::size_t k_imf_fixdate_size = 29;  // "Sun, 06 Nov 1994 08:49:37 GMT"

std::optional<core::Timestamp> parse_imf_fixdate(std::string_view text) {
    // The fixed width also keeps the year to four digits, well inside what gmtime can print.
    if (text.size() != k_imf_fixdate_size) {
        return std::nullopt;
    }
    const std::string value(text);
    const std::time_t when = curl_getdate(value.c_str(), nullptr);
    // Printed from a struct tm, not a time_point: fmt would convert the latter to
    // nanoseconds, which overflow past the year 2262. curl's error value, -1, prints as
    // 1969-12-31T23:59:59Z, a text no failed input matches.
    std::tm fields{};
    if (::gmtime_r(&when, &fields) == nullptr ||
        fmt::format("{:%a, %d %b %Y %H:%M:%S} GMT", fields) != text) {
        return std::nullopt;
    }
    return core::Timestamp{std::chrono::seconds{when}};
}

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, core::Timestamp now) {
    const std::string_view text = detail::trim(value);
    if (text.empty()) {
        return std::nullopt;
    }
    if (std::isdigit(static_cast<unsigned char>(text.front())) != 0) {
        long long seconds = 0;
        for (char c : text) {
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
            seconds = std::min(k_max_seconds, seconds * 10 + (c - '0'));
        }
        return std::chrono::seconds{seconds};
    }
    const auto date = parse_imf_fixdate(text);
    if (!date) {
        return std::nullopt;
    }
    if (*date <= now) {
        return std::chrono::seconds{0};
    }
    return std::chrono::ceil<std::chrono::seconds>(*date - now);
}

}  // namespace provision::api
