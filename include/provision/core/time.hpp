#pragma once
/// Time points are UTC. The planner never reads the clock; `now` is passed in.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace provision::core {

using Clock = std::chrono::system_clock;
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

/// Parses ISO-8601 "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)" (up to 9 fraction digits)
/// into UTC. Returns nullopt for anything else, and for a time that is not in the years
/// 0000-9999 once in UTC (format_iso8601 could not write it back). A missing offset is
/// rejected: DocSpace always sends one, and guessing a zone would shift expiries by hours.
std::optional<Timestamp> parse_iso8601(std::string_view text);

/// "YYYY-MM-DDTHH:MM:SSZ" (seconds precision, UTC); used in state files and JSON output.
std::string format_iso8601(Timestamp t);

/// Current time, rounded to microseconds.
Timestamp now_utc();

/// Parses a duration such as "30d", "12h", "90m", "45s", "2w" (positive integer + unit).
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

/// "29d 4h", "3h 12m", "45s", "expired 2d ago" style text for tables.
std::string format_remaining(std::chrono::seconds remaining);

/// How long ago, in its largest whole unit: "3d ago", "5h ago", "12m ago", "just now" (under a
/// minute, or in the future: clocks of client and portal differ a little).
std::string format_ago(std::chrono::seconds elapsed);

}  // namespace provision::core
