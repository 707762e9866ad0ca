// Errors about a mangled file the tool reads back (outputs of every format, the state file, the
// fingerprint index) give the file, line and column and what was expected, and never any of the
// file's text: a mangled line can put a secret where a variable or field name belongs. Each
// file below holds a distinctive marker where the old messages quoted a name.

#include "provision/core/json_positions.hpp"
#include "provision/output/age.hpp"
#include "provision/output/output.hpp"
#include "provision/state/state.hpp"

#include "process.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace provision;
using provision::manifest::OutputFormat;

namespace {

const std::string k_marker = "hunter2-not-a-var";

manifest::OutputSpec spec_of(OutputFormat format) {
    manifest::OutputSpec spec;
    spec.path = "/srv/ci/secrets/bots.out";
    spec.format = format;
    spec.k8s_name = "bots";
    return spec;
}

/// The error parse_output returns for `text`, checked to carry no marker.
std::string parse_error_of(OutputFormat format, const std::string& text) {
    const auto parsed = output::parse_output(spec_of(format), text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == core::Errc::invalid_input);
    const std::string& message = parsed.error().message;
    INFO(message);
    CHECK(message.find("hunter2") == std::string::npos);
    return message;
}

}  // namespace

TEST_CASE("a mangled dotenv output's error gives path, line and column, never the text",
          "[output][parse_error]") {
    CHECK_THAT(
        parse_error_of(OutputFormat::dotenv, "A='x'\n" + k_marker + "\n"),
        Catch::StartsWith("/srv/ci/secrets/bots.out:2:18: expected '=' after the variable name"));
    CHECK_THAT(parse_error_of(OutputFormat::dotenv, "A='x'\n" + k_marker + "=x y\n"),
               Catch::StartsWith("/srv/ci/secrets/bots.out:2:21: expected the end of the line"));
    CHECK_THAT(parse_error_of(OutputFormat::dotenv, "# head\n  =" + k_marker + "\n"),
               Catch::StartsWith("/srv/ci/secrets/bots.out:2:3: expected NAME=value"));
}

TEST_CASE("a mangled JSON output's error gives path, line and column, never the text",
          "[output][parse_error]") {
    const std::string not_object =
        "{\n  \"version\": 1,\n  \"keys\": {\n    \"" + k_marker + "\": \"x\"\n  }\n}\n";
    CHECK_THAT(parse_error_of(OutputFormat::json, not_object),
               Catch::StartsWith("/srv/ci/secrets/bots.out:4:26: expected an object"));
    const std::string no_secret =
        "{\"version\": 1, \"keys\": {\"" + k_marker + "\": {\"id\": \"" + k_marker + "\"}}}";
    CHECK_THAT(parse_error_of(OutputFormat::json, no_secret),
               Catch::StartsWith("/srv/ci/secrets/bots.out:1:46: expected a string \"secret\""));
    const std::string broken = "{\"version\": 1,\n \"keys\": {\"A\": " + k_marker + "}}";
    CHECK_THAT(parse_error_of(OutputFormat::json, broken),
               Catch::StartsWith("/srv/ci/secrets/bots.out:2:"));
    CHECK_THAT(parse_error_of(OutputFormat::json, "{\"version\": \"" + k_marker + "\"}"),
               Catch::StartsWith("/srv/ci/secrets/bots.out:1:13: expected \"version\": 1"));
}

TEST_CASE("a mangled YAML output's error gives path, line and column, never the text",
          "[output][parse_error]") {
    CHECK_THAT(
        parse_error_of(OutputFormat::yaml, "version: 1\nkeys:\n  " + k_marker + ": {id: x}\n"),
        Catch::StartsWith("/srv/ci/secrets/bots.out:3:22: expected a \"secret\" string"));
    CHECK_THAT(
        parse_error_of(OutputFormat::yaml, "version: 1\nkeys:\n  " + k_marker + ": plain\n"),
        Catch::StartsWith("/srv/ci/secrets/bots.out:3:22: expected a variable name and a map"));
    CHECK_THAT(parse_error_of(OutputFormat::yaml, "version: 1\nkeys: [\n  " + k_marker + "\n"),
               Catch::StartsWith("/srv/ci/secrets/bots.out:"));
}

TEST_CASE("a mangled Kubernetes output's error gives path, line and column, never the text",
          "[output][parse_error]") {
    const std::string head = "apiVersion: v1\nkind: Secret\n";
    CHECK_THAT(
        parse_error_of(OutputFormat::k8s_secret, head + "data:\n  " + k_marker + ": \"!!\"\n"),
        Catch::StartsWith("/srv/ci/secrets/bots.out:4:22: expected a base64 string"));
    CHECK_THAT(
        parse_error_of(OutputFormat::k8s_secret, head + "stringData:\n  " + k_marker + ": [1]\n"),
        Catch::StartsWith("/srv/ci/secrets/bots.out:4:22: expected a string"));
    CHECK_THAT(parse_error_of(OutputFormat::k8s_secret, "apiVersion: v1\nkind: " + k_marker + "\n"),
               Catch::StartsWith("/srv/ci/secrets/bots.out:2:7: expected \"kind: Secret\""));
}

TEST_CASE("a mangled state file's error gives path, line and column, never the text",
          "[state][parse_error]") {
    const std::string head =
        "{\n  \"version\": 1,\n  \"portal\": \"https://p\",\n  \"owner\": \"u\",\n";
    const std::string record =
        "{\"entry\": \"" + k_marker +
        "\", \"id\": \"i\", \"name\": \"n\", \"postfix\": \"p\", "
        "\"permissions\": \"*\", \"expiresInDays\": null, \"expiresAt\": null, "
        "\"createdAt\": \"2026-07-01T12:00:00Z\", \"fingerprint\": \"f\"}";
    SECTION("an unknown field named by the marker") {
        const auto parsed = state::parse_state(
            head + "  \"" + k_marker + "\": 1,\n  \"keys\": [],\n  \"retiring\": []\n}\n",
            "ci/bots.state.json");
        REQUIRE_FALSE(parsed.ok());
        INFO(parsed.error().message);
        CHECK_THAT(parsed.error().message,
                   Catch::StartsWith("state file ci/bots.state.json:5:24 is corrupt"));
        CHECK(parsed.error().message.find("hunter2") == std::string::npos);
    }
    SECTION("the same entry twice") {
        const auto parsed = state::parse_state(head + "  \"keys\": [\n    " + record + ",\n    " +
                                                   record + "\n  ],\n  \"retiring\": []\n}\n",
                                               "ci/bots.state.json");
        REQUIRE_FALSE(parsed.ok());
        INFO(parsed.error().message);
        CHECK_THAT(
            parsed.error().message,
            Catch::StartsWith("state file ci/bots.state.json:7:15 is corrupt: keys[1].entry"));
        CHECK(parsed.error().message.find("hunter2") == std::string::npos);
    }
    SECTION("invalid JSON") {
        const auto parsed =
            state::parse_state(head + "  \"keys\": [" + k_marker + "]", "ci/bots.state.json");
        REQUIRE_FALSE(parsed.ok());
        INFO(parsed.error().message);
        CHECK_THAT(parsed.error().message, Catch::StartsWith("state file ci/bots.state.json:5:"));
        CHECK(parsed.error().message.find("hunter2") == std::string::npos);
    }
}

TEST_CASE("a mangled fingerprint index's error gives path, line and column, never the text",
          "[output][age][parse_error]") {
    test_support::TempDir dir;
    const auto output_path = dir / "bots.env.age";
    std::ofstream(output::age_index_path(output_path))
        << "{\n  \"version\": 1,\n  \"content\": \"c\",\n  \"keys\": {\n    \"" << k_marker
        << "\": {\"entry\": 1}\n  }\n}\n";
    const auto read = output::read_age_index(output_path);
    REQUIRE_FALSE(read.ok());
    const std::string& message = read.error().message;
    INFO(message);
    CHECK_THAT(message,
               Catch::Contains(output::age_index_path(output_path).string() + ":5:26 is corrupt"));
    CHECK(message.find("hunter2") == std::string::npos);

    std::ofstream(output::age_index_path(output_path)) << "{\"version\": \"" << k_marker << "\"}";
    const auto wrong_version = output::read_age_index(output_path);
    REQUIRE_FALSE(wrong_version.ok());  // an error, not a nlohmann::type_error thrown
    CHECK_THAT(wrong_version.error().message, Catch::Contains(":1:13 is corrupt"));
}

TEST_CASE("JSON positions find values by key path, array index and escaped keys",
          "[core][parse_error]") {
    const std::string text = "{\n  \"a\": [1, {\"b\\u0041\": true}],\n  \"c\": {}\n}";
    const core::JsonPositions positions(text);
    CHECK(positions.at({}) == "1:1");
    CHECK(positions.at({"a"}) == "2:8");
    CHECK(positions.at({"a", "1"}) == "2:12");
    CHECK(positions.at({"a", "1", "bA"}) == "2:24");
    CHECK(positions.at({"c"}) == "3:8");
    CHECK(positions.at({"c", "missing"}) == "3:8");
    CHECK(core::line_column("ab\ncd", 4) == "2:2");
}
