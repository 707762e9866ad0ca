// parse_retry_after on arbitrary header values, at three values of "now" (the epoch, the unit
// tests' 2026 and 2100). Beyond "no crash": a wait is never negative; delta-seconds read as
// written (clamped at 10^9); surrounding blanks do not matter; and an HTTP date is a point in
// time: waiting what it says from one "now" leaves nothing to wait, and a later "now" never
// waits longer.

#include "fuzz_check.hpp"

#include "provision/api/http_keys_api.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <string>

using namespace provision;

namespace {

core::Timestamp at(int year) {
    return core::Timestamp{std::chrono::sys_days{std::chrono::year{year} / 1 / 1}};
}

/// True for delta-seconds: digits only, once surrounding white space is set aside.
bool is_delta(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\n\v\f\r");
    if (first == std::string_view::npos) {
        return false;
    }
    text = text.substr(first, text.find_last_not_of(" \t\n\v\f\r") + 1 - first);
    return text.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view value = fuzz::as_text(data, size);
    const std::array<core::Timestamp, 3> nows = {at(1970), at(2026) + std::chrono::hours{12},
                                                 at(2100)};
    const bool valid = api::parse_retry_after(value, nows[0]).has_value();
    std::optional<std::chrono::seconds> previous;
    for (const core::Timestamp now : nows) {
        const auto wait = api::parse_retry_after(value, now);
        FUZZ_CHECK(wait.has_value() == valid);
        FUZZ_CHECK(wait == api::parse_retry_after(" \t" + std::string(value) + "\t ", now));
        if (!wait) {
            continue;
        }
        FUZZ_CHECK(wait->count() >= 0);
        if (is_delta(value)) {
            FUZZ_CHECK(wait->count() <= 1'000'000'000);
            FUZZ_CHECK(value.size() > 10 ||
                       wait->count() == std::min(std::stoll(std::string(value)), 1'000'000'000LL));
            continue;
        }
        // An HTTP date: a later "now" never waits longer, and after the wait it has passed.
        FUZZ_CHECK(!previous || *wait <= *previous);
        FUZZ_CHECK(api::parse_retry_after(value, now + *wait) == std::chrono::seconds{0});
        previous = wait;
    }
    return 0;
}
