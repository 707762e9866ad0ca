// The manifest loader as a whole: the valid manifest read into every field, defaults,
// interpolation, the strict YAML subset and its yaml-cpp hazards, the file checks, and the
// example and fixture manifests on disk. Field-by-field rejections are in
// manifest_schema_test.cpp.

#include "provision/manifest/manifest.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using namespace provision::manifest;
using provision::core::Diagnostic;
using provision::core::Severity;

namespace {

const fs::path k_file = "/srv/infra/manifests/bots.yaml";

EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        const auto found = vars.find(name);
        return found == vars.end() ? std::nullopt : std::optional<std::string>(found->second);
    };
}

EnvLookup test_env() {
    return env_of({{"DOCSPACE_URL", "https://portal.example.com"},
                   {"DOCSPACE_TOKEN", "session-token-for-tests"}});
}

LoadResult load(std::string_view text) { return load_manifest_text(text, k_file, test_env()); }

std::string all_messages(const LoadResult& result) {
    std::string out;
    for (const auto& d : result.diagnostics) {
        out += provision::core::format_diagnostic(d) + "\n";
    }
    return out;
}

/// The one error diagnostic whose message contains `text`; fails the test when absent.
Diagnostic error_with(const LoadResult& result, const std::string& text) {
    INFO(all_messages(result));
    for (const auto& d : result.diagnostics) {
        if (d.severity == Severity::error && d.message.find(text) != std::string::npos) {
            return d;
        }
    }
    FAIL("no error mentions: " << text);
    return {};
}

void check_error_at(const LoadResult& result, const std::string& text, int line, int column) {
    CHECK_FALSE(result.manifest.has_value());
    const Diagnostic d = error_with(result, text);
    CHECK(d.line == line);
    CHECK(d.column == column);
    CHECK(d.file == k_file.string());
}

const std::string k_valid = R"(version: 1
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

}  // namespace

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
    CHECK(m.portal.token == "session-token-for-tests");
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

TEST_CASE("variables are interpolated in every string and $${ writes a literal ${",
          "[manifest]") {
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

TEST_CASE("a lone comma as the whole file is refused quickly", "[manifest]") {
    // yaml-cpp 0.7's LoadAll never returns on this input.
    check_error_at(load(","), "cannot start with `,`", 1, 1);
}

TEST_CASE("an anchor used by an alias inside itself is refused before parsing", "[manifest]") {
    const auto result = load("&a [*a]");
    check_error_at(result, "YAML anchors (`&a`) are not supported", 1, 1);
    check_error_at(result, "`*a` is read as a YAML alias", 1, 5);
}

TEST_CASE("a billion-laughs document is refused at its first anchor", "[manifest]") {
    std::string text = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
    char previous = 'a';
    for (char c = 'b'; c <= 'i'; ++c) {
        text += std::string(1, c) + ": &" + c + " [";
        for (int i = 0; i < 9; ++i) {
            text += std::string(i ? "," : "") + "*" + previous;
        }
        text += "]\n";
        previous = c;
    }
    const auto result = load(text);
    check_error_at(result, "YAML anchors (`&a`) are not supported", 1, 4);
    check_error_at(result, "`*a` is read as a YAML alias", 2, 8);
}

TEST_CASE("a duplicate field is reported at its second occurrence", "[manifest]") {
    auto text = k_valid;
    text.insert(text.find("    expiresInDays"), "    permissions: [rooms:read]\n");
    const auto result = load(text);
    check_error_at(result, "duplicate field `permissions` (first written on line 10)", 11, 5);
}

TEST_CASE("an unquoted star is an alias and the message says to quote it", "[manifest]") {
    auto text = k_valid;
    text.replace(text.find("[files:read, files:write]"), 25, "[*]");
    check_error_at(load(text), "if you mean the text, quote it: \"*\"", 10, 19);

    text = k_valid;
    text.replace(text.find("[files:read, files:write]"), 25, "\n      - *:read");
    check_error_at(load(text), "quote it: \"*:read\"", 11, 9);
}

TEST_CASE("a quoted star is accepted in flow and block lists", "[manifest]") {
    for (const std::string scopes : {"[\"*\"]", "['*']", "\n      - \"*\"", "[\"*:read\"]"}) {
        auto text = k_valid;
        text.replace(text.find("[files:read, files:write]"), 25, scopes);
        const auto result = load(text);
        INFO(scopes << "\n" << all_messages(result));
        REQUIRE(result.manifest.has_value());
        CHECK(result.manifest->keys[0].permissions.unrestricted == (scopes.find(':') == std::string::npos));
    }
}

TEST_CASE("anchor, alias and tag characters inside text and comments are ordinary text",
          "[manifest]") {
    auto text = k_valid;
    text.insert(0, "# a comment with &anchor, *alias and !tag\n");
    text.replace(text.find("../secrets/bots.env"), 19, "\"../&out/*x!.env\"  # & * !");
    const auto result = load(text);
    INFO(all_messages(result));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->outputs[0].path_as_written == "../&out/*x!.env");
}

TEST_CASE("tags, directives and a second document are refused", "[manifest]") {
    auto tagged = k_valid;
    tagged.replace(tagged.find("30"), 2, "!!int 30");
    check_error_at(load(tagged), "YAML tags (`!!int`) are not supported", 11, 20);
    check_error_at(load(k_valid + "---\nversion: 1\n"), "a second YAML document", 12, 1);
    check_error_at(load(k_valid + "...\n"), "`...` ends the YAML document", 12, 1);
    check_error_at(load("%YAML 1.2\n---\n" + k_valid), "directives", 1, 1);
    // One leading `---` is an ordinary single document.
    CHECK(load("---\n" + k_valid).manifest.has_value());
}

TEST_CASE("numbers are plain decimal integers only", "[manifest]") {
    for (const std::string bad : {"017", "0x10", "1e3", "+5", "30.0", "0o7", "3_0"}) {
        auto text = k_valid;
        text.replace(text.find("30\n"), 2, bad);
        INFO(bad);
        check_error_at(load(text), "`" + bad + "` is not a plain whole number", 11, 20);
    }
    auto quoted = k_valid;
    quoted.replace(quoted.find("30\n"), 2, "\"30\"");
    check_error_at(load(quoted), "write the number without quotes", 11, 20);
}

TEST_CASE("booleans are only true and false", "[manifest]") {
    for (const std::string bad : {"yes", "True", "on", "1", "\"true\""}) {
        INFO(bad);
        check_error_at(load(k_valid + "    protect: " + bad + "\n"), "expected true or false",
                       12, 14);
    }
}

TEST_CASE("an empty value is a missing value, never the text null", "[manifest]") {
    for (const std::string empty : {"", " null", " ~"}) {
        auto text = k_valid;
        text.replace(text.find(" 30\n"), 3, empty);
        INFO("[" << empty << "]");
        check_error_at(load(text), "`expiresInDays` has no value", 11, 5);
    }
    auto quoted = k_valid;
    quoted.replace(quoted.find("Integration Bot"), 15, "\"null\"");
    CHECK(load(quoted).manifest->keys[0].name == "null");
}

TEST_CASE("nesting deeper than the limit is refused before parsing", "[manifest]") {
    check_error_at(load("a: " + std::string(40, '[') + std::string(40, ']')), "nested more than 16",
                   1, 19);
    std::string block;
    for (int i = 0; i < 30; ++i) {
        block += std::string(static_cast<std::size_t>(i), ' ') + "a:\n";
    }
    check_error_at(load(block), "nested more than 16", 17, 17);
}

TEST_CASE("a huge scalar is refused", "[manifest]") {
    auto text = k_valid;
    text.replace(text.find("Integration Bot"), 15, std::string(5000, 'x'));
    check_error_at(load(text), "longer than 4096 bytes", 9, 11);
}

TEST_CASE("more than 200 keys are refused", "[manifest]") {
    std::string text = k_valid.substr(0, k_valid.find("keys:")) + "keys:\n";
    for (int i = 0; i < 201; ++i) {
        text += "  - {name: k" + std::to_string(i) + ", permissions: [files:read], "
                "expiresInDays: 1}\n";
    }
    check_error_at(load(text), "this list has 201 entries; the limit is 200", 9, 3);
}

TEST_CASE("a megabyte of tiny values is refused before it is parsed", "[manifest]") {
    std::string text = "a: [";
    while (text.size() < 1000 * 1000) {
        text += "x,";
    }
    check_error_at(load(text + "x]\n"), "more than 20000 values", 1, 40003);
}

TEST_CASE("a manifest over 1 MiB is refused", "[manifest]") {
    const std::string text = k_valid + std::string(1024 * 1024, '#');
    const auto result = load(text);
    check_error_at(result, "larger than the limit of 1 MiB", 0, 0);
    CHECK(result.diagnostics.size() == 1);
}

TEST_CASE("invalid UTF-8 is reported at its first bad byte", "[manifest]") {
    auto text = k_valid;
    text.replace(text.find("Bot"), 3, "B\xC3\xA9t \xFF");
    check_error_at(load(text), "invalid UTF-8 (byte 0xFF)", 9, 27);
    check_error_at(load(std::string("version: 1\nna\0me: x", 19)), "NUL byte", 2, 3);
}

TEST_CASE("a byte order mark and CRLF line ends are accepted", "[manifest]") {
    std::string crlf;
    for (const char c : k_valid) {
        crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    }
    const auto result = load("\xEF\xBB\xBF" + crlf);
    INFO(all_messages(result));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->keys[0].location.line == 9);
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
    CHECK(result.diagnostics[0].line == 1);   // version
    CHECK(result.diagnostics[1].line == 3);   // http to a non-loopback host
    CHECK(result.diagnostics[2].line == 6);   // dotnev
    CHECK(result.diagnostics[3].line == 8);   // missing permissions, at the entry
    CHECK(result.diagnostics[4].line == 9);   // permisions: unknown field
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
    const fs::path dir = fs::temp_directory_path() / ("manifest_test_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto result = load_manifest(dir, test_env());
    CHECK_FALSE(result.manifest.has_value());
    CHECK(error_with(result, "this is a directory").line == 0);

    result = load_manifest(dir / "missing.yaml", test_env());
    CHECK(error_with(result, "cannot open the manifest").file == (dir / "missing.yaml").string());

    const fs::path big = dir / "big.yaml";
    std::ofstream(big) << std::string(1024 * 1024 + 1, '#');
    CHECK_FALSE(load_manifest(big, test_env()).manifest.has_value());
    CHECK(error_with(load_manifest(big, test_env()), "1 MiB").line == 0);

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
