#include "provision/core/atomic_file.hpp"
#include "provision/core/diagnostic.hpp"
#include "provision/core/hash.hpp"
#include "provision/core/scopes.hpp"
#include "provision/core/secret.hpp"
#include "provision/core/table.hpp"
#include "provision/core/time.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

using namespace provision::core;

namespace {
const std::string k_key = "sk-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d29f3a";
}

TEST_CASE("a secret prints only its redacted form through ostreams, and fmt cannot print it",
          "[core]") {
    const Secret secret{k_key};
    // A log call given a Secret does not compile; it must log secret.redacted().
    STATIC_REQUIRE_FALSE(fmt::is_formattable<Secret>::value);
    CHECK(fmt::format("{}", secret.redacted()) == "sk-***9f3a");
    std::ostringstream os;
    os << secret;
    CHECK(os.str() == "sk-***9f3a");
    CHECK(Secret{"session-token-value-123456"}.redacted() == "***");
    CHECK(secret.reveal() == k_key);
}

TEST_CASE("a secret's fingerprint is the SHA-256 of its value", "[core]") {
    CHECK(Secret{"abc"}.fingerprint() ==
          "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256_hex is the plain SHA-256 the fingerprint is built on", "[core]") {
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(Secret{"abc"}.fingerprint() == "sha256:" + sha256_hex("abc"));
}

TEST_CASE("a secret compares its end to a key postfix without handing the value out", "[core]") {
    const Secret key{"sk-" + std::string(60, '0') + "9f3a"};
    CHECK(key.ends_with("9f3a"));
    CHECK(key.ends_with(key.reveal()));
    CHECK_FALSE(key.ends_with("9f3b"));
    CHECK_FALSE(key.ends_with(""));  // an unknown postfix matches nothing
    CHECK_FALSE(Secret{"ab"}.ends_with("xab"));
}

TEST_CASE("moving a secret leaves the source empty", "[core]") {
    Secret a{k_key};
    Secret b{std::move(a)};
    CHECK(a.empty());  // NOLINT(bugprone-use-after-move): checking the wipe is the point
    CHECK(b.reveal() == k_key);
}

TEST_CASE("redact_secrets masks every API key in free text", "[core]") {
    const std::string text = "got " + k_key + " and " + k_key + ".";
    CHECK(redact_secrets(text) == "got sk-***9f3a and sk-***9f3a.");
    CHECK(redact_secrets("sk-12 is short") == "sk-12 is short");
    CHECK(looks_like_api_key(k_key));
    CHECK_FALSE(looks_like_api_key(k_key.substr(1)));
}

TEST_CASE("ISO-8601 dates with offsets and 7 fraction digits parse to UTC", "[core]") {
    const auto a = parse_iso8601("2026-07-01T15:04:05.1234567+03:00");
    const auto b = parse_iso8601("2026-07-01T12:04:05.1234567Z");
    const auto c = parse_iso8601("2026-07-01T07:04:05.1234567-05:00");
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(c);
    CHECK(*a == *b);
    CHECK(*b == *c);
    CHECK(format_iso8601(*a) == "2026-07-01T12:04:05Z");
    CHECK_FALSE(parse_iso8601("2026-07-01T12:04:05"));
    CHECK_FALSE(parse_iso8601("2026-02-30T12:04:05Z"));
    CHECK_FALSE(parse_iso8601("2026-07-01T12:04:05Zjunk"));
    CHECK_FALSE(parse_iso8601(""));
}

TEST_CASE("ISO-8601 dates that leave the years 0000-9999 in UTC are refused", "[core]") {
    // Accepted, they were written back as "-001-12-31T23:00:00Z" and "10000-01-01T...", which
    // do not parse: a state file saved with one could not be loaded again.
    CHECK_FALSE(parse_iso8601("0000-01-01T00:00:00+01:00"));
    CHECK_FALSE(parse_iso8601("9999-12-31T23:00:00-01:00"));
    CHECK_FALSE(parse_iso8601("9999-12-31T23:59:60Z"));
    const auto first = parse_iso8601("0000-01-01T00:00:00Z");
    const auto last = parse_iso8601("9999-12-31T23:59:59.999999Z");
    REQUIRE(first);
    REQUIRE(last);
    CHECK(format_iso8601(*first) == "0000-01-01T00:00:00Z");
    CHECK(format_iso8601(*last) == "9999-12-31T23:59:59Z");
}

TEST_CASE("durations accept one positive integer and a unit", "[core]") {
    CHECK(parse_duration("30d") == std::chrono::seconds{30 * 86400});
    CHECK(parse_duration("2w") == std::chrono::seconds{14 * 86400});
    CHECK(parse_duration("90m") == std::chrono::seconds{5400});
    CHECK_FALSE(parse_duration("0d"));
    CHECK_FALSE(parse_duration("d"));
    CHECK_FALSE(parse_duration("3x"));
    CHECK_FALSE(parse_duration("-3d"));
    CHECK(format_remaining(std::chrono::seconds{90000}) == "1d 1h");
    CHECK(format_remaining(std::chrono::seconds{-120}) == "expired 2m ago");
}

TEST_CASE("scopes normalise '*', empty and duplicates as the server does", "[core]") {
    CHECK(Scopes::from_list({}).unrestricted);
    CHECK(Scopes::from_list({"files:read", "*"}).unrestricted);
    const auto s = Scopes::from_list({"rooms:read", "files:read", "rooms:read"});
    CHECK_FALSE(s.unrestricted);
    CHECK(s.items == std::vector<std::string>{"files:read", "rooms:read"});
    CHECK(Scopes::all().to_request() == std::vector<std::string>{"*"});
    CHECK(scope_catalogue().size() == 11);
    CHECK(is_known_scope("accounts.self:write"));
    CHECK_FALSE(is_known_scope("Files:Read"));
}

TEST_CASE("closest_match suggests near misses only", "[core]") {
    CHECK(closest_match("premissions", {"permissions", "name", "env"}) == "permissions");
    CHECK(closest_match("xyz", {"permissions", "name"}).empty());
    CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("atomic writes create 0600 files whatever the umask and refuse symlinks", "[core]") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("provision-core-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto file = dir / "out.env";
    const mode_t old = ::umask(0);
    const auto written = write_file_atomic(file, "A=1\n");
    ::umask(old);
    REQUIRE(written.ok());
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    const auto read = read_file_if_exists(file);
    REQUIRE(read.ok());
    CHECK(read.value() == std::optional<std::string>{"A=1\n"});
    const auto missing = read_file_if_exists(dir / "absent");
    REQUIRE(missing.ok());
    CHECK_FALSE(missing.value().has_value());

    const auto fifo = dir / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const auto from_fifo = read_file_if_exists(fifo);  // must not wait for a writer
    REQUIRE_FALSE(from_fifo.ok());
    CHECK(from_fifo.error().message.find("not a regular file") != std::string::npos);

    const auto link = dir / "link.env";
    std::filesystem::create_symlink(file, link);
    const auto refused = write_file_atomic(link, "B=2\n");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("symbolic link") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("a text table sizes each column to its widest cell, up to its cap", "[core][table]") {
    const std::vector<TableColumn> columns = {{"NAME", 8}, {"KEY", 10}, {"STATE", 6}};
    const std::string table = render_table(
        columns, {{"Bot", "sk-***9f3a", "active"}, {"A very long name", "sk-***0000", "expired"}});
    CHECK(table == "NAME      KEY         STATE\n"
                   "Bot       sk-***9f3a  active\n"
                   "A ver...  sk-***0000  exp...\n");
}

TEST_CASE("a text table counts code points, so names in other scripts keep the columns",
          "[core][table]") {
    const std::vector<TableColumn> columns = {{"NAME", 20}, {"KEY", 10}};
    const std::string table =
        render_table(columns, {{"Größe", "sk-***1111"}, {"Bot", "sk-***2222"}});
    CHECK(table == "NAME   KEY\n"
                   "Größe  sk-***1111\n"
                   "Bot    sk-***2222\n");
    CHECK(code_points("Größe") == 5);
    CHECK(fit("Größenordnung", 6) == "Grö...");
}

TEST_CASE("a text table narrows its widest columns to fit a terminal's width", "[core][table]") {
    const std::vector<TableColumn> columns = {{"NAME", 40}, {"SCOPES", 80}, {"STATE", 10}};
    const std::vector<std::vector<std::string>> rows = {
        {"Integration Bot", "files:read, files:write, rooms:read, rooms:write, accounts:read",
         "active"}};
    const std::string wide = render_table(columns, rows);
    CHECK(wide.find("accounts:read  active") != std::string::npos);
    const std::string narrow = render_table(columns, rows, 50);
    std::istringstream lines(narrow);
    for (std::string line; std::getline(lines, line);) {
        CHECK(code_points(line) <= 50);
    }
    CHECK(narrow.find("Integration Bot  files:read, files:writ...  active") != std::string::npos);
    // Columns never shrink below their title (or 6): a tiny limit is exceeded rather than met.
    const std::string tiny = render_table(columns, rows, 10);
    CHECK(tiny.rfind("NAME    SCOPES  STATE\n", 0) == 0);
    // A column that may not shrink keeps its cells whole.
    const std::vector<TableColumn> fixed = {{"NAME", 40, false}, {"SCOPES", 80}, {"STATE", 10}};
    CHECK(render_table(fixed, rows, 10).find("Integration Bot  fil...  active") !=
          std::string::npos);
}
