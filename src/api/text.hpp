#pragma once
/// Small text helpers shared by the api module's parsers (headers, Retry-After, error bodies,
/// URLs): one copy of each instead of one per file.

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace provision::api::detail {

/// `text` without leading and trailing white space (std::isspace, C locale).
inline std::string_view trim(std::string_view text) noexcept {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
        text.remove_suffix(1);
    }
    return text;
}

/// ASCII lower case of `text` (C locale).
inline std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace provision::api::detail
