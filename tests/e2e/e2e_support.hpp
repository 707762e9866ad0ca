#pragma once
// Shared set-up for end-to-end tests: a project directory with a manifest, a real emulator,
// and the real provision binary run with the portal URL and token in its environment.

#include "emulator_fixture.hpp"
#include "leak_collect.hpp"
#include "process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace e2e {

namespace fs = std::filesystem;
using test_support::Emulator;
using test_support::ProcessResult;
using test_support::RunOptions;
using test_support::TempDir;

/// The worked example's entries, and the dotenv variables holding their secrets, in order.
inline const std::vector<std::string> k_bot_names = {"Integration Bot", "Backup Agent",
                                                     "Audit Reader"};
inline const std::vector<std::string> k_bot_vars = {"INTEGRATION_BOT_API_KEY",
                                                    "BACKUP_AGENT_API_KEY", "AUDIT_READER_API_KEY"};

inline std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << text;
}

/// The worked example itself, manifests/bots.yaml (tests/CMakeLists.txt passes its path as
/// BOTS_MANIFEST): three keys, a dotenv and a JSON output. Tests that need a variation edit
/// this text, so the example and the tests cannot drift apart.
inline std::string bots_manifest() {
    const std::string text = read_text(BOTS_MANIFEST);
    if (text.empty()) {
        throw std::runtime_error(std::string("cannot read ") + BOTS_MANIFEST);
    }
    return text;
}

/// The worked example with `outputs` (YAML list items, each line ending in a newline) added
/// after its own outputs, or in their place when `replace` is true.
inline std::string bots_manifest_with_outputs(const std::string& outputs, bool replace = false) {
    const std::string text = bots_manifest();
    const std::string list = "\noutputs:\n";
    const auto first = text.find(list);
    const auto keys = text.find("\nkeys:\n");
    if (first == std::string::npos || keys == std::string::npos || keys < first) {
        throw std::runtime_error("manifests/bots.yaml no longer has `outputs:` before `keys:`");
    }
    return text.substr(0, replace ? first + list.size() : keys) + outputs + text.substr(keys);
}

struct Project {
    Emulator& emulator;
    TempDir dir;
    fs::path manifest;

    explicit Project(Emulator& emu, const std::string& manifest_text = bots_manifest())
        : emulator(emu), manifest(dir.path() / "manifests" / "bots.yaml") {
        write_text(manifest, manifest_text);
    }
    /// Leaves the state, journal and every other file but the secret outputs to the leak check.
    ~Project() { test_support::leak::keep_files(dir.path(), {"secrets", ".git"}); }
    Project(const Project&) = delete;
    Project& operator=(const Project&) = delete;

    fs::path secrets(const std::string& name) const { return dir.path() / "secrets" / name; }
    fs::path state_file() const { return dir.path() / "manifests" / "bots.state.json"; }

    RunOptions env() const {
        RunOptions o;
        o.env["DOCSPACE_URL"] = emulator.url();
        o.env["DOCSPACE_TOKEN"] = Emulator::owner_token();
        o.cwd = dir.path();
        return o;
    }

    ProcessResult run(std::vector<std::string> args, RunOptions options) const {
        args.insert(args.begin(), test_support::provision_binary());
        return test_support::run_process(args, options);
    }
    ProcessResult run(std::vector<std::string> args) const { return run(std::move(args), env()); }

    /// `provision <command> <manifest> [extra...]`
    ProcessResult command(const std::string& name, std::vector<std::string> extra = {}) const {
        std::vector<std::string> args{name, manifest.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return run(args);
    }

    int posts() const { return emulator.count_requests("POST", "/api/2.0/keys"); }
};

/// Parses a dotenv output with bash itself: `source` it and print the variables.
inline std::map<std::string, std::string> source_dotenv(const fs::path& file,
                                                        const std::vector<std::string>& names) {
    std::map<std::string, std::string> values;
    for (const auto& name : names) {
        const auto r = test_support::run_process(
            {"/bin/bash", "-c", "set -a; source \"$0\"; printf %s \"${" + name + "}\"",
             file.string()});
        REQUIRE(r.exit_code == 0);
        values[name] = r.out;
    }
    return values;
}

/// The key object GET /api/2.0/keys/@self returns for `secret`, or a status on failure.
inline test_support::HttpResult self_with(const Emulator& emu, const std::string& secret) {
    return emu.get("/api/2.0/keys/@self", "Bearer " + secret);
}

inline unsigned mode_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 0777U;
}

/// Every output of the worked example that exists is complete and private, and no temporary
/// file is left where a reader could mistake it for an output.
inline void check_outputs_intact(const Project& project) {
    for (const std::string name : {"bots.env", "bots.json"}) {
        const auto path = project.secrets(name);
        if (!fs::exists(path)) {
            continue;
        }
        CHECK(mode_of(path) == 0600U);
        if (name == "bots.json") {
            CHECK_NOTHROW(nlohmann::json::parse(read_text(path)));
        } else {
            CHECK(test_support::run_process({"/bin/bash", "-n", path.string()}).exit_code == 0);
        }
    }
    if (fs::is_directory(project.secrets(""))) {
        for (const auto& file : fs::directory_iterator(project.secrets(""))) {
            const auto name = file.path().filename().string();
            CHECK((name == "bots.env" || name == "bots.json" ||
                   name.find(".tmp-") != std::string::npos));
        }
    }
}

/// No temporary file of an atomic write (`.tmp-`) or of the output probe (`provision-probe`) is
/// left in the project's secrets and manifests directories: each may hold secrets.
inline void check_no_leftovers(const Project& project) {
    for (const auto& dir : {project.secrets(""), project.manifest.parent_path()}) {
        if (!fs::is_directory(dir)) {
            continue;
        }
        for (const auto& file : fs::directory_iterator(dir)) {
            const auto name = file.path().filename().string();
            INFO("left in " << dir.string() << ": " << name);
            CHECK(name.find(".tmp-") == std::string::npos);
            CHECK(name.find("provision-probe") == std::string::npos);
        }
    }
}

/// Requests that reached the portal's API (every /api/ path), as opposed to the test controls.
inline int api_requests(const Emulator& emu) {
    const auto all = emu.requests();
    return static_cast<int>(std::count_if(all.begin(), all.end(), [](const auto& r) {
        return r.at("path").template get<std::string>().rfind("/api/", 0) == 0;
    }));
}

/// The end state of a worked-example project after a clean run: the portal holds exactly one
/// key per entry, active, and nothing else (no orphan, no duplicate); both outputs hold each
/// entry's secret, and it authenticates as that key; the state file records exactly those
/// keys; planning again shows no changes.
inline void check_converged(const Emulator& emu, const Project& project) {
    const auto portal = emu.state();
    std::map<std::string, nlohmann::json> key_of;  // entry name -> portal key
    for (const auto& key : portal.at("keys")) {
        const std::string name = key.at("name").get<std::string>();
        INFO("portal key '" << name << "' id " << key.at("id"));
        CHECK(key.at("isActive").get<bool>());
        CHECK(std::count(k_bot_names.begin(), k_bot_names.end(), name) == 1);
        CHECK(key_of.count(name) == 0);
        key_of[name] = key;
    }
    CHECK(portal.at("keys").size() == k_bot_names.size());
    check_outputs_intact(project);
    const auto values = source_dotenv(project.secrets("bots.env"), k_bot_vars);
    const auto json = nlohmann::json::parse(read_text(project.secrets("bots.json")));
    const auto state = nlohmann::json::parse(read_text(project.state_file()));
    for (std::size_t i = 0; i < k_bot_names.size(); ++i) {
        INFO("entry " << k_bot_names[i]);
        const auto found = key_of.find(k_bot_names[i]);
        const std::string id =
            found == key_of.end() ? "" : found->second.at("id").get<std::string>();
        const std::string& secret = values.at(k_bot_vars[i]);
        CHECK(json.at("keys").at(k_bot_vars[i]).at("secret") == secret);
        const auto self = self_with(emu, secret);
        REQUIRE(self.status == 200);
        CHECK(self.json().at("response").at("id") == id);
        CHECK(std::count_if(state.at("keys").begin(), state.at("keys").end(), [&](const auto& r) {
                  return r.at("entry") == k_bot_names[i] && r.at("id") == id;
              }) == 1);
    }
    CHECK(state.at("keys").size() == k_bot_names.size());
    const auto plan = project.command("plan", {"--detailed-exitcode"});
    INFO(plan.out << plan.err);
    CHECK(plan.exit_code == 0);
}

/// Waits until fault rule `id` has fired at least once (a rule with a limited count is removed
/// once spent): the request it delays is then in flight, whatever the machine's speed.
inline void wait_until_fired(const Emulator& emu, const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        const auto rules = emu.request("GET", "/__emulator/faults").json();
        const bool pending = std::any_of(rules.begin(), rules.end(), [&](const auto& rule) {
            return rule.at("id") == id && rule.at("fired").template get<int>() == 0;
        });
        if (!pending) {
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL("fault rule " << id << " never fired");
}

}  // namespace e2e
