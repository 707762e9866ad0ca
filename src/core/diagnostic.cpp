#include "provision/core/diagnostic.hpp"

#include <algorithm>
#include <numeric>

namespace provision::core {

std::string format_diagnostic(const Diagnostic& d) {
    std::string out = d.file;
    if (d.line > 0) {
        out += ':' + std::to_string(d.line) + ':' + std::to_string(d.column);
    }
    out += d.severity == Severity::error ? ": error: " : ": warning: ";
    if (!d.path.empty()) {
        out += d.path + ": ";
    }
    out += d.message;
    return out;
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) noexcept {
    return std::any_of(diagnostics.begin(), diagnostics.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::error; });
}

TextPosition position_of(std::string_view text, std::size_t offset) noexcept {
    TextPosition at;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++at.line;
            at.column = 1;
        } else {
            ++at.column;
        }
    }
    return at;
}

std::string text_position(std::string_view text, std::size_t offset) {
    const TextPosition at = position_of(text, offset);
    return "line " + std::to_string(at.line) + ", column " + std::to_string(at.column);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_distance = 0;
    for (const auto& candidate : candidates) {
        const std::size_t d = edit_distance(word, candidate);
        if (best.empty() || d < best_distance) {
            best = candidate;
            best_distance = d;
        }
    }
    // A plausible typo: at most a third of the longer word, and never more than 3 edits.
    const std::size_t longest = std::max(word.size(), best.size());
    if (best.empty() || best_distance == 0 || best_distance > 3 || best_distance * 3 > longest) {
        return {};
    }
    return best;
}

}  // namespace provision::core
