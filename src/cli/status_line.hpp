#pragma once
/// The last line of a terminal kept as a live status (progress.hpp draws it), which log lines
/// never break into. Every log line goes through StatusLineSink: under one lock it erases the
/// status ("\r" and erase to the end of the line), writes the log line and draws the status
/// again, so a log line and the status never share a line and the status is always the last
/// line. Only on a terminal that understands "\r\x1b[K" (configure_logging decides); elsewhere
/// log lines go straight to stderr and there is no status line. Notices printed outside the
/// logger (print_notice, and the signal handler's, core/interrupt.hpp) erase it too. The line is
/// cut by display width: a CJK character or an emoji takes two columns (wcwidth), so a name
/// made of them never wraps the line.

#include <spdlog/sinks/sink.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace provision::cli {

class StatusLineSink final : public spdlog::sinks::sink {
public:
    using Writer = std::function<void(std::string_view bytes)>;

    /// `inner`: the sink log lines go to. `width`: the terminal's columns (0: asked of standard
    /// error's terminal at each draw, so a resized window is followed; COLUMNS, else 80, when
    /// the terminal has no size). `write`: where the
    /// status line's bytes go, the same stream as `inner`'s (default: stderr, flushed).
    explicit StatusLineSink(std::shared_ptr<spdlog::sinks::sink> inner, std::size_t width = 0,
                            Writer write = {});

    void log(const spdlog::details::log_msg& msg) override;
    void flush() override;
    void set_pattern(const std::string& pattern) override;
    void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

    /// Replaces the status shown with `text` (one line, cut to fit the terminal's width with
    /// "..." at the end); an empty `text` erases it and leaves the cursor at the start of the
    /// line. Nothing is written when `text` is already shown.
    void show(const std::string& text);

    /// Writes `text` (whole lines) above the status line: erased first, drawn again under it.
    void print_above(std::string_view text);

    /// `text` as one line of at most `width` - 1 display columns: control characters dropped,
    /// cut with "..." at the end when longer. Public for its tests.
    static std::string fit(const std::string& text, std::size_t width);

private:
    std::string fitted(const std::string& text) const;
    void set_shown(std::string line);

    std::mutex m_mutex;
    std::shared_ptr<spdlog::sinks::sink> m_inner;
    std::size_t m_width;
    Writer m_write;
    std::string m_shown;  ///< what the line shows now ("" when erased)
};

/// Whether standard error can keep a status line: it is a terminal and TERM names one other
/// than "dumb".
bool stderr_keeps_status_line();

/// The display width of `text` (UTF-8) in terminal columns: wcwidth of each character (two for
/// CJK and most emoji, none for combining marks), one for a byte that is not valid UTF-8 and
/// for a character wcwidth does not know.
std::size_t display_width(std::string_view text);

/// Writes `text` on standard error, above the default logger's status line when it has one.
void print_notice(std::string_view text);

/// The status line of the default logger, or null when it has none (configure_logging puts
/// one in when stderr_keeps_status_line()).
std::shared_ptr<StatusLineSink> terminal_status_line();

}  // namespace provision::cli
