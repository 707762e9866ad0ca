// The leak test (reliability F.20), focused: a representative end-to-end and fault sequence at
// the most verbose log level, then every byte provision wrote to stdout and stderr, plus every
// file it left in the project (except the plaintext secret outputs themselves), is searched for
// the admin token, the age identity and every secret the emulator ever issued (its issued list
// keeps the secrets of deleted keys too). The search is tests/leak/leak_scan.hpp's: any
// 16-character piece counts, raw or base64- or percent-encoded.
//
// The whole e2e suite, this fault sequence and tests/e2e/fault_matrix_e2e_test.cpp included, is
// searched the same way by the CTest "leak_whole_suite" (tests/CMakeLists.txt); this test also
// covers what that one does not see: the age identity and the wrong tokens it passes.

#include "e2e_support.hpp"
#include "leak_scan.hpp"

using namespace e2e;

namespace {

/// The worked example with an age-encrypted YAML output added to `recipient`.
std::string leak_manifest(const std::string& recipient) {
    return bots_manifest_with_outputs("  - path: ../secrets/bots.yaml.age\n"
                                      "    format: yaml\n"
                                      "    encrypt:\n"
                                      "      age: [" +
                                      recipient + "]\n");
}

/// Runs provision at trace level and keeps everything it printed.
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
        return result;
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
    int runs() const { return m_runs; }

private:
    Emulator& m_emu;
    Project& m_project;
    std::string m_identity;
    std::string m_streams;
    int m_runs = 0;
};

/// The text around a finding at `at`, with the finding itself masked.
std::string around(const std::string& text, std::size_t at) {
    std::string masked = text;
    masked.replace(at, std::min<std::size_t>(48, masked.size() - at), 48, '*');
    const std::size_t from = at > 120 ? at - 120 : 0;
    return masked.substr(from, 288);
}

}  // namespace

TEST_CASE("at trace level no run, fault or file ever shows the token, the age identity or any "
          "issued secret",
          "[e2e][leak]") {
    Emulator emu;
    TempDir keys;
    const auto identity_file = keys.path() / "age-key.txt";
    REQUIRE(test_support::run_process({"/usr/bin/age-keygen", "-o", identity_file.string()})
                .exit_code == 0);
    const auto pub =
        test_support::run_process({"/usr/bin/age-keygen", "-y", identity_file.string()});
    REQUIRE(pub.exit_code == 0);
    Project project(emu, leak_manifest(pub.out.substr(0, pub.out.find('\n'))));
    const std::string identity = read_text(identity_file);
    LeakRecorder rec(emu, project, identity);

    // The ordinary life of a manifest.
    CHECK(rec.run("validate").exit_code == 0);
    CHECK(rec.run("plan").exit_code == 0);
    CHECK(rec.run("apply").exit_code == 0);
    CHECK(rec.run("plan", {"--output", "json"}).exit_code == 0);
    CHECK(rec.run("apply", {"--output", "json"}).exit_code == 0);
    // The audit and status, in every form (Audit Reader never expires: a finding, exit 10).
    CHECK(rec.run("audit").exit_code == 10);
    CHECK(rec.run("audit", {"--output", "json"}).exit_code == 10);
    CHECK(rec.run("audit", {"--output", "prometheus"}).exit_code == 10);
    CHECK(rec.run("status", {"--output", "json"}).exit_code == 0);

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
    emu.add_fault({{"method", "GET"},
                   {"path", "/api/2.0/keys"},
                   {"action", "status"},
                   {"status", 503},
                   {"body", "{\"error\":\"busy\"}"}});
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
    // Meaningful: the runs printed traces, keys were shown in redacted form, secrets existed.
    REQUIRE(rec.streams().size() > 10000);
    CHECK(rec.streams().find("sk-***") != std::string::npos);
    CHECK(rec.streams().find("trace") != std::string::npos);
    CHECK(files.find("sha256:") != std::string::npos);

    std::vector<leak_scan::Credential> credentials;
    const auto issued = emu.issued();
    for (const auto& key : issued.at("keys")) {
        credentials.push_back({key.at("secret").get<std::string>(), "key"});
    }
    REQUIRE(credentials.size() >= 6);
    INFO("runs: " << rec.runs() << ", secrets issued: " << credentials.size());
    credentials.push_back({Emulator::owner_token(), "token"});
    credentials.push_back({"wrong-token-0123456789abcdef", "token"});
    const auto key_line = identity.find("AGE-SECRET-KEY-");
    REQUIRE(key_line != std::string::npos);
    const std::string age_secret =
        identity.substr(key_line, identity.find('\n', key_line) - key_line);
    // Past its fixed "AGE-SECRET-KEY-1" prefix, no piece of the identity may appear.
    credentials.push_back({age_secret.substr(16), "age identity"});

    const leak_scan::Scanner scanner(std::move(credentials));
    for (const auto& finding : scanner.scan(everything)) {
        FAIL_CHECK(finding.what << " (" << finding.form
                                << ") found near: " << around(everything, finding.offset));
    }
}
