// The state file parser on arbitrary bytes. Beyond "no crash", it checks what the state module
// promises: a failure names the file and holds no secret; a state that loads holds no secret,
// so serialising it cannot throw; and what it serialises to loads back to the same records
// (timestamps at the file's precision, whole seconds) and re-serialises to the same bytes, so
// a run that saves a state it loaded never corrupts it or makes a spurious diff.

#include "fuzz_check.hpp"

#include "provision/state/state.hpp"

#include <chrono>

using namespace provision;

namespace {

const std::string k_file = "fuzz.state.json";

std::optional<core::Timestamp> seconds(const std::optional<core::Timestamp>& t) {
    if (!t) {
        return std::nullopt;
    }
    return std::chrono::floor<std::chrono::seconds>(*t);
}

void check_same_key(const state::ManagedKey& a, const state::ManagedKey& b) {
    FUZZ_CHECK(a.entry == b.entry);
    FUZZ_CHECK(a.id == b.id);
    FUZZ_CHECK(a.name == b.name);
    FUZZ_CHECK(a.postfix == b.postfix);
    FUZZ_CHECK(a.permissions == b.permissions);
    FUZZ_CHECK(a.expires_in_days == b.expires_in_days);
    FUZZ_CHECK(seconds(a.expires_at) == seconds(b.expires_at));
    FUZZ_CHECK(seconds(a.created_at) == seconds(b.created_at));
    FUZZ_CHECK(a.fingerprint == b.fingerprint);
}

void check_same_retiring(const state::RetiringKey& a, const state::RetiringKey& b) {
    FUZZ_CHECK(a.entry == b.entry);
    FUZZ_CHECK(a.id == b.id);
    FUZZ_CHECK(a.postfix == b.postfix);
    FUZZ_CHECK(seconds(a.expires_at) == seconds(b.expires_at));
    FUZZ_CHECK(seconds(a.retire_after) == seconds(b.retire_after));
    FUZZ_CHECK(a.reason == b.reason);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto parsed = state::parse_state(fuzz::as_text(data, size), k_file);
    if (!parsed) {
        FUZZ_CHECK(parsed.error().code == core::Errc::invalid_input);
        FUZZ_CHECK(parsed.error().message.find(k_file) != std::string::npos);
        FUZZ_CHECK(fuzz::secret_free(parsed.error().message));
        return 0;
    }
    for (const auto& key : parsed->keys) {
        fuzz::check_scopes(key.permissions);
    }

    const std::string text = state::serialize_state(*parsed);
    const auto again = state::parse_state(text, k_file);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(state::serialize_state(*again) == text);
    FUZZ_CHECK(again->portal_url == parsed->portal_url);
    FUZZ_CHECK(again->owner_id == parsed->owner_id);
    FUZZ_CHECK(again->keys.size() == parsed->keys.size());
    for (std::size_t i = 0; i < parsed->keys.size(); ++i) {
        check_same_key(parsed->keys[i], again->keys[i]);
    }
    FUZZ_CHECK(again->retiring.size() == parsed->retiring.size());
    for (std::size_t i = 0; i < parsed->retiring.size(); ++i) {
        check_same_retiring(parsed->retiring[i], again->retiring[i]);
    }
    return 0;
}
