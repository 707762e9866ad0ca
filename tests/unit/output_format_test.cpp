#include "golden.hpp"
#include "provision/output/output.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace provision;
using provision::manifest::OutputFormat;
using provision::manifest::OutputSpec;
using provision::output::SecretRecord;

using golden::check_golden;

namespace {

SecretRecord make_record(const std::string& entry, const std::string& env,
                         const std::string& value) {
    SecretRecord record;
    record.entry = entry;
    record.env = env;
    record.secret = core::Secret{value};
    record.id = "id-" + env;
    record.name = entry;
    record.postfix = "9f3a";
    record.permissions = core::Scopes::from_list({"rooms:read", "files:read"});
    record.expires_at = core::parse_iso8601("2026-07-31T12:00:00Z");
    return record;
}

/// Values a careless writer would break: quotes of both kinds, shell and dotenv metacharacters,
/// control characters, unicode and a long value.
std::vector<SecretRecord> hostile_records() {
    std::vector<SecretRecord> records;
    records.push_back(
        make_record("Integration Bot", "INTEGRATION_BOT_API_KEY",
                    "sk-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d29f3a"));
    SecretRecord quotes =
        make_record("Bot \"O'Brien\" #1 = $x \\", "QUOTES",
                    "it's \"double\" and 'single' '\\'' \\\" `cmd` $(cmd) $HOME ${X}");
    quotes.permissions = core::Scopes::all();
    quotes.expires_at.reset();
    records.push_back(quotes);
    records.push_back(make_record("metachars", "METACHARS",
                                  "#not-a-comment a=b c = d; e & f | g > h < i * ? [x] ~ !"));
    records.push_back(
        make_record("lines", "NEWLINES", "first line\nsecond line\r\n\ttabbed\n\nlast\n"));
    records.push_back(
        make_record("backslashes", "BACKSLASHES", "\\ \\\\ \\n \\t \\' \\\" trailing\\"));
    records.push_back(make_record("unicode ключ 🔑", "UNICODE",
                                  "ünïcødé ключ 秘密 🔑 \u00a0nbsp \u2028ls \u0085nel \ufeffbom"));
    records.push_back(
        make_record("controls", "CONTROLS", std::string("bell\a esc\x1b del\x7f vt\v ff\f end")));
    records.push_back(make_record("spaces", "SPACES", "  leading and trailing  "));
    records.push_back(make_record("empty-looking", "LOOKS_EMPTY", "''"));
    std::string long_value;
    for (int i = 0; i < 400; ++i) {
        long_value += "long-" + std::to_string(i) + "-'\"$#=\\|";
    }
    records.push_back(make_record("long", "LONG_VALUE", long_value));
    return records;
}

OutputSpec spec_for(OutputFormat format, bool string_data = false) {
    OutputSpec spec;
    spec.path = "/nonexistent/out";
    spec.format = format;
    spec.k8s_name = "docspace-bots";
    spec.k8s_namespace = "integrations";
    spec.k8s_string_data = string_data;
    return spec;
}

/// Renders, failing the test with the error message when rendering is refused.
std::string render(const OutputSpec& spec, const std::vector<SecretRecord>& records) {
    const auto text = output::render_output(spec, records);
    INFO((text.ok() ? std::string() : text.error().message));
    REQUIRE(text.ok());
    return *text;
}

void check_round_trip(const OutputSpec& spec, const std::vector<SecretRecord>& records) {
    const std::string text = render(spec, records);
    const auto parsed = output::parse_output(spec, text);
    INFO((parsed.ok() ? std::string() : parsed.error().message));
    REQUIRE(parsed.ok());
    REQUIRE(parsed->size() == records.size());
    for (const auto& record : records) {
        INFO("variable " << record.env);
        const auto it = parsed->find(record.env);
        REQUIRE(it != parsed->end());
        CHECK(it->second.reveal() == record.secret.reveal());
    }
}

}  // namespace

TEST_CASE("every format matches its golden file for hostile values", "[output]") {
    const auto records = hostile_records();
    const std::vector<std::pair<std::string, OutputSpec>> cases = {
        {"hostile.env", spec_for(OutputFormat::dotenv)},
        {"hostile.json", spec_for(OutputFormat::json)},
        {"hostile.yaml", spec_for(OutputFormat::yaml)},
        {"hostile.k8s-data.yaml", spec_for(OutputFormat::k8s_secret)},
        {"hostile.k8s-stringdata.yaml", spec_for(OutputFormat::k8s_secret, true)},
    };
    for (const auto& [name, spec] : cases) {
        SECTION(name) {
            check_golden(name, render(spec, records));
        }
    }
}

TEST_CASE("every format reads back exactly the hostile values it wrote", "[output]") {
    const auto records = hostile_records();
    SECTION("dotenv") {
        check_round_trip(spec_for(OutputFormat::dotenv), records);
    }
    SECTION("json") {
        check_round_trip(spec_for(OutputFormat::json), records);
    }
    SECTION("yaml") {
        check_round_trip(spec_for(OutputFormat::yaml), records);
    }
    SECTION("kubernetes data") {
        check_round_trip(spec_for(OutputFormat::k8s_secret), records);
    }
    SECTION("kubernetes stringData") {
        check_round_trip(spec_for(OutputFormat::k8s_secret, true), records);
    }
}

TEST_CASE("JSON and YAML outputs carry hostile variable names and metadata", "[output]") {
    std::vector<SecretRecord> records = {
        make_record("a", "weird \"name\": #1\n- x", "v1"),
        make_record("b", "yes", "017"),
        make_record("c", "null", "null"),
        make_record("d", "~", ""),
    };
    records[0].name = "name: {with} [yaml] & *refs !tag %";
    check_round_trip(spec_for(OutputFormat::json), records);
    check_round_trip(spec_for(OutputFormat::yaml), records);
}

// yaml-cpp's YAML::Emitter writes U+FFFD in place of these, which is why the YAML writers are
// hand-written (src/output/yaml_output.cpp says so).
TEST_CASE("YAML outputs carry Unicode noncharacters byte for byte", "[output]") {
    const std::vector<SecretRecord> records = {
        make_record("fffe", "FFFE", "a\uFFFEb"),
        make_record("fdd0", "FDD0", "a\uFDD0b"),
        make_record("max", "MAX", "a\U0010FFFFb"),
    };
    check_round_trip(spec_for(OutputFormat::yaml), records);
    check_round_trip(spec_for(OutputFormat::k8s_secret, true), records);
}

TEST_CASE("rendering is deterministic and follows record order", "[output]") {
    const auto records = hostile_records();
    std::vector<SecretRecord> reversed(records.rbegin(), records.rend());
    for (const auto format :
         {OutputFormat::dotenv, OutputFormat::json, OutputFormat::yaml, OutputFormat::k8s_secret}) {
        const auto spec = spec_for(format);
        const auto first = output::render_output(spec, records);
        const auto second = output::render_output(spec, records);
        const auto other = output::render_output(spec, reversed);
        REQUIRE(first.ok());
        REQUIRE(second.ok());
        REQUIRE(other.ok());
        CHECK(*first == *second);
        CHECK(first->find("INTEGRATION_BOT_API_KEY") < first->find("LONG_VALUE"));
        CHECK(other->find("INTEGRATION_BOT_API_KEY") > other->find("LONG_VALUE"));
    }
}

TEST_CASE("a Kubernetes Secret has the name, namespace, label and secret-free annotations",
          "[output]") {
    const auto records = hostile_records();
    const auto text = output::render_output(spec_for(OutputFormat::k8s_secret), records);
    REQUIRE(text.ok());
    CHECK(text->find("apiVersion: v1\nkind: Secret\n") != std::string::npos);
    CHECK(text->find("  name: \"docspace-bots\"\n  namespace: \"integrations\"\n") !=
          std::string::npos);
    CHECK(text->find("app.kubernetes.io/managed-by: \"provision\"") != std::string::npos);
    CHECK(text->find("type: Opaque\ndata:\n") != std::string::npos);
    const auto annotations = text->substr(text->find("annotations:"),
                                          text->find("type: Opaque") - text->find("annotations:"));
    CHECK(annotations.find(records[0].id) != std::string::npos);
    for (const auto& record : records) {
        CHECK(annotations.find(record.secret.reveal()) == std::string::npos);
    }
    // No plaintext secret anywhere under `data`.
    CHECK(text->find(records[0].secret.reveal()) == std::string::npos);

    auto no_namespace = spec_for(OutputFormat::k8s_secret);
    no_namespace.k8s_namespace.clear();
    const auto bare = output::render_output(no_namespace, records);
    REQUIRE(bare.ok());
    CHECK(bare->find("namespace:") == std::string::npos);
}

TEST_CASE("a Kubernetes Secret with both data and stringData reads stringData last", "[output]") {
    const std::string text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ntype: Opaque\n"
                             "data:\n  A: YWJj\n  B: Zm9v\nstringData:\n  B: bar\n";
    const auto parsed = output::parse_output(spec_for(OutputFormat::k8s_secret), text);
    REQUIRE(parsed.ok());
    CHECK(parsed->at("A").reveal() == "abc");
    CHECK(parsed->at("B").reveal() == "bar");
}

TEST_CASE("base64 in Kubernetes data round-trips every byte length and rejects garbage",
          "[output]") {
    std::vector<SecretRecord> records;
    std::string value;
    for (int length = 0; length < 8; ++length) {
        records.push_back(
            make_record("k" + std::to_string(length), "K" + std::to_string(length), value));
        value.push_back(
            static_cast<char>(0xF0 + length));  // not UTF-8 on purpose: data is binary-safe
    }
    check_round_trip(spec_for(OutputFormat::k8s_secret), records);
    const auto text = output::render_output(spec_for(OutputFormat::k8s_secret),
                                            {make_record("f", "F", "foobar")});
    REQUIRE(text.ok());
    CHECK(text->find("\"F\": \"Zm9vYmFy\"") != std::string::npos);
    // White space around or inside the text too: OpenSSL's decoder, underneath, would skip it
    // ("\\t" is a tab once YAML has read the double-quoted scalar).
    for (const char* bad : {"Zm9", "Zm9v!mFy", "Zg=a", "Zh==", "=====", " Zm9v", "Zm9v ",
                            "Zm9v\\tYmFy", "Zm 9v", "Zg==Zg=="}) {
        const std::string manifest =
            std::string("apiVersion: v1\nkind: Secret\ndata:\n  A: \"") + bad + "\"\n";
        INFO(bad);
        CHECK_FALSE(output::parse_output(spec_for(OutputFormat::k8s_secret), manifest).ok());
    }
}

TEST_CASE("dotenv parsing accepts the forms people write by hand", "[output]") {
    const std::string text = "\xEF\xBB\xBF# comment\n"
                             "\n"
                             "   # indented comment\n"
                             "export EXPORTED=plain\n"
                             "SINGLE='a b # c'  # trailing comment\n"
                             "DOUBLE=\"x \\\"y\\\" \\$z \\\\ \\n\"\n"
                             "UNQUOTED=value#hash\n"
                             "CONCAT='it'\\''s'\"-\"more\n"
                             "SPACED = 'spaced'\r\n"
                             "EMPTY=\n"
                             "EMPTY_COMMENT= # nothing\n"
                             "MULTI='line1\nline2'\n"
                             "DUP=first\nDUP=second";
    const auto parsed = output::parse_output(spec_for(OutputFormat::dotenv), text);
    REQUIRE(parsed.ok());
    CHECK(parsed->at("EXPORTED").reveal() == "plain");
    CHECK(parsed->at("SINGLE").reveal() == "a b # c");
    CHECK(parsed->at("DOUBLE").reveal() == "x \"y\" $z \\ \\n");
    CHECK(parsed->at("UNQUOTED").reveal() == "value#hash");
    CHECK(parsed->at("CONCAT").reveal() == "it's-more");
    CHECK(parsed->at("SPACED").reveal() == "spaced");
    CHECK(parsed->at("EMPTY").reveal().empty());
    CHECK(parsed->at("EMPTY_COMMENT").reveal().empty());
    CHECK(parsed->at("MULTI").reveal() == "line1\nline2");
    CHECK(parsed->at("DUP").reveal() == "second");
}

TEST_CASE("corrupt dotenv files are errors that name the line and column but not the value",
          "[output]") {
    const auto spec = spec_for(OutputFormat::dotenv);
    const auto unterminated = output::parse_output(spec, "A=ok\nB='sk-secretvalue\n");
    REQUIRE_FALSE(unterminated.ok());
    CHECK_THAT(unterminated.error().message,
               Catch::StartsWith("/nonexistent/out:2:3: expected a closing single quote"));
    CHECK(unterminated.error().message.find("secretvalue") == std::string::npos);
    const auto no_equals = output::parse_output(spec, "A=ok\n\njust-text\n");
    REQUIRE_FALSE(no_equals.ok());
    CHECK_THAT(no_equals.error().message, Catch::StartsWith("/nonexistent/out:3:10: expected '='"));
    const auto trailing = output::parse_output(spec, "A=one two\n");
    REQUIRE_FALSE(trailing.ok());
    CHECK_THAT(trailing.error().message,
               Catch::StartsWith("/nonexistent/out:1:7: expected the end of the line"));
}

TEST_CASE("corrupt JSON, YAML and Kubernetes outputs are errors", "[output]") {
    CHECK_FALSE(
        output::parse_output(spec_for(OutputFormat::json), "{\"version\":1,\"keys\":{").ok());
    CHECK_FALSE(
        output::parse_output(spec_for(OutputFormat::json), "{\"version\":2,\"keys\":{}}").ok());
    CHECK_FALSE(
        output::parse_output(spec_for(OutputFormat::json), "{\"version\":1,\"keys\":{\"A\":{}}}")
            .ok());
    CHECK_FALSE(output::parse_output(spec_for(OutputFormat::yaml), "version: 1\nkeys: [\n").ok());
    CHECK_FALSE(
        output::parse_output(spec_for(OutputFormat::yaml), "version: 1\nkeys:\n  A: plain\n").ok());
    CHECK_FALSE(output::parse_output(spec_for(OutputFormat::k8s_secret),
                                     "apiVersion: v1\nkind: ConfigMap\n")
                    .ok());
}

TEST_CASE("a YAML or Kubernetes output missing a field it needs is an error, not an exception",
          "[output]") {
    // yaml-cpp throws when asked about a missing key; a file of the other YAML format, or one
    // edited by hand, must read as corrupt instead.
    const std::string yaml_output = "version: 1\nkeys: {}\n";
    const auto as_kubernetes =
        output::parse_output(spec_for(OutputFormat::k8s_secret), yaml_output);
    REQUIRE_FALSE(as_kubernetes.ok());
    CHECK_THAT(as_kubernetes.error().message, Catch::Contains("1:1: expected \"kind: Secret\""));
    const auto no_secret =
        output::parse_output(spec_for(OutputFormat::yaml), "version: 1\nkeys:\n  A_KEY: {id: x}\n");
    REQUIRE_FALSE(no_secret.ok());
    CHECK_THAT(no_secret.error().message, Catch::Contains("3:10: expected a \"secret\" string"));
    const auto no_version = output::parse_output(spec_for(OutputFormat::yaml), "keys: {}\n");
    REQUIRE_FALSE(no_version.ok());
    CHECK_THAT(no_version.error().message, Catch::Contains("version: 1"));
}

TEST_CASE("a corrupt output's error never repeats a secret the file holds", "[output]") {
    const std::string secret =
        "sk-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d29f3a";
    // A secret pasted on a line of its own reads as a variable name with no `=`.
    const auto dotenv =
        output::parse_output(spec_for(OutputFormat::dotenv), "A=ok\n" + secret + "\n");
    REQUIRE_FALSE(dotenv.ok());
    CHECK_THAT(dotenv.error().message, Catch::Contains("out:2:"));
    CHECK(dotenv.error().message.find(secret.substr(3, 16)) == std::string::npos);
    const auto json = output::parse_output(spec_for(OutputFormat::json),
                                           R"({"version":1,"keys":{")" + secret + R"(":"x"}})");
    REQUIRE_FALSE(json.ok());
    CHECK(json.error().message.find(secret.substr(3, 16)) == std::string::npos);
}

TEST_CASE("a JSON output with a number too large for a double is an error", "[output]") {
    const auto parsed =
        output::parse_output(spec_for(OutputFormat::json), R"({"version":1e999,"keys":{}})");
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.error().message, Catch::Contains("expected valid JSON"));
}

TEST_CASE("values a format cannot carry are refused with a message naming the variable",
          "[output]") {
    const auto nul = make_record("n", "NUL_VALUE", std::string("a\0b", 3));
    const auto dotenv = output::render_output(spec_for(OutputFormat::dotenv), {nul});
    REQUIRE_FALSE(dotenv.ok());
    CHECK(dotenv.error().message.find("NUL_VALUE") != std::string::npos);
    const auto bad_utf8 = make_record("u", "BAD_UTF8", "\xC3\x28");
    CHECK_FALSE(output::render_output(spec_for(OutputFormat::json), {bad_utf8}).ok());
    CHECK_FALSE(output::render_output(spec_for(OutputFormat::yaml), {bad_utf8}).ok());
    CHECK(output::render_output(spec_for(OutputFormat::k8s_secret), {bad_utf8}).ok());
    const auto bad_name = make_record("b", "NOT A NAME", "v");
    CHECK_FALSE(output::render_output(spec_for(OutputFormat::dotenv), {bad_name}).ok());
    const auto dup =
        output::render_output(spec_for(OutputFormat::json),
                              {make_record("a", "SAME", "1"), make_record("b", "SAME", "2")});
    REQUIRE_FALSE(dup.ok());
    CHECK(dup.error().message.find("SAME") != std::string::npos);
}
