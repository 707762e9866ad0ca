// A terminal's status line under the log lines (status_line.hpp).

#include "cli/status_line.hpp"

#include "provision/core/interrupt.hpp"

#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <locale.h>
#include <optional>
#include <utility>

namespace provision::cli {

namespace {

/// "\r" then erase to the end of the line (ECMA-48 EL): the line is empty, the cursor at its
/// start.
constexpr std::string_view k_erase = "\r\x1b[K";

/// The terminal's columns; COLUMNS when it does not say (a terminal without a size, as
/// script(1) makes when it has none itself), else 80.
std::size_t terminal_width() {
    struct winsize size {};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col != 0) {
        return size.ws_col;
    }
    const char* columns = std::getenv("COLUMNS");
    char* end = nullptr;
    const unsigned long parsed = columns != nullptr ? std::strtoul(columns, &end, 10) : 0;
    return parsed > 0 && parsed < 10000 && end != columns && *end == '\0' ? parsed : 80;
}

/// One character of UTF-8 text: its bytes and display columns.
struct Glyph {
    std::size_t bytes = 1;
    std::size_t columns = 1;
};

/// The code point of the valid UTF-8 sequence at `text[at]` and its length, or nullopt (an
/// invalid or cut sequence, an overlong form or a surrogate).
std::optional<std::pair<char32_t, std::size_t>> decode_utf8(std::string_view text, std::size_t at) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
    const unsigned char lead = byte(0);
    std::size_t length = 0;
    char32_t code = 0;
    if (lead < 0x80U) {
        return std::pair{static_cast<char32_t>(lead), std::size_t{1}};
    }
    if ((lead & 0xE0U) == 0xC0U) {
        length = 2;
        code = lead & 0x1FU;
    } else if ((lead & 0xF0U) == 0xE0U) {
        length = 3;
        code = lead & 0x0FU;
    } else if ((lead & 0xF8U) == 0xF0U) {
        length = 4;
        code = lead & 0x07U;
    } else {
        return std::nullopt;
    }
    if (at + length > text.size()) {
        return std::nullopt;
    }
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(i) & 0xC0U) != 0x80U) {
            return std::nullopt;
        }
        code = (code << 6U) | (byte(i) & 0x3FU);
    }
    static constexpr char32_t k_least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < k_least[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
        return std::nullopt;
    }
    return std::pair{code, length};
}

/// wcwidth in a UTF-8 locale whatever the process's locale is (the CLI never calls setlocale,
/// and the "C" locale knows no character above ASCII): C.UTF-8 for this thread while asked.
int utf8_wcwidth(char32_t code) {
    static const locale_t utf8 = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{});
    if (utf8 == locale_t{}) {
        return -1;
    }
    const locale_t previous = ::uselocale(utf8);
    const int columns = ::wcwidth(static_cast<wchar_t>(code));
    ::uselocale(previous);
    return columns;
}

Glyph glyph_at(std::string_view text, std::size_t at) {
    if (static_cast<unsigned char>(text[at]) < 0x80U) {
        return {};
    }
    const auto decoded = decode_utf8(text, at);
    if (!decoded) {
        return {};
    }
    const int columns = utf8_wcwidth(decoded->first);
    return {decoded->second, columns < 0 ? std::size_t{1} : static_cast<std::size_t>(columns)};
}

bool is_control(char c) {
    return static_cast<unsigned char>(c) < 0x20U || c == '\x7f';
}

}  // namespace

StatusLineSink::StatusLineSink(std::shared_ptr<spdlog::sinks::sink> inner, std::size_t width,
                               Writer write)
    : m_inner(std::move(inner)), m_width(width), m_write(std::move(write)) {
    if (!m_write) {
        m_write = [](std::string_view bytes) {
            std::fwrite(bytes.data(), 1, bytes.size(), stderr);
            std::fflush(stderr);
        };
    }
}

void StatusLineSink::log(const spdlog::details::log_msg& msg) {
    const std::lock_guard lock(m_mutex);
    if (!m_shown.empty()) {
        m_write(k_erase);
    }
    m_inner->log(msg);
    m_inner->flush();
    if (!m_shown.empty()) {
        m_write(m_shown);
    }
}

void StatusLineSink::flush() {
    const std::lock_guard lock(m_mutex);
    m_inner->flush();
}

void StatusLineSink::set_pattern(const std::string& pattern) {
    const std::lock_guard lock(m_mutex);
    m_inner->set_pattern(pattern);
}

void StatusLineSink::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
    const std::lock_guard lock(m_mutex);
    m_inner->set_formatter(std::move(formatter));
}

void StatusLineSink::show(const std::string& text) {
    const std::lock_guard lock(m_mutex);
    std::string line = fitted(text);
    if (line == m_shown) {
        return;
    }
    m_write(std::string(k_erase) + line);
    set_shown(std::move(line));
}

void StatusLineSink::print_above(std::string_view text) {
    const std::lock_guard lock(m_mutex);
    if (!m_shown.empty()) {
        m_write(k_erase);
    }
    m_write(text);
    if (!m_shown.empty()) {
        m_write(m_shown);
    }
}

void StatusLineSink::set_shown(std::string line) {
    m_shown = std::move(line);
    core::set_status_line_shown(!m_shown.empty());
}

std::string StatusLineSink::fitted(const std::string& text) const {
    return fit(text, m_width != 0 ? m_width : terminal_width());
}

std::string StatusLineSink::fit(const std::string& text, std::size_t width) {
    // One column short of the width: a line that fills the last column wraps on some
    // terminals, and "\r" would then go back to the wrapped part only. Columns are display
    // columns (two for a wide character); control characters are dropped, so the line stays
    // one line.
    if (width < 8) {
        return {};
    }
    const std::size_t columns = width - 1;
    std::string out;
    std::size_t used = 0;
    std::size_t cut = 0;  // where "..." goes: the end of the text that fits in columns - 3
    for (std::size_t at = 0; at < text.size();) {
        if (is_control(text[at])) {
            ++at;
            continue;
        }
        const Glyph glyph = glyph_at(text, at);
        if (used + glyph.columns > columns) {
            return out.substr(0, cut) + "...";
        }
        used += glyph.columns;
        out.append(text, at, glyph.bytes);
        at += glyph.bytes;
        if (used + 3 <= columns) {
            cut = out.size();
        }
    }
    return out;
}

std::size_t display_width(std::string_view text) {
    std::size_t columns = 0;
    for (std::size_t at = 0; at < text.size();) {
        const Glyph glyph = glyph_at(text, at);
        columns += glyph.columns;
        at += glyph.bytes;
    }
    return columns;
}

void print_notice(std::string_view text) {
    if (const auto line = terminal_status_line()) {
        line->print_above(text);
        return;
    }
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

bool stderr_keeps_status_line() {
    const char* term = std::getenv("TERM");
    return ::isatty(STDERR_FILENO) != 0 && term != nullptr && *term != '\0' &&
           std::strcmp(term, "dumb") != 0;
}

std::shared_ptr<StatusLineSink> terminal_status_line() {
    for (const auto& sink : spdlog::default_logger()->sinks()) {
        if (auto line = std::dynamic_pointer_cast<StatusLineSink>(sink)) {
            return line;
        }
    }
    return nullptr;
}

}  // namespace provision::cli
