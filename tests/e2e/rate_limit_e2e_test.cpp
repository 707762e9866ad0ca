// The portal's create limit (5 per 15 minutes per user on real portals; 2 per 2 s here): a long
// apply waits out each 429's Retry-After, says on stderr what it waits for and how many keys are
// created, and completes with exactly one key per entry.

#include "e2e_support.hpp"

#include <regex>

using namespace e2e;

TEST_CASE("with the create limit on, apply waits out every 429 and creates each key exactly once",
          "[e2e][ratelimit]") {
    Emulator emu({"--rate-limit", "--rate-limit-count", "2", "--rate-limit-window", "2"});
    std::string manifest = R"(version: 1
portal:
  url: ${DOCSPACE_URL}
  token: ${DOCSPACE_TOKEN}
outputs:
  - path: ../secrets/bots.env
    format: dotenv
keys:
)";
    for (int i = 1; i <= 5; ++i) {
        manifest += "  - name: Bot " + std::to_string(i) +
                    "\n    permissions: [files:read]\n    expiresInDays: 30\n";
    }
    Project project(emu, manifest);
    const auto applied = project.command("apply");
    INFO(applied.err);
    CHECK(applied.exit_code == 0);
    // Every wait in one style, with how far the run has got (docs/network.md, "Rate limits").
    const std::regex wait_line(R"(info: waiting \d+\.\d s for the rate limit( \(429\))? before )"
                               R"(creating 'Bot [1-5]'( again)?, [0-5] of 5 created)");
    int waits = 0;
    std::istringstream lines(applied.err);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("for the rate limit") != std::string::npos) {
            INFO(line);
            CHECK(std::regex_match(line, wait_line));
            ++waits;
        }
    }
    CHECK(waits >= 1);
    CHECK(applied.err.find("for the rate limit (429) before creating") != std::string::npos);

    int created = 0;
    int limited = 0;
    for (const auto& r : emu.requests()) {
        if (r.at("method") == "POST" && r.at("path") == "/api/2.0/keys") {
            created += r.at("status") == 200 ? 1 : 0;
            limited += r.at("status") == 429 ? 1 : 0;
        }
    }
    CHECK(created == 5);
    CHECK(limited >= 1);
    CHECK(emu.state().at("keys").size() == 5);
    CHECK(project.command("plan", {"--detailed-exitcode"}).exit_code == 0);
}
