// The strict YAML subset and the yaml-cpp 0.7 hazards it keeps away: aliases and anchors,
// tags, several documents, duplicate keys, YAML 1.1 numbers and booleans, empty values, and the
// size, depth and count limits. Each rejection checks the message, line and column.

#include "manifest_test_support.hpp"

using namespace manifest_test;

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
    std::string text =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
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
        CHECK(result.manifest->keys[0].permissions.unrestricted ==
              (scopes.find(':') == std::string::npos));
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

TEST_CASE("an anchor or tag on the line after an empty block scalar in a list entry is refused",
          "[manifest]") {
    // The scalar's content must be indented past `name`, not past the `-`: these lines are
    // fields of the entry, which the prescan once skipped as the scalar's text and so let
    // yaml-cpp see the alias.
    const std::string head = "version: 1\nkeys:\n";
    check_error_at(load(head + "  - name: |\n    permissions: &p [*p]\n"),
                   "YAML anchors (`&p`) are not supported", 4, 18);
    check_error_at(load(head + "  -   name: >\n      permissions: !t [files:read]\n"),
                   "YAML tags (`!t`) are not supported", 4, 20);
}

TEST_CASE("block scalars in list entries keep anchor characters as text", "[manifest]") {
    auto text = k_valid;
    text.replace(text.find("Integration Bot"), 15, ">-\n      Integration\n      Bot");
    text.replace(text.find("../secrets/bots.env"), 19, "|-\n      ../&out/*x!.env");
    const auto result = load(text);
    INFO(all_messages(result));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->keys[0].name == "Integration Bot");
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
        check_error_at(load(k_valid + "    protect: " + bad + "\n"), "expected true or false", 12,
                       14);
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

namespace {
/// A manifest of `count` keys in block style, as a large real one is written.
std::string many_keys(int count) {
    std::string text = k_valid.substr(0, k_valid.find("keys:")) + "keys:\n";
    for (int i = 0; i < count; ++i) {
        text += "  - name: k" + std::to_string(i) +
                "\n    permissions: [files:read, rooms:read]\n    expiresInDays: 30\n";
    }
    return text;
}
}  // namespace

TEST_CASE("a manifest of 10000 keys loads, and 10001 are refused", "[manifest]") {
    const auto result = load(many_keys(10000));
    INFO(all_messages(result));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->keys.size() == 10000);
    CHECK(result.manifest->keys.back().name == "k9999");
    check_error_at(load(many_keys(10001)), "this list has 10001 entries; the limit is 10000", 9, 3);
}

TEST_CASE("too many tiny values are refused before they are parsed", "[manifest]") {
    std::string text = "a: [";
    while (text.size() < 1000 * 1000) {
        text += "x,";
    }
    // The list is a value too: the 200001st value is the 200000th x.
    check_error_at(load(text + "x]\n"), "more than 200000 values", 1, 400003);
}

TEST_CASE("a manifest over 16 MiB is refused", "[manifest]") {
    const std::string text = k_valid + std::string(16 * 1024 * 1024, '#');
    const auto result = load(text);
    check_error_at(result, "larger than the limit of 16 MiB", 0, 0);
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
