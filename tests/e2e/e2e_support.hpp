#pragma once
// Shared set-up for end-to-end tests: a project directory with a manifest, a real emulator,
// and the real provision binary run with the portal URL and token in its environment.

#include "emulator_fixture.hpp"
#include "process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace e2e {

namespace fs = std::filesystem;
using test_support::Emulator;
using test_support::ProcessResult;
using test_support::RunOptions;
using test_support::TempDir;

/// The worked example's shape: three keys, a dotenv and a JSON output.
inline const char* const k_bots_manifest = R"(version: 1
portal:
  url: ${DOCSPACE_URL}
  token: ${DOCSPACE_TOKEN}
outputs:
  - path: ../secrets/bots.env
    format: dotenv
  - path: ../secrets/bots.json
    format: json
keys:
  - name: Integration Bot
    permissions: [files:read, files:write, rooms:read, rooms:write]
    expiresInDays: 30
    env: INTEGRATION_BOT_API_KEY
  - name: Backup Agent
    permissions: [files:read, rooms:read]
    expiresInDays: 90
  - name: Audit Reader
    permissions: ["*:read"]
    expiresInDays: never
)";

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

struct Project {
    Emulator& emulator;
    TempDir dir;
    fs::path manifest;

    explicit Project(Emulator& emu, const std::string& manifest_text = k_bots_manifest)
        : emulator(emu), manifest(dir.path() / "manifests" / "bots.yaml") {
        write_text(manifest, manifest_text);
    }

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
            {"/bin/bash", "-c", "set -a; source \"$0\"; printf %s \"${" + name + "}\"", file.string()});
        REQUIRE(r.exit_code == 0);
        values[name] = r.out;
    }
    return values;
}

/// The key object GET /api/2.0/keys/@self returns for `secret`, or a status on failure.
inline test_support::HttpResult self_with(const Emulator& emu, const std::string& secret) {
    return emu.get("/api/2.0/keys/@self", "Bearer " + secret);
}

}  // namespace e2e
