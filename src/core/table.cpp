// Text tables (table.hpp), with fmt's dynamic widths for the padding.

#include "provision/core/table.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace provision::core {

std::size_t code_points(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

std::string fit(std::string_view text, std::size_t width) {
    if (code_points(text) <= width) {
        return std::string(text);
    }
    std::string out;
    std::size_t count = 0;
    for (char c : text) {
        const bool starts = (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
        if (starts && ++count > width - 3) {
            break;
        }
        out += c;
    }
    return out + "...";
}

std::string render_table(const std::vector<TableColumn>& columns,
                         const std::vector<std::vector<std::string>>& rows,
                         std::size_t width_limit) {
    std::vector<std::size_t> widths;
    std::vector<std::size_t> narrowest;
    for (const auto& column : columns) {
        widths.push_back(code_points(column.title));
        const std::size_t floor = column.narrowest > 0
                                      ? column.narrowest
                                      : std::max<std::size_t>(code_points(column.title), 6);
        narrowest.push_back(column.shrinks ? floor : column.cap);
    }
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            widths[i] = std::max(widths[i], std::min(code_points(row[i]), columns[i].cap));
        }
    }
    const auto line_width = [&] {
        std::size_t total = 2 * (columns.size() - 1);
        for (auto w : widths) {
            total += w;
        }
        return total;
    };
    while (width_limit > 0 && !columns.empty() && line_width() > width_limit) {
        const auto slack = [&](std::size_t i, bool last) {
            return columns[i].shrinks_last == last && widths[i] > narrowest[i]
                       ? widths[i] - narrowest[i]
                       : 0;
        };
        const auto widest = [&](bool last) {
            std::size_t found = 0;
            for (std::size_t i = 1; i < widths.size(); ++i) {
                if (slack(i, last) > slack(found, last)) {
                    found = i;
                }
            }
            return found;
        };
        std::size_t narrowed = widest(false);
        if (slack(narrowed, false) == 0) {
            narrowed = widest(true);
            if (slack(narrowed, true) == 0) {
                break;  // every column is as narrow as it may be
            }
        }
        --widths[narrowed];
    }
    const auto line = [&](const auto& cells) {
        std::string out;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            const std::string cell = fit(cells[i], widths[i]);
            if (i + 1 == columns.size()) {
                out += cell;
            } else {
                // fmt pads to the display width it computes for UTF-8 (the code points, but
                // two for a wide character), so names in other scripts keep the columns.
                out += fmt::format("{:<{}}  ", cell, widths[i]);
            }
        }
        return out + "\n";
    };
    std::vector<std::string> titles;
    titles.reserve(columns.size());
    for (const auto& column : columns) {
        titles.emplace_back(column.title);
    }
    std::string out = line(titles);
    for (const auto& row : rows) {
        out += line(row);
    }
    return out;
}

}  // namespace provision::core
