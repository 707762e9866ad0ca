// The terminal's status line (src/cli/status_line.hpp) and the progress drawn on it or logged
// without it (src/cli/progress.hpp), with the status line's bytes and the log lines written
// to one string in the order a terminal would receive them.

#include "cli/progress.hpp"
#include "cli/status_line.hpp"
#include "provision/core/interrupt.hpp"

#include <catch2/catch.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

using namespace provision;
using cli::StatusLineSink;

namespace {

/// A terminal `width` columns wide: the status line's bytes and the log lines ("level: text")
/// land in `bytes`, in order.
struct Terminal {
    std::ostringstream bytes;
    std::shared_ptr<StatusLineSink> line;
    std::shared_ptr<spdlog::logger> logger;

    explicit Terminal(std::size_t width) {
        auto inner = std::make_shared<spdlog::sinks::ostream_sink_mt>(bytes);
        line = std::make_shared<StatusLineSink>(inner, width,
                                                [this](std::string_view b) { bytes << b; });
        logger = std::make_shared<spdlog::logger>("terminal", line);
        logger->set_pattern("%l: %v");
    }
};

/// A sink whose text can be read while another thread (Progress's watcher) logs into it.
class TextSink : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::string text() {
        const std::lock_guard lock(mutex_);
        return text_;
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        text_.append(formatted.data(), formatted.size());
    }
    void flush_() override {}

private:
    std::string text_;
};

/// Makes `logger` the default one for the test's lifetime (Progress logs through it).
struct DefaultLogger {
    std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
    explicit DefaultLogger(std::shared_ptr<spdlog::logger> logger) {
        logger->set_level(spdlog::level::info);
        spdlog::set_default_logger(std::move(logger));
    }
    ~DefaultLogger() { spdlog::set_default_logger(previous); }
    DefaultLogger(const DefaultLogger&) = delete;
    DefaultLogger& operator=(const DefaultLogger&) = delete;
};

plan::Plan two_creates() {
    plan::Plan plan;
    for (const std::string name : {"Alpha", "Beta"}) {
        plan::Action action;
        action.kind = plan::ActionKind::create;
        action.entry = name;
        plan.actions.push_back(action);
    }
    plan::Action unchanged;
    unchanged.entry = "Gamma";
    plan.actions.push_back(unchanged);
    return plan;
}

/// What a terminal shows after receiving `bytes`: its rows, the cursor's row last. Understands
/// what the status line writes: "\r", "\n" and erase to the end of the line ("\x1b[K").
std::vector<std::string> screen(const std::string& bytes) {
    std::vector<std::string> rows{""};
    std::size_t column = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        auto& row = rows.back();
        if (bytes[i] == '\r') {
            column = 0;
        } else if (bytes[i] == '\n') {
            rows.emplace_back();
            column = 0;
        } else if (bytes.compare(i, 3, "\x1b[K") == 0) {
            row.resize(column);
            i += 2;
        } else {
            row.resize(std::max(row.size(), column + 1));
            row[column++] = bytes[i];
        }
    }
    return rows;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a log line erases the status line, and the status is drawn again below it",
          "[cli][progress]") {
    Terminal t(80);
    t.line->show("1 of 3 done");
    t.logger->info("hello");
    t.line->show("2 of 3 done");
    t.line->show("2 of 3 done");  // already shown: nothing written
    t.line->show("");
    t.logger->info("after");
    CHECK(t.bytes.str() == "\r\x1b[K1 of 3 done"
                           "\r\x1b[Kinfo: hello\n1 of 3 done"
                           "\r\x1b[K2 of 3 done"
                           "\r\x1b[K"
                           "info: after\n");
}

TEST_CASE("the status line is cut to the terminal's width and stays one line", "[cli][progress]") {
    Terminal t(20);
    t.line->show("0123456789abcdefghijklmnop");
    CHECK(t.bytes.str() == "\r\x1b[K0123456789abcdef...");  // 19 columns: none in the last
    t.bytes.str("");
    t.line->show("\xc3\xa9\xc3\xa9 done\n\r\x1b[2J");  // UTF-8 counts by character
    CHECK(t.bytes.str() == "\r\x1b[K\xc3\xa9\xc3\xa9 done[2J");
    t.bytes.str("");
    std::string wide;
    for (int i = 0; i < 25; ++i) {
        wide += "\xc3\xa9";
    }
    t.line->show(wide);
    CHECK(t.bytes.str() == "\r\x1b[K" + wide.substr(0, 32) + "...");
}

TEST_CASE("a signal's notice takes the status line's row instead of leaving the status above it",
          "[cli][progress]") {
    Terminal t(80);
    t.line->show("1 of 3 done, 4s elapsed: creating 'Alpha' (4s)");
    REQUIRE(core::status_line_shown());
    // What the signal handler writes: the same stream as the status line (stderr).
    t.bytes << core::interrupt_notice(1, core::status_line_shown());
    CHECK(screen(t.bytes.str()) ==
          std::vector<std::string>{"provision: stopping: no new work starts; finishing requests "
                                   "in flight (signal again to abort)",
                                   ""});
    t.bytes << core::interrupt_notice(2, core::status_line_shown());
    CHECK(screen(t.bytes.str()).at(1) ==
          "provision: aborting requests in flight; secrets already received are still saved");
    // The next draw puts the status line back, under the notices.
    t.line->show("1 of 3 done, 5s elapsed: creating 'Alpha' (5s)");
    CHECK(screen(t.bytes.str()).back() == "1 of 3 done, 5s elapsed: creating 'Alpha' (5s)");
    t.line->show("");
    CHECK_FALSE(core::status_line_shown());
    // Without a status line the notice starts on a line of its own.
    CHECK(std::string(core::interrupt_notice(1, false)).rfind("\nprovision: stopping: ", 0) == 0);
}

TEST_CASE("an error printed during a run goes above the status line, which is drawn again",
          "[cli][progress]") {
    Terminal t(80);
    t.line->show("0 of 2 done, 1s elapsed");
    t.line->print_above("error: the portal answered 500\n");
    CHECK(screen(t.bytes.str()) ==
          std::vector<std::string>{"error: the portal answered 500", "0 of 2 done, 1s elapsed"});
    t.line->show("");
}

TEST_CASE("the status line is cut by display width: wide characters take two columns",
          "[cli][progress]") {
    CHECK(cli::display_width("abc") == 3);
    CHECK(cli::display_width("\xc3\xa9") == 1);                  // é
    CHECK(cli::display_width("e\xcc\x81") == 1);                 // e + combining acute
    CHECK(cli::display_width("\xe6\x97\xa5\xe6\x9c\xac") == 4);  // 日本
    CHECK(cli::display_width("\xf0\x9f\x94\x91") == 2);          // 🔑 (an emoji)
    CHECK(cli::display_width("\xff") == 1);                      // not UTF-8: one column a byte
    // 19 usable columns of a 20-column terminal: 8 CJK characters (16) and "...".
    std::string cjk;
    for (int i = 0; i < 12; ++i) {
        cjk += "\xe6\x97\xa5";
    }
    const auto cut = StatusLineSink::fit(cjk, 20);
    CHECK(cut == cjk.substr(0, 8 * 3) + "...");
    CHECK(cli::display_width(cut) == 19);
    // An emoji that would straddle the last usable column is not split or squeezed in.
    const auto keys =
        StatusLineSink::fit("creating '\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91"
                            "\xf0\x9f\x94\x91' (3s)",
                            20);
    CHECK(cli::display_width(keys) <= 19);
    CHECK(keys == "creating '\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91...");
    // What fits is left whole.
    CHECK(StatusLineSink::fit("\xe6\x97\xa5 done", 20) == "\xe6\x97\xa5 done");
}

TEST_CASE("on a terminal the progress is a live line of the counts and the actions in flight, "
          "and a wait for the rate limit is logged with the counts and shown",
          "[cli][progress]") {
    Terminal t(200);
    const DefaultLogger installed(t.logger);
    const auto plan = two_creates();
    cli::Progress progress;
    progress.rate_limit_wait({std::chrono::milliseconds(1000), "listing keys", false, false});
    progress.start(plan);
    progress.update(plan.actions[0], false);
    progress.update(plan.actions[1], false);
    progress.update(plan.actions[0], true);
    progress.rate_limit_wait({std::chrono::milliseconds(1500), "creating 'Beta'", true, true});
    progress.update(plan.actions[2], false);  // unchanged: not counted, not shown
    progress.finish();
    const std::string out = t.bytes.str();
    INFO(out);
    CHECK(contains(out, "info: waiting 1.0 s for the rate limit before listing keys\n"));
    CHECK(std::regex_search(
        out, std::regex(R"(\r\x1b\[K0 of 2 done, \d+s elapsed: creating 'Alpha' \(\d+s\), )"
                        R"(creating 'Beta' \(\d+s\))")));
    CHECK(contains(out, "info: waiting 1.5 s for the rate limit (429) before creating 'Beta' "
                        "again, 1 of 2 created\n"));
    CHECK(std::regex_search(out, std::regex(R"(1 of 2 done, \d+s elapsed: waiting [12] s for )"
                                            R"(the rate limit; creating 'Beta' \(\d+s\))")));
    CHECK_FALSE(contains(out, "Gamma"));
    // Erased at the end: the last bytes written.
    CHECK(out.size() >= 4);
    CHECK(out.substr(out.size() - 4) == "\r\x1b[K");
}

TEST_CASE("without a status line an action in flight is logged every interval, with no "
          "carriage return",
          "[cli][progress]") {
    auto sink = std::make_shared<TextSink>();
    auto logger = std::make_shared<spdlog::logger>("pipe", sink);
    logger->set_pattern("%l: %v");
    const DefaultLogger installed(logger);
    const auto plan = two_creates();
    cli::Progress progress(std::chrono::milliseconds(20));
    progress.start(plan);
    progress.update(plan.actions[1], false);
    // Read under the sink's lock: the watcher thread is logging meanwhile.
    for (int i = 0; i < 500 && !contains(sink->text(), "still creating"); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    progress.rate_limit_wait({std::chrono::milliseconds(9900), "updating key 1", false, false});
    progress.finish();
    const std::string out = sink->text();
    INFO(out);
    CHECK(contains(out, "info: still creating 'Beta' ("));
    CHECK(contains(out, "elapsed; 0 of 2 done)\n"));
    CHECK(contains(out, "info: waiting 9.9 s for the rate limit before updating key 1, 0 of 2 "
                        "done\n"));
    CHECK_FALSE(contains(out, "\r"));
}
