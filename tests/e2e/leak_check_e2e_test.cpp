// The suite-wide leak test's checker (tests/leak/leak_check.cpp) proves something: on a
// collection of its own, a transcript or project file holding a secret an emulator issued, raw,
// as a piece, or base64-encoded inside a header, is found and named by file and byte offset with
// the secret redacted; the same collection without the leaks passes; an empty one fails.

#include "e2e_support.hpp"
#include "leak_scan.hpp"

using namespace e2e;

namespace {

std::string base64(const std::string& text) {
    test_support::RunOptions options;
    options.stdin_text = text;
    const auto r = test_support::run_process({"/usr/bin/base64", "-w0"}, options);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

test_support::ProcessResult leak_check(const fs::path& dir) {
    return test_support::run_process({LEAK_CHECK_BINARY, dir.string()});
}

}  // namespace

TEST_CASE("leak_check finds an issued secret in any form, names file and offset, and never prints "
          "the secret",
          "[e2e][leak]") {
    Emulator emu;
    const std::string owner = "Bearer " + Emulator::owner_token();
    const auto key = emu.create_key(owner, {{"name", "Leaky"}});
    const std::string secret = key.at("key");
    const std::string postfix = secret.substr(secret.size() - 4);
    // A deleted key's secret still counts.
    REQUIRE(emu.del("/api/2.0/keys/" + key.at("id").get<std::string>(), owner).status == 200);

    TempDir dir;
    write_text(dir / "issued" / "1.json", emu.issued().dump());
    const std::string trace =
        "# test: clean\n--- stderr ---\ntrace: http > Authorization: Bearer sk-***" + postfix +
        "\n";
    write_text(dir / "transcripts" / "clean.txt", trace);
    const std::string padding(100, '.');
    write_text(dir / "transcripts" / "raw.txt", padding + secret + "\n");
    write_text(dir / "transcripts" / "piece.txt", padding + "x" + secret.substr(12, 16) + "\n");
    write_text(dir / "transcripts" / "base64.txt",
               padding + "Authorization: Basic " + base64("user:" + secret) + "\n");
    write_text(dir / "files" / "1" / "bots.state.json", padding + Emulator::owner_token());

    const auto found = leak_check(dir.path());
    INFO(found.out << found.err);
    CHECK(found.exit_code == 1);
    const std::string prefix = (dir / "transcripts" / "").string();
    const std::string raw_hit = "key sk-***" + postfix + " (raw)";
    CHECK(found.out.find(prefix + "raw.txt:100: " + raw_hit) != std::string::npos);
    CHECK(found.out.find(prefix + "piece.txt:101: " + raw_hit) != std::string::npos);
    CHECK(found.out.find(prefix + "base64.txt:") != std::string::npos);
    CHECK(found.out.find("(base64)") != std::string::npos);
    CHECK(found.out.find((dir / "files" / "1" / "bots.state.json").string() + ":100: token ***") !=
          std::string::npos);
    CHECK(found.out.find("clean.txt") == std::string::npos);
    CHECK(found.out.find("4 hit(s)") != std::string::npos);
    // The report itself leaks nothing.
    const leak_scan::Scanner scanner({{secret, "key"}, {Emulator::owner_token(), "token"}});
    CHECK(scanner.scan(found.out + found.err).empty());

    for (const std::string leaky : {"raw.txt", "piece.txt", "base64.txt"}) {
        fs::remove(dir / "transcripts" / leaky);
    }
    fs::remove_all(dir / "files");
    const auto clean = leak_check(dir.path());
    INFO(clean.out);
    CHECK(clean.exit_code == 0);
    CHECK(clean.out.find("0 hit(s)") != std::string::npos);

    TempDir empty;
    const auto nothing = leak_check(empty.path());
    CHECK(nothing.exit_code == 1);
    CHECK(nothing.out.find("too little was collected") != std::string::npos);
}
