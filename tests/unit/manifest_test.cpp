// The manifest loader as a whole: the valid manifest read into every field, defaults,
// interpolation, secrets, reporting, the file checks, and the example and fixture manifests on
// disk. The strict YAML subset is tested in manifest_yaml_test.cpp, field-by-field rejections
// in manifest_schema_test.cpp.

#include "manifest_test_support.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

using namespace manifest_test;

TEST_CASE("a full manifest is read into every field", "[manifest]") {
    const auto result = load(R"(version: 1
portal:
  url: http://127.0.0.1:8080/
  tokenFile: ../secrets/admin.token
state: state/bots.json
prune: true
defaults:
  rotation: {rotateBefore: 7d, retire: deactivate, gracePeriod: 12h}
  onSecretUnknown: rotate
outputs:
  - path: ../secrets/bots.env
    format: dotenv
    keys: [Integration Bot]
    allowGit: true
  - path: /etc/provision/bots.yaml
    format: kubernetes
    kubernetes: {name: bot-keys, namespace: ci, stringData: true}
    encrypt:
      age: [age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p]
keys:
  - name: Integration Bot
    permissions: [files:read, rooms:write, "files:write"]
    expiresInDays: 30
    env: BOT_KEY
    protect: true
    rotation: {rotateBefore: 5d, retire: keep}
    onSecretUnknown: keep
  - name: Audit Reader
    permissions: ["*"]
    expiresInDays: never
)");
    INFO(all_messages(result));
    REQUIRE(result.manifest.has_value());
    CHECK(result.diagnostics.empty());
    const Manifest& m = *result.manifest;
    CHECK(m.file == k_file);
    CHECK(m.version == 1);
    CHECK(m.portal.url == "http://127.0.0.1:8080");
    CHECK(m.portal.token.empty());
    CHECK(m.portal.token_file == fs::path("/srv/infra/secrets/admin.token"));
    CHECK(m.state_path == fs::path("/srv/infra/manifests/state/bots.json"));
    CHECK(m.prune);
    CHECK(m.default_rotation.rotate_before == std::chrono::seconds(7 * 86400));
    CHECK(m.default_rotation.retire == RetirePolicy::deactivate);
    CHECK(m.default_rotation.grace_period == std::chrono::hours(12));

    REQUIRE(m.outputs.size() == 2);
    const OutputSpec& env = m.outputs[0];
    CHECK(env.path == fs::path("/srv/infra/secrets/bots.env"));
    CHECK(env.path_as_written == "../secrets/bots.env");
    CHECK(env.format == OutputFormat::dotenv);
    CHECK(env.keys == std::vector<std::string>{"Integration Bot"});
    CHECK(env.allow_git);
    CHECK(env.location.line == 11);
    CHECK(env.location.column == 5);
    const OutputSpec& k8s = m.outputs[1];
    CHECK(k8s.path == fs::path("/etc/provision/bots.yaml"));
    CHECK(k8s.format == OutputFormat::k8s_secret);
    CHECK(std::string(to_string(k8s.format)) == "kubernetes");
    CHECK(k8s.keys.empty());
    CHECK(k8s.k8s_name == "bot-keys");
    CHECK(k8s.k8s_namespace == "ci");
    CHECK(k8s.k8s_string_data);
    CHECK(k8s.age_recipients.size() == 1);
    CHECK_FALSE(k8s.allow_git);

    REQUIRE(m.keys.size() == 2);
    const KeySpec& bot = m.keys[0];
    CHECK(bot.name == "Integration Bot");
    CHECK(bot.permissions.items ==
          std::vector<std::string>{"files:read", "files:write", "rooms:write"});
    CHECK_FALSE(bot.permissions.unrestricted);
    CHECK(bot.expires_in_days == 30);
    CHECK(bot.env == "BOT_KEY");
    CHECK(bot.protect);
    CHECK(bot.rotation.rotate_before == std::chrono::seconds(5 * 86400));
    CHECK(bot.rotation.retire == RetirePolicy::keep_until_expiry);
    CHECK(bot.rotation.grace_period == std::chrono::hours(12));  // from defaults
    CHECK(bot.on_secret_unknown == SecretUnknownPolicy::keep);
    CHECK(bot.location.line == 21);
    CHECK(bot.location.column == 5);
    const KeySpec& audit = m.keys[1];
    CHECK(audit.permissions.unrestricted);
    CHECK_FALSE(audit.expires_in_days.has_value());
    CHECK(audit.env == "AUDIT_READER_API_KEY");
    CHECK(audit.on_secret_unknown == SecretUnknownPolicy::rotate);
    CHECK(m.find_key("Audit Reader") == &audit);
    CHECK(m.find_key("audit reader") == nullptr);
}

TEST_CASE("omitted fields take their documented defaults", "[manifest]") {
    const auto result = load(k_valid);
    INFO(all_messages(result));
    REQUIRE(result.manifest.has_value());
    const Manifest& m = *result.manifest;
    CHECK(m.state_path == fs::path("/srv/infra/manifests/bots.state.json"));
    CHECK_FALSE(m.prune);
    CHECK(m.portal.url == "https://portal.example.com");
    CHECK(m.portal.token.reveal() == "session-token-for-tests");
    CHECK(m.portal.token_file.empty());
    CHECK(m.outputs[0].keys.empty());
    CHECK_FALSE(m.outputs[0].allow_git);
    const KeySpec& key = m.keys[0];
    CHECK(key.env == "INTEGRATION_BOT_API_KEY");
    CHECK_FALSE(key.protect);
    CHECK_FALSE(key.rotation.rotate_before.has_value());
    CHECK(key.rotation.retire == RetirePolicy::delete_key);
    CHECK(key.rotation.grace_period == std::chrono::hours(24));
    CHECK(key.on_secret_unknown == SecretUnknownPolicy::fail);
}

TEST_CASE("default variable names are upper-case words joined by underscores", "[manifest]") {
    CHECK(default_env_name("Integration Bot") == "INTEGRATION_BOT_API_KEY");
    CHECK(default_env_name("ci.bot-2") == "CI_BOT_2_API_KEY");
    CHECK(default_env_name("  a  b ") == "A_B_API_KEY");
    CHECK(default_env_name("2nd bot") == "_2ND_BOT_API_KEY");
    CHECK(default_env_name("---") == "KEY_API_KEY");
}

TEST_CASE("variables are interpolated in every string and $${ writes a literal ${", "[manifest]") {
    const auto result = load_manifest_text(R"(version: 1
portal:
  url: https://${HOST}:${PORT}
  token: ${DOCSPACE_TOKEN}
outputs:
  - path: ${OUT_DIR}/bots.env
    format: dotenv
keys:
  - name: Bot ${TEAM}
    permissions: [files:read]
    expiresInDays: 30
    env: $${NOT_A_VAR}
)",
                                           k_file,
                                           env_of({{"HOST", "docs.example.org"},
                                                   {"PORT", "8443"},
                                                   {"DOCSPACE_TOKEN", "t"},
                                                   {"OUT_DIR", "/run/out"},
                                                   {"TEAM", "${TEAM}"}}));
    // The env value "${NOT_A_VAR}" is not a valid variable name, which proves `$${` was kept
    // literally; the value of TEAM is not interpolated again.
    const Diagnostic d = error_with(result, "is not a portable variable name");
    CHECK(d.message.find("`${NOT_A_VAR}`") != std::string::npos);
    CHECK(d.line == 12);
    const Diagnostic name = error_with(result, "may use only letters");
    CHECK(name.line == 9);
    CHECK(result.diagnostics.size() == 2);

    const auto ok = load_manifest_text(
        R"(version: 1
portal: {url: "https://${HOST}", token: "${T}"}
outputs: [{path: "${OUT_DIR}/a.env", format: dotenv}]
keys: [{name: "${N}", permissions: [files:read], expiresInDays: 1}]
)",
        k_file, env_of({{"HOST", "h.example"}, {"T", "x"}, {"OUT_DIR", "/o"}, {"N", "n1"}}));
    INFO(all_messages(ok));
    REQUIRE(ok.manifest.has_value());
    CHECK(ok.manifest->portal.url == "https://h.example");
    CHECK(ok.manifest->outputs[0].path == fs::path("/o/a.env"));
    CHECK(ok.manifest->keys[0].name == "n1");
}

TEST_CASE("an unset variable is reported by name at its position", "[manifest]") {
    const auto result =
        load_manifest_text(k_valid, k_file, env_of({{"DOCSPACE_URL", "https://p.example"}}));
    check_error_at(result, "environment variable `DOCSPACE_TOKEN` is not set", 4, 10);
    CHECK(error_with(result, "DOCSPACE_TOKEN").path == "portal.token");
}

TEST_CASE("a malformed ${ reference is reported", "[manifest]") {
    auto text = k_valid;
    text.replace(text.find("${DOCSPACE_URL}"), 15, "https://x/${BROKEN");
    check_error_at(load(text), "must be followed by a variable name", 3, 18);
}

TEST_CASE("a literal secret anywhere in the manifest is refused without repeating it",
          "[manifest]") {
    const std::string secret =
        "sk-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d29f3a";
    auto text = k_valid;
    text.replace(text.find("${DOCSPACE_TOKEN}"), 17, secret);
    text += "# old key: " + secret + "\n";
    const auto result = load(text);
    std::vector<std::pair<int, int>> positions;
    for (const auto& d : result.diagnostics) {
        if (d.message.find("looks like a DocSpace API key secret") != std::string::npos) {
            positions.emplace_back(d.line, d.column);
        }
    }
    CHECK(positions == std::vector<std::pair<int, int>>{{4, 10}, {12, 12}});
    CHECK_FALSE(result.manifest.has_value());
    CHECK(all_messages(result).find(secret) == std::string::npos);
    CHECK(all_messages(result).find("9f3a") == std::string::npos);
}

TEST_CASE("a literal token is refused: it belongs in the environment", "[manifest]") {
    auto text = k_valid;
    text.replace(text.find("${DOCSPACE_TOKEN}"), 17, "my-admin-session");
    const auto result = load(text);
    check_error_at(result, "would be committed with it", 4, 10);
    CHECK(all_messages(result).find("my-admin-session") == std::string::npos);
}

TEST_CASE("every problem is reported at once, sorted by position", "[manifest]") {
    const auto result = load(R"(version: 2
portal:
  url: http://portal.example.com
outputs:
  - path: a.env
    format: dotnev
keys:
  - name: Bot
    permisions: [files:read]
    expiresInDays: 0
)");
    CHECK_FALSE(result.manifest.has_value());
    REQUIRE(result.diagnostics.size() == 6);
    CHECK(result.diagnostics[0].line == 1);  // version
    CHECK(result.diagnostics[1].line == 3);  // http to a non-loopback host
    CHECK(result.diagnostics[2].line == 6);  // dotnev
    CHECK(result.diagnostics[3].line == 8);  // missing permissions, at the entry
    CHECK(result.diagnostics[4].line == 9);  // permisions: unknown field
    CHECK(result.diagnostics[4].message ==
          "unknown field `permisions`; did you mean `permissions`?");
    CHECK(result.diagnostics[5].line == 10);  // expiresInDays: 0
    CHECK(result.diagnostics[5].path == "keys[0].expiresInDays");
}

TEST_CASE("diagnostics format as file:line:col: error: path: message", "[manifest]") {
    auto text = k_valid;
    text.replace(text.find("files:write"), 11, "file:write");
    const auto result = load(text);
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(provision::core::format_diagnostic(result.diagnostics[0]) ==
          "/srv/infra/manifests/bots.yaml:10:31: error: keys[0].permissions[1]: unknown scope "
          "`file:write`; did you mean `files:write`?");
}

TEST_CASE("a YAML syntax error is reported with its position", "[manifest]") {
    const auto result = load("version: 1\nportal: [a\n");
    CHECK_FALSE(result.manifest.has_value());
    const Diagnostic d = error_with(result, "YAML syntax error");
    CHECK(d.line >= 1);
}

TEST_CASE("an empty manifest and a non-map document are refused", "[manifest]") {
    check_error_at(load("# nothing\n"), "the manifest is empty", 0, 0);
    check_error_at(load("- a\n- b\n"), "expected the manifest (a map of fields), found a list", 1,
                   1);
}

TEST_CASE("a directory, a missing file and an oversized file are refused", "[manifest]") {
    const fs::path dir =
        fs::temp_directory_path() / ("manifest_test_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto result = load_manifest(dir, test_env());
    CHECK_FALSE(result.manifest.has_value());
    CHECK(error_with(result, "this is a directory").line == 0);

    result = load_manifest(dir / "missing.yaml", test_env());
    CHECK(error_with(result, "cannot open the manifest").file == (dir / "missing.yaml").string());

    const fs::path big = dir / "big.yaml";
    std::ofstream(big) << std::string(16 * 1024 * 1024 + 1, '#');
    CHECK_FALSE(load_manifest(big, test_env()).manifest.has_value());
    CHECK(error_with(load_manifest(big, test_env()), "16 MiB").line == 0);

    const fs::path good = dir / "ok.yaml";
    std::ofstream(good) << k_valid;
    result = load_manifest(good, test_env());
    INFO(all_messages(result));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->state_path == dir / "ok.state.json");
    fs::remove_all(dir);
}

TEST_CASE("every example manifest in manifests/ loads", "[manifest]") {
    int loaded = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(PROJECT_SOURCE_DIR) / "manifests")) {
        if (entry.path().extension() != ".yaml" && entry.path().extension() != ".yml") {
            continue;
        }
        const auto result = load_manifest(entry.path(), test_env());
        INFO(entry.path() << "\n" << all_messages(result));
        CHECK(result.manifest.has_value());
        CHECK_FALSE(provision::core::has_errors(result.diagnostics));
        ++loaded;
    }
    CHECK(loaded >= 1);
}

TEST_CASE("every test fixture loads or fails exactly as its header says", "[manifest]") {
    // Fixtures under tests/data/manifests/invalid start with "# expect: LINE:COL: text".
    const fs::path root = fs::path(PROJECT_SOURCE_DIR) / "tests/data/manifests";
    int checked = 0;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (!entry.is_regular_file()) {
            continue;
        }
        const auto result = load_manifest(entry.path(), test_env());
        INFO(entry.path() << "\n" << all_messages(result));
        if (entry.path().parent_path().filename() == "valid") {
            CHECK(result.manifest.has_value());
        } else {
            std::ifstream in(entry.path());
            std::string header;
            std::getline(in, header);
            REQUIRE(header.rfind("# expect: ", 0) == 0);
            std::istringstream fields(header.substr(10));
            int line = 0;
            int column = 0;
            char colon = 0;
            fields >> line >> colon >> column >> colon;
            std::string text;
            std::getline(fields >> std::ws, text);
            const Diagnostic d = error_with(result, text);
            CHECK(d.line == line);
            CHECK(d.column == column);
            CHECK_FALSE(result.manifest.has_value());
        }
        ++checked;
    }
    CHECK(checked >= 4);
}

TEST_CASE("state: may be a backend URL, and sealed: lists the recipients of sealed secrets",
          "[manifest]") {
    const std::string recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
    const std::string text = R"(version: 1
portal:
  url: https://p.example
state: postgresql://ci@db.example.com/infra#bots
sealed:
  age: [RECIPIENT]
outputs:
  - path: bots.env
    format: dotenv
keys:
  - name: Bot
    permissions: [files:read]
    expiresInDays: 30
)";
    const auto with = [&](const std::string& value) {
        std::string manifest = text;
        return load(manifest.replace(manifest.find("RECIPIENT"), 9, value));
    };
    const auto result = with(recipient);
    INFO(all_messages(result));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->state_url == "postgresql://ci@db.example.com/infra#bots");
    // The local files (flock, recovery) stay beside the manifest.
    CHECK(result.manifest->state_path == fs::path("/srv/infra/manifests/bots.state.json"));
    CHECK(result.manifest->sealed_recipients == std::vector<std::string>{recipient});

    const Diagnostic d = error_with(with("not-a-recipient"), "not an age recipient");
    CHECK(d.line == 6);
}
