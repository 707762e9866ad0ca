#pragma once
// Lists in messages and generated text: "a, b, c".

#include <string>
#include <string_view>

namespace provision::core {

/// The items of `range` (each convertible to std::string_view), `separator` between them.
template <typename Range> std::string join(const Range& range, std::string_view separator = ", ") {
    std::string out;
    bool first = true;
    for (const auto& item : range) {
        if (!first) {
            out += separator;
        }
        out += std::string_view(item);
        first = false;
    }
    return out;
}

}  // namespace provision::core
