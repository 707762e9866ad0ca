#pragma once
// For the tests of shared (remote) state backends: two scratch directories that run the same
// manifest against one state, as two ephemeral CI runners do, and sealed secrets.

#include "e2e_support.hpp"

namespace e2e {

/// An age key pair made by age-keygen: the identity file and its recipient.
struct SealingKey {
    fs::path identity;
    std::string recipient;
};

inline SealingKey make_sealing_key(const fs::path& dir) {
    SealingKey key{dir / "age-key.txt", ""};
    REQUIRE(
        test_support::run_process({"/usr/bin/age-keygen", "-o", key.identity.string()}).exit_code ==
        0);
    const auto pub =
        test_support::run_process({"/usr/bin/age-keygen", "-y", key.identity.string()});
    REQUIRE(pub.exit_code == 0);
    key.recipient = pub.out.substr(0, pub.out.find('\n'));
    return key;
}

/// The worked example sealing its secrets to `recipient`.
inline std::string sealed_manifest(const std::string& recipient) {
    std::string text = bots_manifest();
    const std::string version = "version: 1\n";
    const auto at = text.find(version);
    REQUIRE(at != std::string::npos);
    return text.insert(at + version.size(), "\nsealed:\n  age: [" + recipient + "]\n");
}

/// What two applies started at the same moment did: exit codes and standard errors.
struct TwoRuns {
    int first = -1;
    int second = -1;
    std::string first_err;
    std::string second_err;
    /// The standard error of the run that exited `code` (the first's when both did).
    const std::string& err_of(int code) const { return first == code ? first_err : second_err; }
};

/// `provision apply` in `first` and in `second` at once, each with its environment and `extra`.
inline TwoRuns apply_at_once(const Project& first, const RunOptions& first_env,
                             const Project& second, const RunOptions& second_env,
                             const std::vector<std::string>& extra = {}) {
    auto argv = [&](const Project& project) {
        std::vector<std::string> args{test_support::provision_binary(), "apply",
                                      project.manifest.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    };
    test_support::ChildProcess a(argv(first), first_env, first.dir / "out", first.dir / "err");
    test_support::ChildProcess b(argv(second), second_env, second.dir / "out", second.dir / "err");
    const auto code_a = a.wait(std::chrono::seconds(90));
    const auto code_b = b.wait(std::chrono::seconds(90));
    TwoRuns runs{code_a.value_or(-1), code_b.value_or(-1), read_text(first.dir / "err"),
                 read_text(second.dir / "err")};
    INFO(runs.first_err << runs.second_err);
    REQUIRE(code_a.has_value());
    REQUIRE(code_b.has_value());
    return runs;
}

/// Two applies of the sealed manifest in `first` and `second` at once, each with the identity
/// and a --lock-timeout: both succeed, the portal gets one key per entry, and both directories
/// hold the same secrets (the run that waited took them from the sealed store).
inline void check_waiting_applies_share_keys(const Emulator& emu, const SealingKey& key,
                                             const Project& first, RunOptions first_env,
                                             const Project& second, RunOptions second_env) {
    first_env.env["PROVISION_AGE_IDENTITY_FILE"] = key.identity.string();
    second_env.env["PROVISION_AGE_IDENTITY_FILE"] = key.identity.string();
    const auto runs = apply_at_once(first, first_env, second, second_env, {"--lock-timeout", "60"});
    INFO(runs.first_err << runs.second_err);
    CHECK(runs.first == 0);
    CHECK(runs.second == 0);
    CHECK(emu.count_requests("POST", "/api/2.0/keys") == 3);
    CHECK(emu.state().at("keys").size() == 3);
    CHECK(source_dotenv(first.secrets("bots.env"), k_bot_vars) ==
          source_dotenv(second.secrets("bots.env"), k_bot_vars));
}

}  // namespace e2e
