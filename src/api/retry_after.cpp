// Retry-After (RFC 9110 §10.2.3): either delta-seconds or an IMF-fixdate such as
// "Sun, 06 Nov 1994 08:49:37 GMT". Anything else is ignored rather than guessed, so a
// garbage header falls back to the caller's own backoff. The obsolete RFC 850 and asctime
// date forms are not accepted; DocSpace sends integer seconds.

#include "provision/api/http_keys_api.hpp"

#include "api/text.hpp"

#include <array>
#include <cctype>

namespace provision::api {

namespace {

constexpr long long k_max_seconds = 1'000'000'000; // callers clamp far below this anyway

std::optional<int> digits(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    int value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    return value;
}

template <std::size_t N>
std::optional<unsigned> index_of(std::string_view name,
                                 const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i) {
        if (names[i] == name) {
            return static_cast<unsigned>(i);
        }
    }
    return std::nullopt;
}

std::optional<core::Timestamp> parse_imf_fixdate(std::string_view text) {
    // "Sun, 06 Nov 1994 08:49:37 GMT": fixed width, 29 characters.
    static constexpr std::array<std::string_view, 7> k_days = {"Sun", "Mon", "Tue", "Wed",
                                                               "Thu", "Fri", "Sat"};
    static constexpr std::array<std::string_view, 12> k_months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
        text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
        return std::nullopt;
    }
    const auto weekday = index_of(text.substr(0, 3), k_days);
    const auto month = index_of(text.substr(8, 3), k_months);
    const auto day = digits(text.substr(5, 2));
    const auto year = digits(text.substr(12, 4));
    const auto hour = digits(text.substr(17, 2));
    const auto minute = digits(text.substr(20, 2));
    const auto second = digits(text.substr(23, 2));
    if (!weekday || !month || !day || !year || !hour || !minute || !second || *hour > 23 ||
        *minute > 59 || *second > 60) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{*month + 1},
                                           std::chrono::day{static_cast<unsigned>(*day)}};
    if (!date.ok()) {
        return std::nullopt;
    }
    const std::chrono::sys_days days{date};
    if (std::chrono::weekday{days}.c_encoding() != *weekday) {
        return std::nullopt;
    }
    return core::Timestamp{days} + std::chrono::hours{*hour} + std::chrono::minutes{*minute} +
           std::chrono::seconds{*second};
}

} // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, core::Timestamp now) {
    const std::string_view text = detail::trim(value);
    if (text.empty()) {
        return std::nullopt;
    }
    if (std::isdigit(static_cast<unsigned char>(text.front()))) {
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

} // namespace provision::api
