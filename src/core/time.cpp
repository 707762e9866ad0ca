#include "provision/core/time.hpp"

#include <array>
#include <cstdio>

namespace provision::core {

namespace {

bool read_digits(std::string_view text, std::size_t& pos, std::size_t count, int& out) {
    if (pos + count > text.size()) {
        return false;
    }
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const char c = text[pos + i];
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    pos += count;
    out = value;
    return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
    if (pos < text.size() && text[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

}  // namespace

std::optional<Timestamp> parse_iso8601(std::string_view text) {
    using namespace std::chrono;
    std::size_t pos = 0;
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!read_digits(text, pos, 4, year) || !expect(text, pos, '-') ||
        !read_digits(text, pos, 2, month) || !expect(text, pos, '-') ||
        !read_digits(text, pos, 2, day) || !expect(text, pos, 'T') ||
        !read_digits(text, pos, 2, hour) || !expect(text, pos, ':') ||
        !read_digits(text, pos, 2, minute) || !expect(text, pos, ':') ||
        !read_digits(text, pos, 2, second)) {
        return std::nullopt;
    }
    const year_month_day ymd{std::chrono::year{year},
                             std::chrono::month{static_cast<unsigned>(month)},
                             std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) {
        return std::nullopt;
    }
    microseconds fraction{0};
    if (expect(text, pos, '.')) {
        std::size_t digits = 0;
        long long micros = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            if (digits < 6) {
                micros = micros * 10 + (text[pos] - '0');
            }
            ++digits;
            ++pos;
        }
        if (digits == 0 || digits > 9) {
            return std::nullopt;
        }
        for (std::size_t i = digits; i < 6; ++i) {
            micros *= 10;
        }
        fraction = microseconds{micros};
    }
    minutes offset{0};
    if (expect(text, pos, 'Z')) {
        // UTC
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        const bool negative = text[pos] == '-';
        ++pos;
        int oh = 0;
        int om = 0;
        if (!read_digits(text, pos, 2, oh) || !expect(text, pos, ':') ||
            !read_digits(text, pos, 2, om) || oh > 14 || om > 59) {
            return std::nullopt;
        }
        offset = minutes{oh * 60 + om};
        if (negative) {
            offset = -offset;
        }
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) {
        return std::nullopt;
    }
    const sys_days days{ymd};
    const auto local = days + hours{hour} + minutes{minute} + seconds{second} + fraction;
    const Timestamp utc{local - offset};
    // The offset (or a leap second) can carry the time out of the years 0000-9999, which
    // format_iso8601 cannot write as four digits: a state saved with it could never load again.
    const std::chrono::year utc_year = year_month_day{floor<std::chrono::days>(utc)}.year();
    if (utc_year < std::chrono::year{0} || utc_year > std::chrono::year{9999}) {
        return std::nullopt;
    }
    return utc;
}

std::string format_iso8601(Timestamp t) {
    using namespace std::chrono;
    const auto secs = floor<seconds>(t);
    const auto days = floor<std::chrono::days>(secs);
    const year_month_day ymd{days};
    const hh_mm_ss hms{secs - days};
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02d:%02d:%02dZ",
                  static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
    return buf.data();
}

Timestamp now_utc() {
    return std::chrono::floor<std::chrono::microseconds>(Clock::now());
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
    if (text.size() < 2) {
        return std::nullopt;
    }
    long long value = 0;
    std::size_t i = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        value = value * 10 + (text[i] - '0');
        if (value > 100'000'000) {
            return std::nullopt;
        }
    }
    if (i == 0 || i + 1 != text.size() || value <= 0) {
        return std::nullopt;
    }
    switch (text[i]) {
    case 's':
        return std::chrono::seconds{value};
    case 'm':
        return std::chrono::seconds{value * 60};
    case 'h':
        return std::chrono::seconds{value * 3600};
    case 'd':
        return std::chrono::seconds{value * 86400};
    case 'w':
        return std::chrono::seconds{value * 7 * 86400};
    default:
        return std::nullopt;
    }
}

std::string format_remaining(std::chrono::seconds remaining) {
    const bool past = remaining.count() < 0;
    long long s = past ? -remaining.count() : remaining.count();
    const long long d = s / 86400;
    const long long h = (s % 86400) / 3600;
    const long long m = (s % 3600) / 60;
    std::string text;
    if (d > 0) {
        text = std::to_string(d) + "d " + std::to_string(h) + "h";
    } else if (h > 0) {
        text = std::to_string(h) + "h " + std::to_string(m) + "m";
    } else if (m > 0) {
        text = std::to_string(m) + "m";
    } else {
        text = std::to_string(s) + "s";
    }
    return past ? "expired " + text + " ago" : text;
}

std::string format_ago(std::chrono::seconds elapsed) {
    const long long s = elapsed.count();
    if (s >= 86400) {
        return std::to_string(s / 86400) + "d ago";
    }
    if (s >= 3600) {
        return std::to_string(s / 3600) + "h ago";
    }
    if (s >= 60) {
        return std::to_string(s / 60) + "m ago";
    }
    return "just now";
}

}  // namespace provision::core
