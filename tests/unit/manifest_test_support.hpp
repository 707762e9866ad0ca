#pragma once
// Helpers shared by the manifest loader tests: an in-memory environment, a valid manifest to
// mutate, and checks that find a diagnostic by message and compare its position.

#include "provision/manifest/manifest.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <string>

namespace manifest_test {

namespace fs = std::filesystem;
using namespace provision::manifest;
using provision::core::Diagnostic;
using provision::core::Severity;

inline const fs::path k_file = "/srv/infra/manifests/bots.yaml";

inline EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        const auto found = vars.find(name);
        return found == vars.end() ? std::nullopt : std::optional<std::string>(found->second);
    };
}

inline EnvLookup test_env() {
    return env_of({{"DOCSPACE_URL", "https://portal.example.com"},
                   {"DOCSPACE_TOKEN", "session-token-for-tests"}});
}

inline LoadResult load(std::string_view text) {
    return load_manifest_text(text, k_file, test_env());
}

inline std::string all_messages(const LoadResult& result) {
    std::string out;
    for (const auto& d : result.diagnostics) {
        out += provision::core::format_diagnostic(d) + "\n";
    }
    return out;
}

/// The one error diagnostic whose message contains `text`; fails the test when absent.
inline Diagnostic error_with(const LoadResult& result, const std::string& text) {
    INFO(all_messages(result));
    for (const auto& d : result.diagnostics) {
        if (d.severity == Severity::error && d.message.find(text) != std::string::npos) {
            return d;
        }
    }
    FAIL("no error mentions: " << text);
    return {};
}

inline void check_error_at(const LoadResult& result, const std::string& text, int line,
                           int column) {
    CHECK_FALSE(result.manifest.has_value());
    const Diagnostic d = error_with(result, text);
    CHECK(d.line == line);
    CHECK(d.column == column);
    CHECK(d.file == k_file.string());
}

inline const std::string k_valid = R"(version: 1
portal:
  url: ${DOCSPACE_URL}
  token: ${DOCSPACE_TOKEN}
outputs:
  - path: ../secrets/bots.env
    format: dotenv
keys:
  - name: Integration Bot
    permissions: [files:read, files:write]
    expiresInDays: 30
)";

}  // namespace manifest_test
