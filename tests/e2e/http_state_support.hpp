#pragma once
// For the tests of the HTTP state backend: tests/support/tf_state_server.py run as a child
// (Terraform's protocol, or GitLab's variant with --gitlab, over HTTPS with --tls-cert), the
// environment that points a project's runs at one of its states, and what the tests read back.

#include "lifecycle_support.hpp"
#include "shared_state_support.hpp"

#include <httplib.h>

#include <algorithm>
#include <functional>
#include <regex>

namespace e2e {

inline const char* const k_user = "ci";
inline const char* const k_password = "http-backend-password-7";

/// A running protocol server requiring basic authentication.
struct StateServer {
    TempDir dir;
    test_support::ChildProcess child;
    std::string base;

    /// `extra`: more options of the server (--gitlab, --tls-cert PEM --tls-key PEM, ...).
    explicit StateServer(const std::vector<std::string>& extra = {}) {
        RunOptions options;
        std::vector<std::string> argv{
            "/usr/bin/python3", PROJECT_SOURCE_DIR "/tests/support/tf_state_server.py",
            "--user",           k_user,
            "--password",       k_password};
        argv.insert(argv.end(), extra.begin(), extra.end());
        const bool tls = std::find(extra.begin(), extra.end(), "--tls-cert") != extra.end();
        child = test_support::ChildProcess(argv, options, dir.path() / "out", dir.path() / "err");
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (read_text(dir.path() / "out").find('\n') == std::string::npos &&
               std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        const std::string out = read_text(dir.path() / "out");
        REQUIRE(out.find('\n') != std::string::npos);
        port = std::stoi(out.substr(0, out.find('\n')));
        base = (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port);
    }

    int port = 0;

    /// The status of GET `path` (200: a document is stored there, 404: none).
    int get_status(const std::string& path) const {
        httplib::Client client("127.0.0.1", port);
        client.set_basic_auth(k_user, k_password);
        const auto answer = client.Get(path);
        REQUIRE(answer);
        return answer->status;
    }
};

/// A project whose state is `name` on the server, the lock at the same address.
inline RunOptions http_env(const Project& project, const StateServer& server,
                           const std::string& name) {
    auto options = project.env();
    options.env["PROVISION_STATE"] = server.base + "/state/" + name;
    options.env["PROVISION_HTTP_LOCK_ADDRESS"] = server.base + "/state/" + name;
    options.env["PROVISION_HTTP_USERNAME"] = k_user;
    options.env["PROVISION_HTTP_PASSWORD"] = k_password;
    return options;
}

/// The same for a server run with --gitlab, set up as docs/ci.md's GitLab recipe does: the
/// lock at `<state>/lock`, taken with POST and released with DELETE, the password (a job
/// token) from a file.
inline RunOptions gitlab_env(const Project& project, const StateServer& server,
                             const std::string& name) {
    auto options = project.env();
    const std::string state = server.base + "/state/" + name;
    options.env["PROVISION_STATE"] = state;
    options.env["PROVISION_HTTP_LOCK_ADDRESS"] = state + "/lock";
    options.env["PROVISION_HTTP_LOCK_METHOD"] = "POST";
    options.env["PROVISION_HTTP_UNLOCK_METHOD"] = "DELETE";
    options.env["PROVISION_HTTP_USERNAME"] = k_user;
    const auto token = project.dir / "job-token";
    write_text(token, std::string(k_password) + "\n");
    fs::permissions(token, fs::perms::owner_read | fs::perms::owner_write);
    options.env["PROVISION_HTTP_PASSWORD_FILE"] = token.string();
    return options;
}

/// The lock ID a refusal names ("lock ID <uuid>"), or "" without one.
inline std::string lock_id_in(const std::string& message) {
    std::smatch found;
    return std::regex_search(message, found, std::regex("lock ID ([0-9a-f-]{36})")) ? found[1].str()
                                                                                    : "";
}

/// Every key on the portal, by name: exactly one each means converged without duplicates.
inline std::map<std::string, int> keys_by_name(const Emulator& emu) {
    std::map<std::string, int> names;
    const auto portal = emu.state();  // the keys are iterated in it: it must outlive the loop
    for (const auto& key : portal.at("keys")) {
        ++names[key.at("name").get<std::string>()];
    }
    return names;
}

/// After a SIGKILLed run left lock `id` held: `unlock(ID)` (a command line without -y) with
/// another ID is refused naming `id`; with `id` it needs -y without a terminal, then releases
/// it, and again finds nothing locked; the next apply settles the killed run's journal and
/// converges (a second plan is empty).
inline void check_dead_lock_released(
    const Emulator& emu, const Project& next, const RunOptions& env, const std::string& id,
    const std::function<std::vector<std::string>(const std::string&)>& unlock) {
    const auto confirmed = [&](const std::string& lock) {
        auto argv = unlock(lock);
        argv.push_back("-y");
        return next.run(argv, env);
    };
    const auto wrong = confirmed("00000000-0000-4000-8000-000000000000");
    INFO(wrong.out << wrong.err);
    CHECK(wrong.exit_code == 3);
    CHECK(contains(wrong.err, "is lock ID " + id));
    CHECK(contains(wrong.err, "nothing was unlocked"));
    const auto unconfirmed = next.run(unlock(id), env);
    CHECK(unconfirmed.exit_code == 3);
    CHECK(contains(unconfirmed.err, "-y/--auto-approve"));
    CHECK(next.run({"apply", next.manifest.string()}, env).exit_code == 4);

    const auto unlocked = confirmed(id);
    INFO(unlocked.out << unlocked.err);
    CHECK(unlocked.exit_code == 0);
    CHECK(contains(unlocked.out, "released lock ID " + id));
    const auto again = confirmed(id);
    CHECK(again.exit_code == 0);
    CHECK(contains(again.out, "is not locked"));

    // The journal in the document lets the next run settle what the killed one left.
    const auto run = next.run({"apply", next.manifest.string()}, env);
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    CHECK(contains(run.err, "revoked orphan key"));
    CHECK(keys_by_name(emu) == std::map<std::string, int>{{"Integration Bot", 1},
                                                          {"Backup Agent", 1},
                                                          {"Audit Reader", 1}});
    const auto plan = next.run({"plan", next.manifest.string(), "--detailed-exitcode"}, env);
    INFO(plan.out << plan.err);
    CHECK(plan.exit_code == 0);
}

}  // namespace e2e
