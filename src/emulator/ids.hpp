#pragma once
/// Random identifiers: GUIDs, API key secrets, session tokens, trace ids.

#include <cstddef>
#include <string>

namespace emulator {

/// `count` cryptographically random bytes as lowercase hex (2 × count characters).
std::string random_hex(std::size_t count);

/// A new random (version 4) GUID, lowercase and hyphenated.
std::string new_guid();

/// True for a GUID in the forms ASP.NET's `:guid` route constraint accepts (`D`, `N`, `B`, `P`).
bool is_guid(const std::string& text);

/// Lower-cases a GUID given in any accepted form to the hyphenated `D` form.
std::string normalize_guid(const std::string& text);

/// Lower-cases ASCII letters.
std::string to_lower(std::string text);

}  // namespace emulator
