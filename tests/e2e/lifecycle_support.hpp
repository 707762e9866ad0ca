#pragma once
// Helpers for the lifecycle end-to-end tests: a one- or two-key manifest with chosen rotation
// policies, the emulator's view of a key by name, ISO times relative to now for the emulator's
// time-travel control, and the "a second plan shows no changes" check.

#include "e2e_support.hpp"

#include <chrono>
#include <ctime>
#include <thread>

namespace e2e {

/// One key, "Integration Bot", 30 days, into ../secrets/bots.env, with the given policy lines
/// under `defaults:` (may be empty).
inline std::string lifecycle_manifest(const std::string& defaults = "",
                                      const std::string& extra_key_lines = "") {
    std::string text = "version: 1\n"
                       "portal:\n"
                       "  url: ${DOCSPACE_URL}\n"
                       "  token: ${DOCSPACE_TOKEN}\n"
                       "outputs:\n"
                       "  - path: ../secrets/bots.env\n"
                       "    format: dotenv\n";
    if (!defaults.empty()) {
        text += "defaults:\n" + defaults;
    }
    text += "keys:\n"
            "  - name: Integration Bot\n"
            "    permissions: [files:read, rooms:read]\n"
            "    expiresInDays: 30\n" +
            extra_key_lines;
    return text;
}

inline const char* const k_bot_var = "INTEGRATION_BOT_API_KEY";

/// `provision <command> <manifest><flags>` with a pseudo-terminal as standard input (script(1)),
/// `answer` typed on it.
inline ProcessResult on_terminal(const Project& project, const std::string& command,
                                 const std::string& flags, const std::string& answer) {
    auto env = project.env();
    env.stdin_text = answer + "\n";
    const std::string line = test_support::provision_binary() + " " + command + " '" +
                             project.manifest.string() + "'" + flags;
    return test_support::run_process({"/usr/bin/script", "-qec", line, "/dev/null"}, env);
}

/// "YYYY-MM-DDTHH:MM:SSZ" for now + offset.
inline std::string iso_from_now(std::chrono::seconds offset) {
    const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + offset);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/// The emulator's keys (secrets included) named `name`, in creation order.
inline std::vector<nlohmann::json> keys_named(const Emulator& emu, const std::string& name) {
    std::vector<nlohmann::json> out;
    const auto dump = emu.state();  // keep the document alive for the loop
    for (const auto& key : dump.at("keys")) {
        if (key.at("name") == name) {
            out.push_back(key);
        }
    }
    return out;
}

/// The one key named `name` (fails the test when there is not exactly one).
inline nlohmann::json only_key(const Emulator& emu, const std::string& name) {
    const auto keys = keys_named(emu, name);
    REQUIRE(keys.size() == 1);
    return keys.front();
}

inline bool key_exists(const Emulator& emu, const std::string& id) {
    const auto dump = emu.state();  // keep the document alive for the loop
    for (const auto& key : dump.at("keys")) {
        if (key.at("id") == id) {
            return true;
        }
    }
    return false;
}

/// The secret the dotenv output holds for `var`.
inline std::string output_secret(const Project& project, const std::string& var = k_bot_var) {
    return source_dotenv(project.secrets("bots.env"), {var}).at(var);
}

/// The id of the key `secret` authenticates as, or "" when it does not authenticate.
inline std::string self_id(const Emulator& emu, const std::string& secret) {
    const auto self = self_with(emu, secret);
    return self.status == 200 ? self.json().at("response").at("id").get<std::string>() : "";
}

/// After every apply: a second plan shows no changes.
inline void require_clean_plan(const Project& project, std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), "--detailed-exitcode");
    const auto again = project.command("plan", extra);
    INFO(again.out << again.err);
    CHECK(again.exit_code == 0);
}

inline ProcessResult apply_ok(const Project& project, std::vector<std::string> extra = {}) {
    auto r = project.command("apply", std::move(extra));
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return r;
}

inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// No key secret and no session token the emulator ever issued (those of deleted keys too) is
/// in `text`.
inline void check_no_secret(const Emulator& emu, const std::string& text) {
    const auto issued = emu.issued();  // keep the document alive for the loops
    for (const auto& key : issued.at("keys")) {
        CHECK_FALSE(contains(text, key.at("secret").get<std::string>()));
    }
    for (const auto& token : issued.at("tokens")) {
        CHECK_FALSE(contains(text, token.get<std::string>()));
    }
}

}  // namespace e2e
