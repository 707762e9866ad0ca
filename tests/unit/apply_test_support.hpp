#pragma once
// Shared set-up for the apply module's unit tests (executor, reconciliation): a manifest in a
// fresh temporary directory with one dotenv output, run against the in-memory FakeKeysApi.

#include "provision/manifest/manifest.hpp"

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace apply_test {

namespace fs = std::filesystem;
using namespace provision;

/// A new, empty directory under the temporary directory, unique within this process.
inline fs::path fresh_dir(const std::string& prefix) {
    static int counter = 0;
    const fs::path dir = fs::temp_directory_path() /
                         (prefix + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir);
    return dir;
}

/// A manifest in `dir` (bots.yaml, its state beside it) with one dotenv output
/// (secrets/bots.env) and no keys.
inline manifest::Manifest manifest_in(const fs::path& dir) {
    manifest::Manifest manifest;
    manifest.file = dir / "bots.yaml";
    manifest.state_path = dir / "bots.state.json";
    manifest.portal.url = "http://127.0.0.1:1";
    manifest::OutputSpec out;
    out.path = dir / "secrets" / "bots.env";
    out.path_as_written = "secrets/bots.env";
    out.format = manifest::OutputFormat::dotenv;
    manifest.outputs.push_back(out);
    return manifest;
}

inline void add_key(manifest::Manifest& manifest, const std::string& name,
                    const std::vector<std::string>& scopes, std::optional<int> days) {
    manifest::KeySpec key;
    key.name = name;
    key.permissions = core::Scopes::from_list(scopes);
    key.expires_in_days = days;
    key.env = manifest::default_env_name(name);
    manifest.keys.push_back(key);
}

}  // namespace apply_test
