// A run killed between writing a temporary file and renaming it leaves a 0600 file that may
// hold secrets (of keys since revoked). The next run under the lock removes exactly its own.

#include "e2e_support.hpp"

#include <csignal>

using namespace e2e;

namespace {

/// True when a line of `log` reports the removal of a file named `name`.
bool logged_removal(const std::string& log, const std::string& name) {
    std::istringstream lines(log);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.find("removed leftover temporary file ") != std::string::npos &&
            line.size() >= name.size() &&
            line.compare(line.size() - name.size(), name.size(), name) == 0) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("apply removes the temporary files a killed run left, and only those",
          "[e2e][leftovers]") {
    Emulator emu;
    Project project(emu);
    // A real leftover: killed just after the first temporary file of the run was written.
    auto crash = project.env();
    crash.env["PROVISION_CRASH_AT"] = "after_temp_file";
    const auto killed = project.run({"apply", project.manifest.string()}, crash);
    REQUIRE(killed.signal == SIGKILL);
    std::vector<fs::path> leftovers;
    for (const auto& dir : {project.secrets(""), project.manifest.parent_path()}) {
        if (fs::is_directory(dir)) {
            for (const auto& file : fs::directory_iterator(dir)) {
                if (file.path().filename().string().find(".tmp-") != std::string::npos) {
                    leftovers.push_back(file.path());
                }
            }
        }
    }
    REQUIRE(leftovers.size() == 1);
    // And the others the tool can leave, made by hand.
    for (const std::string name :
         {".bots.env.tmp-abcdefghij", ".bots.json.tmp-0123456789",
          ".bots.env.provision-probe-4242-7-a", ".bots.json.provision-probe-4242-8-b"}) {
        write_text(project.secrets(name), "INTEGRATION_BOT_API_KEY='sk-revoked'\n");
        leftovers.push_back(project.secrets(name));
    }
    write_text(project.manifest.parent_path() / ".bots.state.json.tmp-qwertyuiop", "{}");
    leftovers.push_back(project.manifest.parent_path() / ".bots.state.json.tmp-qwertyuiop");
    const std::vector<fs::path> look_alikes = {project.secrets(".bots.env.tmp-short"),
                                               project.secrets(".other.env.tmp-abcdefghij"),
                                               project.secrets("notes.tmp-abcdefghij")};
    for (const auto& path : look_alikes) {
        write_text(path, "mine\n");
    }

    const auto applied =
        project.run({"--log-level", "debug", "apply", project.manifest.string()}, project.env());
    INFO(applied.out << applied.err);
    REQUIRE(applied.exit_code == 0);
    for (const auto& path : leftovers) {
        INFO(path.string());
        CHECK_FALSE(fs::exists(path));
        CHECK(logged_removal(applied.err, "/" + path.filename().string()));
    }
    for (const auto& path : look_alikes) {
        INFO(path.string());
        CHECK(read_text(path) == "mine\n");
        CHECK(applied.err.find(path.filename().string()) == std::string::npos);
    }
    for (const auto& path : look_alikes) {
        fs::remove(path);
    }
    check_no_leftovers(project);
    check_converged(emu, project);
}

TEST_CASE("a run that takes no lock leaves temporary files alone", "[e2e][leftovers]") {
    Emulator emu;
    Project project(emu);
    REQUIRE(project.command("apply").exit_code == 0);
    write_text(project.secrets(".bots.env.tmp-abcdefghij"), "x\n");
    CHECK(project.command("plan").exit_code == 0);
    // plan may run beside an apply, whose temporary file this could be.
    CHECK(fs::exists(project.secrets(".bots.env.tmp-abcdefghij")));
}
