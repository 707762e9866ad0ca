/// The dotenv format: `NAME='value'` lines under a header comment.
///
/// Rendering: every value is single-quoted and a `'` inside it is written as `'\''` (close the
/// quote, an escaped quote, reopen). Inside single quotes bash takes every byte literally,
/// newlines included, so `set -a; source FILE` yields the exact value; only NUL cannot be
/// carried, and is refused. Values free of `'` and `\` (every DocSpace secret: "sk-" + hex)
/// read the same in python-dotenv, Node's dotenv and docker compose. docs/outputs.md explains.
///
/// Parsing follows the shell's word rules for the forms people actually write: comments,
/// blank lines, an `export ` prefix, single-quoted, double-quoted (bash escapes: \" \\ \$ \`
/// and line continuation) and unquoted words, and concatenations of them such as `'a'\''b'`.
/// `$` expansions are not evaluated: a value is read literally. Error messages give the line and
/// column and what was expected, never the content, not even a variable name: the content is
/// secrets, and a mangled line can put one where a name belongs.

#include "output/formats.hpp"

namespace provision::output::detail {

namespace {

bool is_name_start(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_name_char(char c) noexcept {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t';
}

/// A cursor over the file; errors are reported at a byte offset (see parse_error).
class Lexer {
public:
    explicit Lexer(std::string_view text) : m_text(text) {}

    bool done() const noexcept { return m_pos >= m_text.size(); }
    char peek(std::size_t ahead = 0) const noexcept {
        return m_pos + ahead < m_text.size() ? m_text[m_pos + ahead] : '\0';
    }
    char take() noexcept { return m_text[m_pos++]; }
    void skip_blanks() noexcept {
        while (!done() && is_blank(peek())) {
            take();
        }
    }
    void skip_line() noexcept {
        while (!done() && peek() != '\n') {
            take();
        }
        if (!done()) {
            take();
        }
    }
    /// True at a line end: "\n", "\r\n" or the end of the text.
    bool at_line_end() const noexcept {
        return done() || peek() == '\n' ||
               (peek() == '\r' && (peek(1) == '\n' || m_pos + 1 == m_text.size()));
    }
    bool starts_with(std::string_view word) const noexcept {
        return m_text.substr(m_pos).starts_with(word);
    }
    std::size_t pos() const noexcept { return m_pos; }

    core::Error error(std::size_t offset, const std::string& expected) const {
        return parse_error(m_text, offset, expected);
    }

private:
    std::string_view m_text;
    std::size_t m_pos = 0;
};

/// Reads one shell word (the value after `=`) into out; nullopt on success.
std::optional<core::Error> read_value(Lexer& lex, std::string& out) {
    if (lex.peek() == '#') {
        return std::nullopt;  // `NAME= # comment`: an empty value
    }
    while (!lex.at_line_end() && !is_blank(lex.peek())) {
        const std::size_t start = lex.pos();
        const char c = lex.take();
        if (c == '\'') {
            while (!lex.done() && lex.peek() != '\'') {
                out.push_back(lex.take());
            }
            if (lex.done()) {
                return lex.error(start, "expected a closing single quote for the one here");
            }
            lex.take();
        } else if (c == '"') {
            while (!lex.done() && lex.peek() != '"') {
                const char d = lex.take();
                if (d == '\\' && !lex.done()) {
                    const char e = lex.peek();
                    if (e == '\n') {
                        lex.take();  // line continuation
                        continue;
                    }
                    if (e == '"' || e == '\\' || e == '$' || e == '`') {
                        out.push_back(lex.take());
                        continue;
                    }
                }
                out.push_back(d);
            }
            if (lex.done()) {
                return lex.error(start, "expected a closing double quote for the one here");
            }
            lex.take();
        } else if (c == '\\') {
            if (lex.done()) {
                return lex.error(start, "expected a character after this backslash");
            }
            const char e = lex.take();
            if (e != '\n') {
                out.push_back(e);
            }
        } else {
            out.push_back(c);
        }
    }
    return std::nullopt;
}

}  // namespace

core::Result<std::string> render_dotenv(const std::vector<SecretRecord>& records) {
    std::string out(k_header);
    for (const auto& record : records) {
        if (record.env.empty() || !is_name_start(record.env[0]) ||
            record.env.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
                std::string::npos) {
            return core::make_error(core::Errc::invalid_input,
                                    "variable name \"" + record.env + "\" of entry \"" +
                                        record.entry +
                                        "\" is not a shell variable name (letters, digits and "
                                        "_, not starting with a digit)");
        }
        const std::string& value = record.secret.reveal();
        if (value.find('\0') != std::string::npos) {
            return core::make_error(core::Errc::invalid_input,
                                    "the value of " + record.env +
                                        " contains a NUL byte, which a dotenv file cannot carry");
        }
        out += record.env;
        out += "='";
        for (const char c : value) {
            if (c == '\'') {
                out += "'\\''";
            } else {
                out.push_back(c);
            }
        }
        out += "'\n";
    }
    return out;
}

core::Result<SecretMap> parse_dotenv(std::string_view text) {
    SecretMap values;
    Lexer lex(text);
    if (lex.starts_with("\xEF\xBB\xBF")) {
        lex.take();
        lex.take();
        lex.take();
    }
    while (!lex.done()) {
        lex.skip_blanks();
        if (lex.at_line_end() || lex.peek() == '#') {
            lex.skip_line();
            continue;
        }
        if (lex.starts_with("export") && is_blank(lex.peek(6))) {
            for (int i = 0; i < 6; ++i) {
                lex.take();
            }
            lex.skip_blanks();
        }
        std::string name;
        if (!is_name_start(lex.peek())) {
            return lex.error(lex.pos(),
                             "expected NAME=value (a variable name: a letter or _ "
                             "first, then letters, digits and _), a comment or a blank line");
        }
        while (!lex.done() &&
               (is_name_char(lex.peek()) || lex.peek() == '.' || lex.peek() == '-')) {
            name.push_back(lex.take());
        }
        lex.skip_blanks();
        if (lex.peek() != '=') {
            return lex.error(lex.pos(), "expected '=' after the variable name");
        }
        lex.take();
        lex.skip_blanks();
        std::string value;
        if (auto error = read_value(lex, value)) {
            return *error;
        }
        lex.skip_blanks();
        if (lex.peek() == '#') {
            lex.skip_line();
        } else if (lex.at_line_end()) {
            lex.skip_line();
        } else {
            return lex.error(lex.pos(), "expected the end of the line or a comment after the "
                                        "value (quote values that contain spaces)");
        }
        values[name] = core::Secret{std::move(value)};
    }
    return values;
}

}  // namespace provision::output::detail
