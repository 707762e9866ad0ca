#pragma once
/// Text tables for people (status, audit): each column as wide as its widest cell, counted in
/// code points, up to the column's cap; a longer cell is cut and ends in "...". Columns are
/// two spaces apart and the last one is not padded.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace provision::core {

struct TableColumn {
    std::string_view title;
    std::size_t cap;            ///< the widest the column may grow (at least 4)
    bool shrinks = true;        ///< may give up space to fit a width limit (not keys, times)
    std::size_t narrowest = 0;  ///< when it shrinks, down to this (0: its title, at least 6)
    /// Gives up space only once no other column can (a key id: its first 8 characters still
    /// tell keys apart, as a short Git or Docker id does, but whole is better).
    bool shrinks_last = false;
};

/// The title line, then one line per row (each row has one cell per column). With a
/// `width_limit` (a terminal's width), the widest columns that may shrink give up space, down
/// to their narrowest, until a line fits (those that shrink last only after the others): their
/// longer cells end in "...".
std::string render_table(const std::vector<TableColumn>& columns,
                         const std::vector<std::vector<std::string>>& rows,
                         std::size_t width_limit = 0);

/// How many code points `text` holds (UTF-8; a malformed byte counts as one).
std::size_t code_points(std::string_view text);

/// `text` cut to at most `width` code points, ending in "..." when cut.
std::string fit(std::string_view text, std::size_t width);

}  // namespace provision::core
