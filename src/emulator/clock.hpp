#pragma once
/// Time for the emulator: instants are .NET-style ticks (100 ns) since the Unix epoch, rendered
/// in the DocSpace `ApiDateTime` wire format or as plain ISO-8601 UTC for the test controls.

#include <cstdint>
#include <optional>
#include <string>

namespace emulator {

/// 100-nanosecond ticks since 1970-01-01T00:00:00Z.
using Ticks = std::int64_t;

inline constexpr Ticks k_ticks_per_second = 10'000'000;
inline constexpr Ticks k_ticks_per_day = 86'400 * k_ticks_per_second;

/// The current wall-clock time.
Ticks now_ticks();

/// Rounds to whole seconds, half up, as a MySQL `datetime` column stores a value.
Ticks round_to_seconds(Ticks value);

/// `yyyy-MM-ddTHH:mm:ss.fffffff` in the zone `offset_minutes` east of UTC, then `Z` for a zero
/// offset or `±hh:mm` otherwise.
std::string format_api_date(Ticks value, int offset_minutes);

/// ISO-8601 UTC with 7 fractional digits and `Z`, for the test-control state dump.
std::string format_utc(Ticks value);

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)`; nullopt when malformed.
std::optional<Ticks> parse_iso(const std::string& text);

/// Parses `±HH:MM` (or `Z`) into minutes east of UTC; nullopt when malformed.
std::optional<int> parse_utc_offset(const std::string& text);

/// Renders minutes east of UTC as `±HH:MM`.
std::string format_utc_offset(int offset_minutes);

}  // namespace emulator
