// Field-by-field rejections of schema version 1: each test changes one field of a valid
// manifest and checks the message, the line and the column of the problem.

#include "manifest_test_support.hpp"

using namespace manifest_test;

namespace {

/// Checks that loading fails with a diagnostic of `severity` containing `text` at line:column
/// and returns that diagnostic.
Diagnostic expect_problem(const LoadResult& result, const std::string& text, int line, int column,
                          Severity severity = Severity::error) {
    INFO(all_messages(result));
    for (const auto& d : result.diagnostics) {
        if (d.severity == severity && d.message.find(text) != std::string::npos) {
            CHECK(d.line == line);
            CHECK(d.column == column);
            if (severity == Severity::error) {
                CHECK_FALSE(result.manifest.has_value());
            }
            return d;
        }
    }
    FAIL("no diagnostic mentions: " << text);
    return {};
}

/// k_valid with the first occurrence of `from` replaced by `to`.
std::string with(const std::string& from, const std::string& to) {
    std::string text = k_valid;
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

std::string with_url(const std::string& url) {
    return with("${DOCSPACE_URL}", url);
}

}  // namespace

TEST_CASE("version must be present and equal to 1", "[manifest]") {
    const auto v2 = expect_problem(load(with("version: 1", "version: 2")),
                                   "unsupported manifest version 2", 1, 10);
    CHECK(v2.path == "version");
    expect_problem(load(with("version: 1\n", "")), "missing required field `version`", 1, 1);
}

TEST_CASE("an unknown field gets a did-you-mean or the list of fields", "[manifest]") {
    const auto d =
        expect_problem(load(with("    expiresInDays", "    expiresIndays")),
                       "unknown field `expiresIndays`; did you mean `expiresInDays`?", 11, 5);
    CHECK(d.path == "keys[0].expiresIndays");
    expect_problem(load(with("    expiresInDays", "    expires_in_days")),
                   "did you mean `expiresInDays`?", 11, 5);
    expect_problem(load(k_valid + "colour: red\n"),
                   "unknown field `colour`; the fields here are: version, portal", 12, 1);
}

TEST_CASE("the portal URL must be https, or http to a loopback address", "[manifest]") {
    for (const std::string ok :
         {"https://portal.example.com/", "https://portal.example.com:8443", "http://127.0.0.1:5000",
          "http://localhost:80", "http://[::1]:9000/", "http://127.1.2.3"}) {
        const auto result = load(with_url(ok));
        INFO(ok << "\n" << all_messages(result));
        REQUIRE(result.manifest.has_value());
        CHECK(result.manifest->portal.url.back() != '/');
    }
    const std::map<std::string, std::string> bad = {
        {"http://portal.example.com", "only to a loopback address"},
        {"http://127.0.0.1.evil.com", "only to a loopback address"},
        {"ftp://portal.example.com", "must start with https://"},
        {"portal.example.com", "must start with https://"},
        {"https://portal.example.com/api/2.0", "without a path, query or fragment"},
        {"https://portal.example.com/?a=1", "without a path, query or fragment"},
        {"https://admin:pw@portal.example.com", "must not hold a user name or password"},
        {"https://portal.example.com:99999", "port must be a number from 1 to 65535"},
        {"https://", "has no host name"},
    };
    for (const auto& [url, message] : bad) {
        INFO(url);
        const auto d = expect_problem(load(with_url(url)), message, 3, 8);
        CHECK(d.path == "portal.url");
    }
}

TEST_CASE("token and tokenFile are alternatives", "[manifest]") {
    expect_problem(load(with("  token: ${DOCSPACE_TOKEN}\n",
                             "  token: ${DOCSPACE_TOKEN}\n  tokenFile: t.txt\n")),
                   "`token` and `tokenFile` are alternatives", 5, 3);
    const auto result = load(with("  token: ${DOCSPACE_TOKEN}\n", ""));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->portal.token.empty());
}

TEST_CASE("key names follow DocSpace's limits and are unique", "[manifest]") {
    expect_problem(load(with("Integration Bot", std::string(31, 'a'))),
                   "the name has 31 characters; DocSpace allows at most 30", 9, 11);
    CHECK(load(with("Integration Bot", std::string(30, 'a'))).manifest.has_value());
    expect_problem(load(with("Integration Bot", "Tom & Jerry")), "may use only letters", 9, 11);
    expect_problem(load(with("Integration Bot", "<b>bot</b>")), "HTML-encoded", 9, 11);
    expect_problem(load(with("Integration Bot", "\" bot\"")), "starts or ends with a space", 9, 11);
    expect_problem(load(with("Integration Bot", "\"\"")), "the name is empty", 9, 11);
    const auto dup = load(k_valid + "  - name: Integration Bot\n    permissions: [files:read]\n"
                                    "    expiresInDays: 1\n    env: OTHER\n");
    expect_problem(dup, "another entry is already named `Integration Bot` (line 9)", 12, 11);
}

TEST_CASE("permissions are checked against the scope catalogue", "[manifest]") {
    const auto d =
        expect_problem(load(with("files:write", "Files:Write")),
                       "unknown scope `Files:Write`; did you mean `files:write`?", 10, 31);
    CHECK(d.path == "keys[0].permissions[1]");
    expect_problem(load(with("files:write", "everything")),
                   "the scopes are: *, *:read, *:write, accounts:read", 10, 31);
    expect_problem(load(with("files:write", "files:read")), "`files:read` is listed twice", 10, 31);
    expect_problem(load(with("files:write", "\"*\"")),
                   "\"*\" means unrestricted and must be the "
                   "only scope",
                   10, 31);
    expect_problem(load(with("[files:read, files:write]", "[]")), "at least one scope", 10, 18);
    expect_problem(load(with("[files:read, files:write]", "files:read")), "expected a list", 10,
                   18);
}

TEST_CASE("expiresInDays is 1 to 365 or never", "[manifest]") {
    expect_problem(load(with("30\n", "0\n")), "from 1 to 365, or `never`; found 0", 11, 20);
    expect_problem(load(with("30\n", "366\n")), "found 366", 11, 20);
    expect_problem(load(with("30\n", "-3\n")), "found -3", 11, 20);
    expect_problem(load(with("30\n", "forever\n")), "`forever` is not a plain whole number", 11,
                   20);
    const auto never = load(with("30\n", "never\n"));
    REQUIRE(never.manifest.has_value());
    CHECK_FALSE(never.manifest->keys[0].expires_in_days.has_value());
    expect_problem(load(with("    expiresInDays: 30\n", "")),
                   "missing required field `expiresInDays`", 9, 5);
}

TEST_CASE("variable names are portable and unique", "[manifest]") {
    expect_problem(load(k_valid + "    env: bot_key\n"), "`bot_key` is not a portable variable", 12,
                   10);
    expect_problem(load(k_valid + "    env: 1KEY\n"), "not a portable variable", 12, 10);
    // A value that came from a variable is quoted as written: it might be a secret.
    const auto from_var = load(k_valid + "    env: ${DOCSPACE_TOKEN}\n");
    expect_problem(from_var, "`${DOCSPACE_TOKEN}` is not a portable variable", 12, 10);
    CHECK(all_messages(from_var).find("session-token") == std::string::npos);
    // "Integration-Bot" gets the same default variable name as "Integration Bot".
    const auto clash = load(k_valid + "  - name: Integration-Bot\n    permissions: [files:read]\n"
                                      "    expiresInDays: 1\n");
    const auto d = expect_problem(
        clash, "variable name `INTEGRATION_BOT_API_KEY` is already used by the entry on line 9", 12,
        11);
    CHECK(d.path == "keys[1].name");
}

TEST_CASE("rotation policies are checked", "[manifest]") {
    expect_problem(load(k_valid + "    rotation: {rotateBefore: 7}\n"), "`7` is not a duration", 12,
                   30);
    expect_problem(load(k_valid + "    rotation: {gracePeriod: 366d}\n"),
                   "gracePeriod must be shorter than 366d", 12, 29);
    expect_problem(load(k_valid + "    rotation: {rotateBefore: 0s}\n"),
                   "`0s` is not a duration; write a positive whole number", 12, 30);
    expect_problem(load(k_valid + "    rotation: {gracePeriod: -1s}\n"),
                   "`-1s` is not a duration; write a whole number", 12, 29);
    const auto no_overlap = load(k_valid + "    rotation: {gracePeriod: 0s}\n");
    REQUIRE(no_overlap.manifest);
    CHECK(no_overlap.manifest->keys.front().rotation.grace_period == std::chrono::seconds{0});
    expect_problem(load(k_valid + "    rotation: {retire: destroy}\n"),
                   "`destroy` is not one of: delete, deactivate, keep", 12, 24);
    expect_problem(load(k_valid + "    rotation: {rotateBefore: 30d}\n"),
                   "rotateBefore is not shorter than the lifetime of `Integration Bot` (30 days)",
                   12, 30);
    expect_problem(load(k_valid + "    onSecretUnknown: rotat\n"),
                   "`rotat` is not one of: fail, rotate, keep; did you mean `rotate`?", 12, 22);
    const auto defaults = load(with("outputs:", "defaults:\n  rotation:\n    rotateBefore: 5w\n"
                                                "outputs:"));
    const auto d =
        expect_problem(defaults, "not shorter than the lifetime of `Integration Bot`", 7, 19);
    CHECK(d.path == "defaults.rotation.rotateBefore");
}

TEST_CASE("rotateBefore on a key that never expires is ignored with a warning", "[manifest]") {
    const auto result = load(with("30\n", "never\n") + "    rotation: {rotateBefore: 3d}\n");
    expect_problem(result, "ignored: this key never expires", 12, 30, Severity::warning);
    CHECK(result.manifest.has_value());
}

TEST_CASE("outputs are checked", "[manifest]") {
    expect_problem(load(with("    format: dotenv", "    format: dotnev")),
                   "`dotnev` is not one of: dotenv, json, yaml, kubernetes; did you mean `dotenv`?",
                   7, 13);
    expect_problem(load(with("    format: dotenv\n", "")), "missing required field `format`", 6, 5);
    expect_problem(load(with("    format: dotenv", "    format: kubernetes")),
                   "format kubernetes needs the Secret's name", 7, 13);
    expect_problem(
        load(with("    format: dotenv", "    format: dotenv\n    kubernetes: {name: x}")),
        "applies only to `format: kubernetes`", 8, 5);
    expect_problem(load(with("    format: dotenv", "    format: kubernetes\n"
                                                   "    kubernetes: {name: Bot_Keys}")),
                   "a Secret name must be a DNS subdomain", 8, 24);
    expect_problem(load(with("    format: dotenv", "    format: kubernetes\n"
                                                   "    kubernetes: {namespace: ci}")),
                   "missing required field `name`", 8, 17);
    expect_problem(
        load(with("    format: dotenv", "    format: dotenv\n    keys: [Integration Bto]")),
        "no entry under `keys:` is named `Integration Bto`; did you mean `Integration "
        "Bot`?",
        8, 12);
    expect_problem(
        load(with("    format: dotenv", "    format: dotenv\n    encrypt: {age: [age1x]}")),
        "not an age recipient", 8, 21);
    expect_problem(
        load(with("    format: dotenv", "    format: dotenv\n  - path: ./../secrets/bots.env\n"
                                        "    format: json")),
        "another output (line 6) writes the same file", 8, 11);
    expect_problem(load(with("../secrets/bots.env", "bots.state.json")),
                   "this is the state file's path", 6, 11);
    expect_problem(load(with("../secrets/bots.env", "../secrets/")), "must name a file", 6, 11);
    expect_problem(load(with("  - path: ../secrets/bots.env\n    format: dotenv\n", "  []\n")),
                   "at least one output is needed", 6, 3);
}

TEST_CASE("sections of the wrong shape are reported", "[manifest]") {
    expect_problem(load(with("portal:\n", "portal: https://x\nxportal:\n")),
                   "expected the portal settings (a map of fields), found `https://x`", 2, 9);
    expect_problem(load(with("  - name: Integration Bot", "  - Integration Bot\n  - name: B")),
                   "expected a key entry (a map of fields), found `Integration Bot`", 9, 5);
    expect_problem(load(k_valid + "prune: 1\n"), "expected true or false", 12, 8);
}

TEST_CASE("an output's envPrefix is prepended to its variable names and must be a name prefix",
          "[manifest]") {
    const auto ok = load(with("    format: dotenv", "    format: dotenv\n    envPrefix: CI_"));
    INFO(all_messages(ok));
    REQUIRE(ok.manifest.has_value());
    CHECK(ok.manifest->outputs[0].env_prefix == "CI_");
    CHECK(provision::manifest::env_name(ok.manifest->outputs[0], ok.manifest->keys[0]) ==
          "CI_INTEGRATION_BOT_API_KEY");
    expect_problem(load(with("    format: dotenv", "    format: dotenv\n    envPrefix: ci-")),
                   "envPrefix must be upper-case letters", 8, 16);
}
