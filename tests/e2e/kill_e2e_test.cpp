// Crash safety (reliability C.6-C.8): provision is killed with SIGKILL at named crash points
// and at random moments while it creates keys against an emulator with added latency. After
// every kill each output parses completely with mode 0600; after one clean run the portal holds
// exactly one active key per entry, no orphans, and every secret in the outputs authenticates.
// PROVISION_KILL_ITERATIONS sets the number of random kills (default 6; scripts/kill-test runs
// many more). Every scenario runs one by one (--concurrency 1) and with several requests in
// flight (--concurrency 4): concurrency may change wall time, never the result.

#include "e2e_support.hpp"

#include <csignal>
#include <cstdlib>
#include <random>
#include <thread>

using namespace e2e;

namespace {

void add_latency(const Emulator& emu, int ms) {
    emu.add_fault({{"method", "*"}, {"path", "/api/2.0/*"}, {"action", "latency"},
                   {"latencyMs", ms}, {"times", 0}});
}

int iterations() {
    if (const char* text = std::getenv("PROVISION_KILL_ITERATIONS")) {
        return std::max(1, std::atoi(text));
    }
    return 6;
}

}  // namespace

TEST_CASE("a SIGKILL at any named crash point loses no secret and leaves no orphan after one more run", "[e2e][kill]") {
    for (const std::string point : {"before_post", "after_response", "after_temp_file",
                                    "after_rename", "after_outputs", "after_state"})
    for (const int concurrency : {1, 4}) {
        DYNAMIC_SECTION("crash point " << point << ", concurrency " << concurrency) {
            Emulator emu;
            add_latency(emu, 20);  // several creates are in flight when one of them crashes
            Project project(emu);
            auto options = project.env();
            options.env["PROVISION_CRASH_AT"] = point;
            const auto killed = project.run({"apply", project.manifest.string(), "--concurrency",
                                             std::to_string(concurrency)},
                                            options);
            CHECK(killed.signal == SIGKILL);
            check_outputs_intact(project);

            const auto clean = project.command("apply");
            INFO(clean.out << clean.err);
            CHECK(clean.exit_code == 0);
            check_outputs_intact(project);
            check_converged(emu, project);
        }
    }
}

TEST_CASE("SIGKILL at random moments during applies never loses a secret or leaves an orphan", "[e2e][kill]") {
    Emulator emu({"--threads", "16"});
    add_latency(emu, 40);
    Project project(emu);
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> delay_ms(0, 600);
    const int n = iterations();
    for (int i = 0; i < n; ++i) {
        const int delay = delay_ms(rng);
        const std::string concurrency = i % 2 == 0 ? "4" : "1";
        INFO("iteration " << i << ", kill after " << delay << " ms, concurrency " << concurrency);
        test_support::ChildProcess child({test_support::provision_binary(), "apply", project.manifest.string(),
                                          "--concurrency", concurrency},
                                         project.env(), project.dir / ("out-" + std::to_string(i)),
                                         project.dir / ("err-" + std::to_string(i)));
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        child.signal(SIGKILL);
        REQUIRE(child.wait(std::chrono::seconds(30)).has_value());
        check_outputs_intact(project);
    }
    const auto clean = project.command("apply");
    INFO(clean.out << clean.err);
    CHECK(clean.exit_code == 0);
    check_converged(emu, project);
}

TEST_CASE("a first SIGTERM or SIGINT lets the requests in flight finish, persists them and exits 143 or 130", "[e2e][kill]") {
    for (const int sig : {SIGTERM, SIGINT})
    for (const int concurrency : {1, 4}) {
        DYNAMIC_SECTION("signal " << sig << ", concurrency " << concurrency) {
            Emulator emu({"--threads", "8"});
            // Every create takes 1.5 s; the signal is sent once the first POST is in flight.
            const auto slow = emu.add_fault({{"method", "POST"}, {"path", "/api/2.0/keys"},
                                             {"action", "latency"}, {"latencyMs", 1500}, {"times", 0}});
            Project project(emu);
            test_support::ChildProcess child({test_support::provision_binary(), "apply", project.manifest.string(),
                                              "--concurrency", std::to_string(concurrency)},
                                             project.env(), project.dir / "out", project.dir / "err");
            wait_until_fired(emu, slow);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            child.signal(sig);
            const auto code = child.wait(std::chrono::seconds(30));
            REQUIRE(code.has_value());
            CHECK(*code == (sig == SIGTERM ? 143 : 130));
            check_outputs_intact(project);
            // Every key the portal holds is one whose secret was saved: nothing was lost.
            const auto state = emu.state();
            const auto values = source_dotenv(project.secrets("bots.env"), k_bot_vars);
            for (const auto& key : state.at("keys")) {
                bool saved = false;
                for (const auto& [var, value] : values) {
                    saved = saved || value == key.at("secret").get<std::string>();
                }
                CHECK(saved);
            }
            // The creates in flight (one, or all three at once), and no new work after them.
            CHECK(state.at("keys").size() == (concurrency == 1 ? 1U : 3U));
            CHECK(project.posts() == static_cast<int>(state.at("keys").size()));
            const auto clean = project.command("apply");
            CHECK(clean.exit_code == 0);
            check_converged(emu, project);
        }
    }
}

TEST_CASE("a second signal aborts the create in flight, leaves its intent pending and the next run revokes what it made", "[e2e][kill]") {
  for (const int concurrency : {1, 4}) {
   DYNAMIC_SECTION("concurrency " << concurrency) {
    Emulator emu;
    // Only creates are slow: the signals land while the first POST is in flight. libcurl polls
    // the abort about once a second, so the create lasts long enough for that.
    const auto slow = emu.add_fault({{"method", "POST"}, {"path", "/api/2.0/keys"},
                                     {"action", "latency"}, {"latencyMs", 3000}, {"times", 1}});
    Project project(emu);
    test_support::ChildProcess child({test_support::provision_binary(), "apply", project.manifest.string(),
                                      "--concurrency", std::to_string(concurrency)},
                                     project.env(), project.dir / "out", project.dir / "err");
    wait_until_fired(emu, slow);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    child.signal(SIGINT);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    child.signal(SIGINT);
    const auto code = child.wait(std::chrono::seconds(30));
    REQUIRE(code.has_value());
    // Had the POST not been aborted, its answer would have been saved and the exit 130.
    CHECK(*code == 6);
    check_outputs_intact(project);
    const auto journal = read_text(project.state_file().string() + ".journal");
    CHECK(journal.find("\"op\":\"intent\"") != std::string::npos);

    // The emulator commits the aborted create once its latency is over; then settle it.
    std::this_thread::sleep_for(std::chrono::milliseconds(3000));
    // Logged once the emulator finished it; with concurrency the other two (fast) creates ran
    // beside it and were saved.
    CHECK(project.posts() == (concurrency == 1 ? 1 : 3));
    const auto clean = project.command("apply");
    INFO(clean.out << clean.err);
    CHECK(clean.exit_code == 0);
    CHECK(clean.err.find("revoked orphan key") != std::string::npos);
    check_converged(emu, project);
   }
  }
}

TEST_CASE("a create the portal commits after the next run already found nothing is revoked by a later run", "[e2e][kill]") {
    Emulator emu;
    // The first create is held for 5 s; the client aborts it (two signals) long before.
    const auto slow = emu.add_fault({{"method", "POST"}, {"path", "/api/2.0/keys"},
                                     {"action", "latency"}, {"latencyMs", 5000}, {"times", 1}});
    Project project(emu);
    test_support::ChildProcess child({test_support::provision_binary(), "apply", project.manifest.string(),
                                      "--concurrency", "1"},
                                     project.env(), project.dir / "out", project.dir / "err");
    wait_until_fired(emu, slow);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    child.signal(SIGINT);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    child.signal(SIGINT);
    const auto code = child.wait(std::chrono::seconds(30));
    REQUIRE(code.has_value());
    CHECK(*code == 6);

    // The next run comes while the portal still holds the aborted create: no key matches the
    // intent yet, so it creates all three entries and keeps watching the intent.
    const auto early = project.command("apply");
    INFO(early.out << early.err);
    CHECK(early.exit_code == 0);
    CHECK(early.err.find("revoked orphan key") == std::string::npos);
    CHECK(project.posts() == 3);  // the held POST is logged only once the emulator finishes it
    const auto journal = read_text(project.state_file().string() + ".journal");
    CHECK(journal.find("\"op\":\"intent\"") != std::string::npos);

    // The portal then commits the aborted create: a live key nobody holds the secret of.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (project.posts() < 4 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(project.posts() == 4);
    std::size_t live = 0;
    const auto portal = emu.state();
    for (const auto& key : portal.at("keys")) {
        live += key.at("isActive").get<bool>() ? 1U : 0U;
    }
    CHECK(live == 4);

    // The following run finds it through the watched intent and revokes it.
    const auto later = project.command("apply");
    INFO(later.out << later.err);
    CHECK(later.exit_code == 0);
    CHECK(later.err.find("revoked orphan key") != std::string::npos);
    check_converged(emu, project);
}
