#pragma once
/// Diagnostics: problems in the user's input, reported all at once, each with a location and
/// the field path ("keys[2].permissions[1]").

#include <string>
#include <vector>

namespace provision::core {

enum class Severity { error, warning };

struct Diagnostic {
    std::string file;     ///< path as the user gave it
    int line = 0;         ///< 1-based; 0 when the problem is not tied to a position
    int column = 0;       ///< 1-based
    std::string path;     ///< field path, e.g. "keys[2].permissions[1]"; empty for the document
    std::string message;  ///< what is wrong and what to do
    Severity severity = Severity::error;
};

/// "file:line:col: error: keys[2].name: message" (position and path omitted when unknown).
std::string format_diagnostic(const Diagnostic& d);

bool has_errors(const std::vector<Diagnostic>& diagnostics) noexcept;

/// The 1-based line and column of byte `offset` in `text`.
struct TextPosition {
    std::size_t line = 1;
    std::size_t column = 1;
};
TextPosition position_of(std::string_view text, std::size_t offset) noexcept;

/// "line L, column C" (1-based) of byte `offset` in `text`, for parse errors in files that are
/// not manifests (state, outputs).
std::string text_position(std::string_view text, std::size_t offset);

/// Levenshtein distance, used for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` if it is close enough to be a plausible typo, else "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace provision::core
