// The leak test (reliability F.20): a representative end-to-end and fault sequence at the most
// verbose log level, then every byte provision wrote to stdout and stderr, plus every file it
// left in the project (except the plaintext secret outputs themselves), is searched for the
// admin token, the age identity and every secret the emulator ever issued.
//
// Secrets are collected from the emulator's state dump after every step (a key deleted later
// still counts). A secret counts as leaked when any 16-character piece of it shows up, so a
// truncated secret (half a response body) is caught too; the redacted form `sk-***` + four
// characters is shorter than that and allowed.

#include "e2e_support.hpp"

#include <set>

using namespace e2e;

namespace {

const char* const k_manifest = R"(version: 1
portal:
  url: ${DOCSPACE_URL}
  token: ${DOCSPACE_TOKEN}
outputs:
  - path: ../secrets/bots.env
    format: dotenv
  - path: ../secrets/bots.json
    format: json
  - path: ../secrets/bots.yaml.age
    format: yaml
    encrypt:
      age: [RECIPIENT]
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

/// Runs provision at trace level and keeps everything it printed, and every secret the
/// emulator has issued so far.
class LeakRecorder {
public:
    LeakRecorder(Emulator& emu, Project& project, std::string identity)
        : m_emu(emu), m_project(project), m_identity(std::move(identity)) {}

    test_support::ProcessResult run(const std::string& command, std::vector<std::string> extra = {},
                                    std::optional<test_support::RunOptions> options = {}) {
        std::vector<std::string> args{"--log-level", "trace", command, m_project.manifest.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        auto env = options ? *options : m_project.env();
        env.env["PROVISION_AGE_IDENTITY"] = m_identity;
        const auto result = m_project.run(args, env);
        m_streams += result.out;
        m_streams += result.err;
        ++m_runs;
        snapshot();
        return result;
    }

    void snapshot() {
        const auto state = m_emu.state();
        for (const auto& key : state.at("keys")) {
            m_secrets.insert(key.at("secret").get<std::string>());
        }
    }

    std::string id_of(const std::string& name) const {
        const auto state = m_emu.state();
        for (const auto& key : state.at("keys")) {
            if (key.at("name") == name) {
                return key.at("id").get<std::string>();
            }
        }
        FAIL("no key named " << name);
        return "";
    }

    void delete_on_portal(const std::string& name) {
        REQUIRE(m_emu.del("/api/2.0/keys/" + id_of(name), Emulator::owner_token()).status == 200);
    }

    /// Every file in the project except the plaintext secret outputs.
    std::string project_files() const {
        std::string text;
        for (const auto& item : fs::recursive_directory_iterator(m_project.dir.path())) {
            if (!item.is_regular_file()) {
                continue;
            }
            const auto name = item.path().filename().string();
            if (name == "bots.env" || name == "bots.json") {
                continue;
            }
            text += read_text(item.path());
        }
        return text;
    }

    const std::string& streams() const { return m_streams; }
    const std::set<std::string>& secrets() const { return m_secrets; }
    int runs() const { return m_runs; }

private:
    Emulator& m_emu;
    Project& m_project;
    std::string m_identity;
    std::string m_streams;
    std::set<std::string> m_secrets;
    int m_runs = 0;
};

/// Where any 16-character piece of `secret` occurs in `text`, or npos.
std::size_t find_piece(const std::string& text, const std::string& secret) {
    constexpr std::size_t k_piece = 16;
    for (std::size_t at = 0; at + k_piece <= secret.size(); ++at) {
        const auto found = text.find(secret.substr(at, k_piece));
        if (found != std::string::npos) {
            return found;
        }
    }
    return std::string::npos;
}

std::string around(const std::string& text, std::size_t at) {
    const std::size_t from = at > 120 ? at - 120 : 0;
    return text.substr(from, 240);
}

}  // namespace

TEST_CASE("at trace level no run, fault or file ever shows the token, the age identity or any issued secret", "[e2e][leak]") {
    Emulator emu;
    TempDir keys;
    const auto identity_file = keys.path() / "age-key.txt";
    REQUIRE(test_support::run_process({"/usr/bin/age-keygen", "-o", identity_file.string()}).exit_code == 0);
    const auto pub = test_support::run_process({"/usr/bin/age-keygen", "-y", identity_file.string()});
    REQUIRE(pub.exit_code == 0);
    std::string manifest = k_manifest;
    manifest.replace(manifest.find("RECIPIENT"), 9, pub.out.substr(0, pub.out.find('\n')));
    Project project(emu, manifest);
    const std::string identity = read_text(identity_file);
    LeakRecorder rec(emu, project, identity);

    // The ordinary life of a manifest.
    CHECK(rec.run("validate").exit_code == 0);
    CHECK(rec.run("plan").exit_code == 0);
    CHECK(rec.run("apply").exit_code == 0);
    CHECK(rec.run("plan", {"--output", "json"}).exit_code == 0);
    CHECK(rec.run("apply", {"--output", "json"}).exit_code == 0);

    // Drift on the portal: a permission and a name edited, a key deleted.
    emu.patch_key(rec.id_of("Backup Agent"), {{"permissions", {"files:read"}}});
    emu.patch_key(rec.id_of("Audit Reader"), {{"name", "Audit Reader (renamed)"}});
    CHECK(rec.run("plan").exit_code == 0);
    CHECK(rec.run("apply").exit_code == 0);
    rec.delete_on_portal("Audit Reader");
    CHECK(rec.run("apply").exit_code == 0);

    // Faults on create, each followed by a run that settles it.
    const std::vector<nlohmann::json> create_faults = {
        {{"method", "POST"}, {"path", "/api/2.0/keys"}, {"action", "commit_drop"}},
        {{"method", "POST"}, {"path", "/api/2.0/keys"}, {"action", "commit_500"}},
        {{"method", "POST"}, {"path", "/api/2.0/keys"}, {"action", "malformed"}},
    };
    const std::vector<std::string> victims = {"Backup Agent", "Integration Bot", "Audit Reader"};
    for (std::size_t i = 0; i < create_faults.size(); ++i) {
        rec.delete_on_portal(victims[i]);
        emu.add_fault(create_faults[i]);
        rec.run("apply");
        emu.clear_faults();
        rec.run("apply", {"--allow-duplicate"});
        rec.run("apply", {"--prune"});
    }

    // A transient 503 on the list, then success.
    emu.add_fault({{"method", "GET"}, {"path", "/api/2.0/keys"}, {"action", "status"},
                   {"status", 503}, {"body", "{\"error\":\"busy\"}"}});
    CHECK(rec.run("plan").exit_code == 0);

    // Other token channels, and a wrong token.
    const auto token_file = keys.path() / "token";
    write_text(token_file, Emulator::owner_token() + "\n");
    fs::permissions(token_file, fs::perms::owner_read | fs::perms::owner_write);
    auto no_env_token = project.env();
    no_env_token.env["DOCSPACE_TOKEN"] = "";  // the manifest's ${DOCSPACE_TOKEN} is then empty
    CHECK(rec.run("plan", {"--token-file", token_file.string()}, no_env_token).exit_code == 0);
    auto stdin_token = no_env_token;
    stdin_token.stdin_text = Emulator::owner_token() + "\n";
    CHECK(rec.run("plan", {"--token-stdin"}, stdin_token).exit_code == 0);
    auto wrong = project.env();
    wrong.env["DOCSPACE_TOKEN"] = "wrong-token-0123456789abcdef";
    CHECK(rec.run("plan", {}, wrong).exit_code != 0);

    const std::string files = rec.project_files();
    const std::string everything = rec.streams() + files;
    INFO("runs: " << rec.runs() << ", secrets issued: " << rec.secrets().size());
    // Meaningful: the runs printed traces, keys were shown in redacted form, secrets existed.
    REQUIRE(rec.streams().size() > 10000);
    CHECK(rec.streams().find("sk-***") != std::string::npos);
    CHECK(rec.streams().find("trace") != std::string::npos);
    CHECK(files.find("sha256:") != std::string::npos);
    REQUIRE(rec.secrets().size() >= 6);

    for (const auto& secret : rec.secrets()) {
        const auto at = find_piece(everything, secret);
        INFO("secret sk-***" << secret.substr(secret.size() - 4) << " found near: "
                             << (at == std::string::npos ? "" : around(everything, at)));
        CHECK(at == std::string::npos);
    }
    for (const std::string& token :
         {Emulator::owner_token(), std::string("wrong-token-0123456789abcdef")}) {
        const auto at = everything.find(token);
        INFO("token found near: " << (at == std::string::npos ? "" : around(everything, at)));
        CHECK(at == std::string::npos);
    }
    const auto key_line = identity.find("AGE-SECRET-KEY-");
    REQUIRE(key_line != std::string::npos);
    const std::string age_secret = identity.substr(key_line, identity.find('\n', key_line) - key_line);
    // Past its fixed "AGE-SECRET-KEY-1" prefix, no piece of the identity may appear.
    CHECK(find_piece(everything, age_secret.substr(16)) == std::string::npos);
}
