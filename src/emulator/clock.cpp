#include "clock.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace emulator {
namespace {

/// Days since the epoch to a civil date (Howard Hinnant's algorithm).
void civil_from_days(std::int64_t days, int& year, int& month, int& day) {
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const std::int64_t doe = days - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
}

std::int64_t days_from_civil(int year, int month, int day) {
    const int y = year - (month <= 2 ? 1 : 0);
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t mp = month > 2 ? month - 3 : month + 9;
    const std::int64_t doy = (153 * mp + 2) / 5 + day - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        --q;
    }
    return q;
}

std::string format_local(Ticks value) {
    const std::int64_t days = floor_div(value, k_ticks_per_day);
    const Ticks in_day = value - days * k_ticks_per_day;
    int year = 0;
    int month = 0;
    int day = 0;
    civil_from_days(days, year, month, day);
    const std::int64_t seconds = in_day / k_ticks_per_second;
    const std::int64_t fraction = in_day % k_ticks_per_second;
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02lld:%02lld:%02lld.%07lld", year, month,
                  day, static_cast<long long>(seconds / 3600),
                  static_cast<long long>((seconds / 60) % 60), static_cast<long long>(seconds % 60),
                  static_cast<long long>(fraction));
    return buffer;
}

bool read_digits(const std::string& text, std::size_t& pos, std::size_t count, int& out) {
    out = 0;
    for (std::size_t i = 0; i < count; ++i, ++pos) {
        if (pos >= text.size() || text[pos] < '0' || text[pos] > '9') {
            return false;
        }
        out = out * 10 + (text[pos] - '0');
    }
    return true;
}

}  // namespace

Ticks now_ticks() {
    const auto since = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(since).count() / 100;
}

Ticks round_to_seconds(Ticks value) {
    return floor_div(value + k_ticks_per_second / 2, k_ticks_per_second) * k_ticks_per_second;
}

std::string format_utc_offset(int offset_minutes) {
    const int magnitude = std::abs(offset_minutes);
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+',
                  magnitude / 60, magnitude % 60);
    return buffer;
}

std::string format_api_date(Ticks value, int offset_minutes) {
    const std::string local = format_local(value + offset_minutes * 60 * k_ticks_per_second);
    return local + (offset_minutes == 0 ? std::string("Z") : format_utc_offset(offset_minutes));
}

std::string format_utc(Ticks value) {
    return format_local(value) + "Z";
}

std::optional<int> parse_utc_offset(const std::string& text) {
    if (text == "Z" || text == "z") {
        return 0;
    }
    if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':') {
        return std::nullopt;
    }
    std::size_t pos = 1;
    int hours = 0;
    int minutes = 0;
    if (!read_digits(text, pos, 2, hours) || text[pos++] != ':' ||
        !read_digits(text, pos, 2, minutes) || hours > 14 || minutes > 59) {
        return std::nullopt;
    }
    const int total = hours * 60 + minutes;
    return text[0] == '-' ? -total : total;
}

std::optional<Ticks> parse_iso(const std::string& text) {
    std::size_t pos = 0;
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!read_digits(text, pos, 4, year) || pos >= text.size() || text[pos++] != '-' ||
        !read_digits(text, pos, 2, month) || pos >= text.size() || text[pos++] != '-' ||
        !read_digits(text, pos, 2, day) || pos >= text.size() ||
        (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
        return std::nullopt;
    }
    ++pos;
    if (!read_digits(text, pos, 2, hour) || pos >= text.size() || text[pos++] != ':' ||
        !read_digits(text, pos, 2, minute) || pos >= text.size() || text[pos++] != ':' ||
        !read_digits(text, pos, 2, second)) {
        return std::nullopt;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
        return std::nullopt;
    }
    Ticks fraction = 0;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        Ticks scale = k_ticks_per_second / 10;
        const std::size_t first = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            fraction += (text[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == first) {
            return std::nullopt;
        }
    }
    const auto offset = parse_utc_offset(text.substr(pos));
    if (!offset) {
        return std::nullopt;
    }
    const std::int64_t days = days_from_civil(year, month, day);
    const std::int64_t seconds =
        days * 86400 + hour * 3600 + minute * 60 + second - static_cast<std::int64_t>(*offset) * 60;
    return seconds * k_ticks_per_second + fraction;
}

}  // namespace emulator
