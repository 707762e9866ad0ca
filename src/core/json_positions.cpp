/// A second, minimal pass over JSON text that a real parser has accepted, recording where each
/// value starts. nlohmann::json keeps no positions, and its SAX interface reports none either;
/// a scanner that trusts the text's validity only has to tell strings, brackets and the rest
/// apart. It records values down to k_max_depth and skips deeper ones without recursion, so a
/// deeply nested document cannot exhaust the stack.

#include "provision/core/json_positions.hpp"

#include "provision/core/diagnostic.hpp"

#include <nlohmann/json.hpp>

namespace provision::core {

namespace {

constexpr std::size_t k_max_depth = 4;

class Scanner {
public:
    Scanner(std::string_view text, std::map<std::vector<std::string>, std::size_t>& out)
        : m_text(text), m_out(out) {}

    void scan() { value(0); }

private:
    char peek() const noexcept { return m_pos < m_text.size() ? m_text[m_pos] : '\0'; }

    void skip_blanks() noexcept {
        while (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r') {
            ++m_pos;
        }
    }

    /// From an opening quote to just past the closing one.
    void skip_string() noexcept {
        ++m_pos;
        while (m_pos < m_text.size() && m_text[m_pos] != '"') {
            m_pos += m_text[m_pos] == '\\' ? std::size_t{2} : std::size_t{1};
        }
        ++m_pos;
    }

    /// Skips one value of any depth, iteratively.
    void skip_value() noexcept {
        std::size_t depth = 0;
        do {
            skip_blanks();
            const char c = peek();
            if (c == '\0') {
                return;
            }
            if (c == '"') {
                skip_string();
            } else if (c == '{' || c == '[') {
                ++depth;
                ++m_pos;
            } else if (c == '}' || c == ']') {
                --depth;
                ++m_pos;
            } else if (c == ',' || c == ':') {
                ++m_pos;
            } else {
                while (m_pos < m_text.size() &&
                       std::string_view(",:]} \t\n\r").find(m_text[m_pos]) ==
                           std::string_view::npos) {
                    ++m_pos;
                }
            }
        } while (depth > 0);
    }

    std::string read_key() {
        const std::size_t start = m_pos;
        skip_string();
        const std::string_view raw = m_text.substr(start, m_pos - start);
        if (raw.find('\\') == std::string_view::npos) {
            return std::string(raw.substr(1, raw.size() >= 2 ? raw.size() - 2 : 0));
        }
        const auto decoded = nlohmann::json::parse(raw, nullptr, false);
        return decoded.is_string() ? decoded.get<std::string>() : std::string();
    }

    void value(std::size_t depth) {
        skip_blanks();
        m_out[m_path] = m_pos;
        const char open = peek();
        if (depth >= k_max_depth || (open != '{' && open != '[')) {
            skip_value();
            return;
        }
        const char close = open == '{' ? '}' : ']';
        ++m_pos;
        skip_blanks();
        if (peek() == close) {
            ++m_pos;
            return;
        }
        for (std::size_t index = 0; m_pos < m_text.size(); ++index) {
            skip_blanks();
            if (open == '{') {
                m_path.push_back(read_key());
                skip_blanks();
                ++m_pos;  // ':'
            } else {
                m_path.push_back(std::to_string(index));
            }
            value(depth + 1);
            m_path.pop_back();
            skip_blanks();
            if (peek() != ',') {
                ++m_pos;  // the closing bracket
                return;
            }
            ++m_pos;
        }
    }

    std::string_view m_text;
    std::map<std::vector<std::string>, std::size_t>& m_out;
    std::vector<std::string> m_path;
    std::size_t m_pos = 0;
};

}  // namespace

std::string line_column(std::string_view text, std::size_t offset) {
    const TextPosition at = position_of(text, offset);
    return std::to_string(at.line) + ":" + std::to_string(at.column);
}

JsonPositions::JsonPositions(std::string_view text) : m_text(text) {}

std::string JsonPositions::at(const std::vector<std::string>& path) const {
    std::call_once(m_scanned, [this] { Scanner(m_text, m_offsets).scan(); });
    std::vector<std::string> prefix = path;
    for (;;) {
        if (const auto found = m_offsets.find(prefix); found != m_offsets.end()) {
            return line_column(m_text, found->second);
        }
        if (prefix.empty()) {
            return line_column(m_text, 0);
        }
        prefix.pop_back();
    }
}

}  // namespace provision::core
