// A terminal's status line under the log lines (status_line.hpp).

#include "cli/status_line.hpp"

#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

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

bool is_continuation(char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
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
    m_shown = std::move(line);
}

std::string StatusLineSink::fitted(const std::string& text) const {
    // One column short of the width: a line that fills the last column wraps on some
    // terminals, and "\r" would then go back to the wrapped part only. Columns are counted as
    // UTF-8 characters; control characters are dropped, so the line stays one line.
    const std::size_t width = m_width != 0 ? m_width : terminal_width();
    if (width < 8) {
        return {};
    }
    const std::size_t columns = width - 1;
    std::string out;
    std::size_t used = 0;
    std::size_t cut = std::string::npos;  // where "..." would go
    for (const char c : text) {
        if (static_cast<unsigned char>(c) < 0x20U || c == '\x7f') {
            continue;
        }
        if (!is_continuation(c)) {
            if (used + 3 == columns) {
                cut = out.size();
            }
            if (used == columns) {
                return out.substr(0, cut) + "...";
            }
            ++used;
        }
        out += c;
    }
    return out;
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
