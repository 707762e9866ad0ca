#pragma once
/// Shared by the fuzz harnesses: FUZZ_CHECK, an invariant check that aborts (so libFuzzer saves
/// the input and a replay test fails), and the checks several parsers share. A failure prints
/// the broken condition as written in the source, never a value: inputs may hold secrets.

#include "provision/core/scopes.hpp"
#include "provision/core/secret.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(condition)                                                                      \
    ((condition) ? static_cast<void>(0)                                                            \
                 : ::provision::fuzz::invariant_broken(#condition, __FILE__, __LINE__))

namespace provision::fuzz {

[[noreturn]] inline void invariant_broken(const char* condition, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, condition);
    std::abort();
}

/// The fuzzer's bytes as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// True when text holds nothing shaped like an API key secret (F.20: no secret in any error
/// message, whatever the input file held).
inline bool secret_free(std::string_view text) {
    return core::redact_secrets(text) == text;
}

/// Scopes as every parser must leave them: unrestricted with no items, or a sorted set.
inline void check_scopes(const core::Scopes& scopes) {
    FUZZ_CHECK(scopes.unrestricted == scopes.items.empty());
    FUZZ_CHECK(std::is_sorted(scopes.items.begin(), scopes.items.end()));
    FUZZ_CHECK(std::adjacent_find(scopes.items.begin(), scopes.items.end()) == scopes.items.end());
}

}  // namespace provision::fuzz
