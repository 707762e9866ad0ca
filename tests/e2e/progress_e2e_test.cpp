// Progress of a run (src/cli/progress.hpp): on a terminal, a live status line redrawn in place
// and erased before every log line, so the two never share a line, and never a secret in it;
// without a terminal no carriage return at all, and every 10 s a line for an action in flight.
// The terminal is a real pseudo-terminal: script(1) runs provision on one and copies every byte
// provision writes to it (stdout and stderr, in the order written).

#include "lifecycle_support.hpp"

#include <regex>

using namespace e2e;

namespace {

constexpr std::string_view k_erase = "\r\x1b[K";

/// `provision <args...>` on a pseudo-terminal (stdin, stdout and stderr), TERM=xterm and 200
/// columns: the
/// bytes the terminal received, with the terminal's "\r\n" for each newline turned back into
/// "\n" (a lone "\r" is provision's own).
ProcessResult on_pty(const Project& project, const std::vector<std::string>& args) {
    std::string line = test_support::provision_binary();
    for (const auto& arg : args) {
        line += " '" + arg + "'";
    }
    auto env = project.env();
    env.env["TERM"] = "xterm";
    env.env["COLUMNS"] = "200";  // script(1) gives its terminal no size without one of its own
    env.unset_env.push_back("NO_COLOR");
    env.stdin_text = "\n";
    auto r = test_support::run_process({"/usr/bin/script", "-qec", line, "/dev/null"}, env);
    std::string out;
    for (std::size_t i = 0; i < r.out.size(); ++i) {
        if (r.out.compare(i, 2, "\r\n") == 0) {
            continue;  // the "\n" follows
        }
        out += r.out[i];
    }
    r.out = out;
    return r;
}

/// Every create (or, with `times` 1, the first) answers after `ms` milliseconds.
void slow_creates(Emulator& emu, int ms, int times) {
    emu.add_fault({{"method", "POST"},
                   {"path", "/api/2.0/keys"},
                   {"action", "latency"},
                   {"latencyMs", ms},
                   {"times", times}});
}

/// What each finished line of `bytes` shows on the screen: a "\r" goes back to the start of
/// the line and "\x1b[K" erases the rest, so a line shows what follows its last "\r".
std::vector<std::string> finished_lines(const std::string& bytes) {
    std::vector<std::string> lines;
    std::istringstream in(bytes);
    for (std::string line; std::getline(in, line);) {
        const auto cr = line.rfind('\r');
        std::string shown = cr == std::string::npos ? line : line.substr(cr + 1);
        if (shown.rfind("\x1b[K", 0) == 0) {
            shown.erase(0, 3);
        }
        lines.push_back(shown);
    }
    return lines;
}

/// The positions of every status line drawn in `bytes` ("N of M done, Ts elapsed...").
std::vector<std::size_t> status_draws(const std::string& bytes) {
    static const std::regex status(R"(\d+ of \d+ done, \d+s elapsed)");
    std::vector<std::size_t> at;
    for (auto it = std::sregex_iterator(bytes.begin(), bytes.end(), status);
         it != std::sregex_iterator(); ++it) {
        at.push_back(static_cast<std::size_t>(it->position()));
    }
    return at;
}

}  // namespace

TEST_CASE("on a terminal a live line shows the creates in flight, redrawn in place and erased "
          "before every log line and at the end, without a secret",
          "[e2e][cli][progress]") {
    Emulator emu;
    Project project(emu);
    // Every create answers after 1.5 s: one at a time, each is in flight across several draws.
    slow_creates(emu, 1500, 0);
    const auto r = on_pty(project, {"apply", project.manifest.string(), "--concurrency", "1",
                                    "--log-level", "debug", "--no-color"});
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    check_converged(emu, project);

    // The live line: n of N done, the elapsed time, the action in flight with its own time.
    const std::regex first_create(
        R"(0 of 3 done, \d+s elapsed: creating 'Integration Bot' \(\d+s\))");
    CHECK(std::regex_search(r.out, first_create));
    const std::regex later(R"(2 of 3 done, \d+s elapsed: creating 'Audit Reader' \(\d+s\))");
    CHECK(std::regex_search(r.out, later));
    // Drawn in place: every draw first goes back to the start of the line and erases it, or
    // starts on the fresh line below a log line.
    const auto draws = status_draws(r.out);
    CHECK(draws.size() >= 6);  // at least as each create starts and ends
    for (const auto at : draws) {
        REQUIRE(at >= k_erase.size());
        CHECK((r.out.compare(at - k_erase.size(), k_erase.size(), k_erase) == 0 ||
               r.out[at - 1] == '\n'));
    }
    // Never left on a finished line: erased before each log line and before the report.
    int log_lines = 0;
    for (const auto& line : finished_lines(r.out)) {
        INFO(line);
        CHECK_FALSE(contains(line, " done, "));
        log_lines += line.rfind("debug: ", 0) == 0 || line.rfind("info: ", 0) == 0 ? 1 : 0;
    }
    CHECK(log_lines >= 3);
    // Log lines came while the line was shown ("created" as each create is answered): the
    // line was erased for them and drawn again after them.
    const auto first = draws.front();
    const auto last = draws.back();
    const auto created = r.out.find("info: created 'Integration Bot'", first);
    REQUIRE(created != std::string::npos);
    CHECK(created < last);
    CHECK(r.out.compare(created - k_erase.size(), k_erase.size(), k_erase) == 0);
    const auto report = r.out.find("Apply complete: 3 created");
    REQUIRE(report != std::string::npos);
    CHECK(last < report);
    CHECK(r.out.rfind(k_erase, report) > last);
    check_no_secret(emu, r.out);
}

TEST_CASE("on a terminal a wait for the rate limit shows on the live line and is logged with "
          "the counts",
          "[e2e][cli][progress][ratelimit]") {
    Emulator emu;
    Project project(emu);
    emu.add_fault({{"method", "POST"},
                   {"path", "/api/2.0/keys"},
                   {"action", "rate_limit"},
                   {"retryAfter", 2},
                   {"times", 1}});
    const auto r =
        on_pty(project, {"apply", project.manifest.string(), "--concurrency", "1", "--no-color"});
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    CHECK(std::regex_search(
        r.out, std::regex(R"(0 of 3 done, \d+s elapsed: waiting [12] s for the rate limit; )"
                          R"(creating 'Integration Bot' \(\d+s\))")));
    bool logged = false;
    for (const auto& line : finished_lines(r.out)) {
        logged = logged || line == "info: waiting 2.0 s for the rate limit (429) before creating "
                                   "'Integration Bot' again, 0 of 3 created";
    }
    CHECK(logged);
    check_no_secret(emu, r.out);
}

TEST_CASE("without a terminal there is no live line: no carriage return, no erase",
          "[e2e][cli][progress]") {
    Emulator emu;
    Project project(emu);
    slow_creates(emu, 1500, 1);
    auto env = project.env();
    env.env["TERM"] = "xterm";  // a terminal type, but stderr is a pipe
    const auto r = project.run({"apply", project.manifest.string(), "--log-level", "debug"}, env);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.err, "debug: "));
    CHECK_FALSE(contains(r.out + r.err, "\r"));
    CHECK_FALSE(contains(r.out + r.err, "\x1b[K"));
    CHECK(status_draws(r.err).empty());

    // A terminal that cannot erase a line (TERM=dumb) gets no live line either.
    Emulator other;
    Project dumb(other);
    std::string line = test_support::provision_binary() + " apply '" + dumb.manifest.string() + "'";
    auto dumb_env = dumb.env();
    dumb_env.env["TERM"] = "dumb";
    dumb_env.stdin_text = "\n";
    const auto on_dumb =
        test_support::run_process({"/usr/bin/script", "-qec", line, "/dev/null"}, dumb_env);
    INFO(on_dumb.out);
    CHECK(on_dumb.exit_code == 0);
    CHECK_FALSE(contains(on_dumb.out, "\x1b[K"));
    CHECK(status_draws(on_dumb.out).empty());
}

TEST_CASE("a create in flight is not silent: every 10 s a line says it is still running",
          "[e2e][cli][progress]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest());
    // The first create answers after 11 s; the run says so once, at 10 s.
    slow_creates(emu, 11000, 1);
    const auto r = project.command("apply");
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.err, "info: still creating 'Integration Bot' (10s elapsed; 0 of 1 done)"));
    CHECK_FALSE(contains(r.err, "(20s elapsed"));
}
