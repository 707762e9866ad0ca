// Checks that run before yaml-cpp sees a byte of the manifest.
//
// yaml-cpp 0.7 has hazards that a strict loader must keep away from it: aliases build shared
// or cyclic graphs (`&a [*a]` overflows the stack of a naive walk, "billion laughs" explodes),
// several documents are silently reduced to the first, and tags change how scalars are read.
// Rather than trust the parser, a small line-oriented lexer walks the text once, tracking just
// enough YAML structure to know where a node starts: inside quoted scalars, block scalars and
// comments the indicator characters are literal, and inside plain scalars `&`, `*` and `!` are
// ordinary text (`Tom & Jerry`). Where a node starts, `&` is an anchor, `*` an alias and `!` a
// tag, all refused with their position. The same walk bounds nesting: the block indentation
// stack plus the flow bracket depth approximate the tree depth from above, so deeply nested
// input is refused before yaml-cpp's recursive parser sees it, and so is a node count that
// would take yaml-cpp seconds to parse. The lexer errs on the side of refusing: a rare false
// positive (a multi-line plain scalar whose continuation line starts with `&`) costs a pair of
// quotes, a false negative could cost the process.
//
// Why this still exists (checked against Debian 12's yaml-cpp 0.7.0): YAML::Load, which the
// loader uses, has no switch to refuse anchors, aliases or tags; it loads `&a [*a]` as a node
// that contains itself and `!!str` silently. Its depth guard stops deep nesting, but only at a
// depth of hundreds (the manifest allows 16) and with a position-less "bad file". What could
// replace this file: yaml-cpp's event API (YAML::Parser with an EventHandler, which
// fuzz/manifest_fuzzer.cpp already uses to check this scan) does report anchors, aliases and
// tags with their positions, so a loader that built its tree from those events, counting depth
// and nodes as they arrive and asking for a second document, would need no lexer of its own.

#include "loader.hpp"

namespace provision::manifest::detail {
namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}
bool is_flow_indicator(char c) {
    return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

/// The walk described at the top of the file. One instance per text.
class SubsetScanner {
public:
    SubsetScanner(std::string_view text, DiagnosticSink& sink) : m_text(text), m_sink(sink) {}

    bool run() {
        std::size_t start = 0;
        while (start <= m_text.size() && !m_stop && !m_sink.full()) {
            std::size_t end = m_text.find('\n', start);
            if (end == std::string_view::npos) {
                end = m_text.size();
            }
            std::string_view line = m_text.substr(start, end - start);
            if (!line.empty() && line.back() == '\r') {
                line.remove_suffix(1);
            }
            scan_line(start, line);
            start = end + 1;
        }
        if (m_quote != 0 && !m_stop) {
            problem(m_quote_offset, "this quoted value is never closed; add the closing " +
                                        std::string(1, m_quote));
        }
        return m_ok;
    }

private:
    void problem(std::size_t offset, std::string message) {
        m_ok = false;
        m_sink.error(offset, "", std::move(message));
    }

    void check_depth(std::size_t offset) {
        if (!m_stop && m_indents.size() + m_flow_depth > k_max_depth) {
            m_stop = true;
            problem(offset, "nested more than " + std::to_string(k_max_depth) +
                                " levels deep; a manifest needs far fewer, so this is refused "
                                "to keep the parser safe");
        }
    }

    /// Returns true when the line belongs to a block scalar (`|` or `>`) and is not YAML.
    bool inside_block_scalar(std::size_t indent, bool blank) {
        if (!m_block_scalar) {
            return false;
        }
        if (blank) {
            return true;
        }
        if (m_block_indent == 0 && indent > m_block_parent_indent) {
            m_block_indent = indent;
            return true;
        }
        if (m_block_indent != 0 && indent >= m_block_indent) {
            return true;
        }
        m_block_scalar = false;
        return false;
    }

    void scan_line(std::size_t line_offset, std::string_view line) {
        std::size_t indent = 0;
        while (indent < line.size() && line[indent] == ' ') {
            ++indent;
        }
        std::size_t first = indent;
        while (first < line.size() && is_blank(line[first])) {
            ++first;
        }
        const bool blank = first == line.size();
        if (m_quote == 0 && inside_block_scalar(indent, blank)) {
            return;
        }
        if (m_quote == 0) {
            if (blank || line[first] == '#') {
                return;
            }
            if (m_flow_depth == 0 && !document_level_line(line_offset, line)) {
                return;
            }
            if (m_flow_depth == 0) {
                while (!m_indents.empty() && m_indents.back() > indent) {
                    m_indents.pop_back();
                }
                if (m_indents.empty() || m_indents.back() < indent) {
                    m_indents.push_back(indent);
                    check_depth(line_offset + indent);
                }
            }
            m_seen_content = true;
        }
        scan_tokens(line_offset, line, m_quote == 0 ? first : 0);
    }

    /// Handles `---`, `...` and `%` at the start of a line. False when the line is done.
    bool document_level_line(std::size_t line_offset, std::string_view line) {
        const auto marker = [&](std::string_view m) {
            return line.substr(0, 3) == m && (line.size() == 3 || is_blank(line[3]));
        };
        if (marker("---")) {
            if (m_seen_content || m_seen_document_start) {
                problem(line_offset, "a second YAML document starts here; a manifest is exactly "
                                     "one document, so remove this `---` and what follows or "
                                     "move it to its own file");
                return false;
            }
            m_seen_document_start = true;
            std::size_t rest = 3;
            while (rest < line.size() && is_blank(line[rest])) {
                ++rest;
            }
            if (rest < line.size() && line[rest] != '#') {
                problem(line_offset + rest, "write the manifest on the lines after `---`");
            }
            return false;
        }
        if (marker("...")) {
            problem(line_offset, "`...` ends the YAML document; a manifest is exactly one "
                                 "document, so remove it and anything after it");
            return false;
        }
        if (!line.empty() && line[0] == '%') {
            problem(line_offset, "YAML directives (`%YAML`, `%TAG`) are not supported; remove "
                                 "this line");
            return false;
        }
        return true;
    }

    std::size_t token_end(std::string_view line, std::size_t i) const {
        while (i < line.size() && !is_blank(line[i]) && !is_flow_indicator(line[i])) {
            ++i;
        }
        return i;
    }

    void scan_tokens(std::size_t line_offset, std::string_view line, std::size_t i) {
        bool expect_node = m_quote == 0;
        while (i < line.size() && !m_stop) {
            const char c = line[i];
            const std::size_t offset = line_offset + i;
            const bool next_blank = i + 1 >= line.size() || is_blank(line[i + 1]);
            if (m_quote == '"') {
                if (c == '\\') {
                    i += 2;
                    continue;
                }
                if (c == '"') {
                    m_quote = 0;
                    expect_node = false;
                }
                ++i;
                continue;
            }
            if (m_quote == '\'') {
                if (c == '\'' && i + 1 < line.size() && line[i + 1] == '\'') {
                    i += 2;
                    continue;
                }
                if (c == '\'') {
                    m_quote = 0;
                    expect_node = false;
                }
                ++i;
                continue;
            }
            if (is_blank(c)) {
                ++i;
                continue;
            }
            if (c == '#' && (i == 0 || is_blank(line[i - 1]))) {
                return;
            }
            if (c == '[' || c == '{') {
                ++m_flow_depth;
                check_depth(offset);
                expect_node = true;
                ++i;
                continue;
            }
            if (c == ']' || c == '}') {
                if (m_flow_depth > 0) {
                    --m_flow_depth;
                }
                expect_node = false;
                ++i;
                continue;
            }
            if (c == ',' && m_flow_depth > 0) {
                if (expect_node) {
                    problem(offset, "empty entry in a flow list or map (two commas, or a comma "
                                    "right after the opening bracket); remove the extra comma");
                }
                expect_node = true;
                ++i;
                continue;
            }
            if (c == ':' && (next_blank || m_flow_depth > 0)) {
                expect_node = true;
                ++i;
                continue;
            }
            if (!expect_node) {
                i = scan_plain(line, i);
                continue;
            }
            i = scan_node_start(line_offset, line, i, next_blank, expect_node);
        }
    }

    /// At a position where a node may start. Returns where scanning continues.
    std::size_t scan_node_start(std::size_t line_offset, std::string_view line, std::size_t i,
                                bool next_blank, bool& expect_node) {
        const char c = line[i];
        const std::size_t offset = line_offset + i;
        // yaml-cpp needs seconds for a megabyte of tiny nodes; refuse before it starts.
        if (++m_nodes > k_max_nodes) {
            m_stop = true;
            problem(offset, "the manifest has more than " + std::to_string(k_max_nodes) +
                                " values; split it into several manifests");
            return line.size();
        }
        const std::string token(line.substr(i, token_end(line, i) - i));
        switch (c) {
        case '&':
            problem(offset, "YAML anchors (`" + token +
                                "`) are not supported; write the value "
                                "out in full (or quote it if the `&` is part of the text)");
            return token_end(line, i);
        case '*':
            problem(offset, "`" + token +
                                "` is read as a YAML alias, which is not supported; "
                                "if you mean the text, quote it: \"" +
                                token + "\"");
            return token_end(line, i);
        case '!':
            problem(offset, "YAML tags (`" + token +
                                "`) are not supported; remove the tag, or "
                                "quote the value if the `!` is part of the text");
            return token_end(line, i);
        case '"':
        case '\'':
            m_quote = c;
            m_quote_offset = offset;
            return i + 1;
        case '|':
        case '>':
            if (m_flow_depth == 0) {
                m_block_scalar = true;
                m_block_parent_indent = block_scalar_parent(i);
                m_block_indent = 0;
                return line.size();
            }
            break;
        case ',':
            problem(offset, "a value cannot start with `,`; quote the value");
            return i + 1;
        case '@':
        case '`':
            problem(offset, std::string("a value cannot start with `") + c +
                                "` (reserved in YAML); quote the value");
            return token_end(line, i);
        case '?':
            if (next_blank) {
                problem(offset, "complex mapping keys (`? `) are not supported; write "
                                "`name: value`");
                return i + 1;
            }
            break;
        case '-':
            if (next_blank && m_flow_depth == 0) {
                // A compact sequence entry nests one level without a new line; the nested
                // node's indentation is the column where it starts ("-   key:" is 4 deeper).
                std::size_t nested = i + 1;
                while (nested < line.size() && is_blank(line[nested])) {
                    ++nested;
                }
                m_indents.push_back(nested);
                check_depth(offset);
                expect_node = true;
                return i + 1;
            }
            break;
        default:
            break;
        }
        expect_node = false;
        return scan_plain(line, i);
    }

    /// The indentation that a block scalar starting at column `at` must indent its content
    /// past: that of the node holding it. On "- key: |" that is `key`, the innermost block
    /// indentation, not the line's first column; on "- |" the scalar is itself that innermost
    /// node, so it is the level before. Taken too shallow, YAML lines would be skipped as text.
    std::size_t block_scalar_parent(std::size_t at) const {
        if (m_indents.size() > 1 && m_indents.back() == at) {
            return m_indents[m_indents.size() - 2];
        }
        return m_indents.empty() ? 0 : m_indents.back();
    }

    /// Skips a plain scalar; returns the offset of what ends it.
    std::size_t scan_plain(std::string_view line, std::size_t i) const {
        for (; i < line.size(); ++i) {
            const char c = line[i];
            const bool next_blank = i + 1 >= line.size() || is_blank(line[i + 1]);
            if (c == ':' && (next_blank || (m_flow_depth > 0 && is_flow_indicator(line[i + 1])))) {
                return i;
            }
            if (c == '#' && i > 0 && is_blank(line[i - 1])) {
                return i;
            }
            if (m_flow_depth > 0 && is_flow_indicator(c)) {
                return i;
            }
        }
        return i;
    }

    std::string_view m_text;
    DiagnosticSink& m_sink;
    bool m_ok = true;
    bool m_stop = false;
    char m_quote = 0;
    std::size_t m_quote_offset = 0;
    std::size_t m_flow_depth = 0;
    std::size_t m_nodes = 0;
    std::vector<std::size_t> m_indents;
    bool m_block_scalar = false;
    std::size_t m_block_parent_indent = 0;
    std::size_t m_block_indent = 0;
    bool m_seen_content = false;
    bool m_seen_document_start = false;
};

}  // namespace

bool scan_subset(std::string_view text, DiagnosticSink& sink) {
    for (std::size_t at = find_secret_like(text, 0); at != std::string_view::npos;
         at = find_secret_like(text, at + 3)) {
        sink.error(at, "",
                   "this looks like a DocSpace API key secret; manifests are committed "
                   "to version control, so never write a secret into one: put it in an "
                   "environment variable and refer to it as ${NAME}");
    }
    return SubsetScanner(text, sink).run();
}

}  // namespace provision::manifest::detail
