#include "provision/apply/journal.hpp"
#include "provision/core/atomic_file.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>

using namespace provision;

namespace {
struct JournalDir {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("provision-journal-" + std::to_string(::getpid()));
    std::filesystem::path file = dir / "bots.state.json.journal";
    JournalDir() {
        std::filesystem::create_directories(dir);
        std::filesystem::remove(file);
    }
    ~JournalDir() { std::filesystem::remove_all(dir); }
};
const core::Timestamp k_t = *core::parse_iso8601("2026-07-01T12:00:00Z");
}  // namespace

TEST_CASE("an intent without a done record survives a restart as pending", "[journal]") {
    JournalDir d;
    {
        auto j = apply::Journal::open(d.file);
        REQUIRE(j.ok());
        REQUIRE(j->record_intent("Bot", "Bot", k_t).ok());
        const auto second = j->record_intent("Other", "Other", k_t);
        REQUIRE(second.ok());
        REQUIRE(j->record_done(second.value(), "id-2").ok());
    }
    auto reopened = apply::Journal::open(d.file);
    REQUIRE(reopened.ok());
    REQUIRE(reopened->pending().size() == 1);
    CHECK(reopened->pending()[0].entry == "Bot");
    CHECK(reopened->pending()[0].time == k_t);
    struct stat st {};
    REQUIRE(::stat(d.file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("a torn last line is ignored and sequence numbers keep growing", "[journal]") {
    JournalDir d;
    {
        auto j = apply::Journal::open(d.file);
        REQUIRE(j.ok());
        REQUIRE(j->record_intent("Bot", "Bot", k_t).ok());
    }
    std::ofstream(d.file, std::ios::app) << "{\"op\":\"done\",\"se";
    auto j = apply::Journal::open(d.file);
    REQUIRE(j.ok());
    REQUIRE(j->pending().size() == 1);
    const auto next = j->record_intent("Two", "Two", k_t);
    REQUIRE(next.ok());
    CHECK(next.value() == 2);
}

TEST_CASE("resolving every intent lets the journal be emptied", "[journal]") {
    JournalDir d;
    auto j = apply::Journal::open(d.file);
    REQUIRE(j.ok());
    const auto seq = j->record_intent("Bot", "Bot", k_t);
    REQUIRE(seq.ok());
    REQUIRE(j->compact().ok());
    CHECK(std::filesystem::file_size(d.file) > 0);  // still pending: kept
    REQUIRE(j->record_resolved(seq.value()).ok());
    REQUIRE(j->compact().ok());
    CHECK(std::filesystem::file_size(d.file) == 0);
    auto reopened = apply::Journal::open(d.file);
    REQUIRE(reopened.ok());
    CHECK(reopened->pending().empty());
}

TEST_CASE("the journal never holds a secret: only entry, name, time and ids", "[journal]") {
    JournalDir d;
    auto j = apply::Journal::open(d.file);
    REQUIRE(j.ok());
    const auto seq = j->record_intent("Bot", "Bot", k_t);
    REQUIRE(seq.ok());
    REQUIRE(j->record_done(seq.value(), "6d0e3f1a-2b4c-4d5e-8f90-a1b2c3d4e5f6").ok());
    const auto text = core::read_file_if_exists(d.file);
    REQUIRE(text.ok());
    REQUIRE(text.value());
    CHECK(text.value()->find("sk-") == std::string::npos);
    CHECK(text.value()->find("\"op\":\"intent\"") != std::string::npos);
}

TEST_CASE("a mangled record neither throws nor drops a pending intent", "[journal]") {
    const auto contents = apply::parse_journal(
        "{\"op\":\"intent\",\"seq\":1,\"entry\":\"Bot\",\"name\":1,\"time\":2}\n"
        "{\"op\":\"intent\",\"seq\":2,\"entry\":[],\"name\":\"Two\"}\n"
        "{\"op\":7,\"seq\":2}\n");
    REQUIRE(contents.pending.size() == 2);
    CHECK(contents.pending[0].seq == 1);
    CHECK(contents.pending[0].entry == "Bot");
    CHECK(contents.pending[0].name.empty());
    CHECK(contents.pending[0].time == core::Timestamp{});
    CHECK(contents.pending[1].entry.empty());
    CHECK(contents.next_seq == 3);
}

TEST_CASE("a record whose sequence number is not a whole number below 2^64-1 is skipped",
          "[journal]") {
    // Taken as it was, -1 became 2^64-1 and the next number wrapped to 0, below pending ones.
    const auto contents = apply::parse_journal(
        "{\"op\":\"intent\",\"seq\":-1,\"entry\":\"A\",\"name\":\"A\"}\n"
        "{\"op\":\"intent\",\"seq\":18446744073709551615,\"entry\":\"B\",\"name\":\"B\"}\n"
        "{\"op\":\"intent\",\"seq\":1e300,\"entry\":\"C\",\"name\":\"C\"}\n"
        "{\"op\":\"intent\",\"seq\":\"4\",\"entry\":\"D\",\"name\":\"D\"}\n"
        "{\"op\":\"intent\",\"seq\":5,\"entry\":\"E\",\"name\":\"E\"}\n");
    REQUIRE(contents.pending.size() == 1);
    CHECK(contents.pending[0].entry == "E");
    CHECK(contents.next_seq == 6);
}

TEST_CASE("staged intents share one sync, and done records of a batch go in one append",
          "[journal]") {
    JournalDir d;
    {
        auto j = apply::Journal::open(d.file);
        REQUIRE(j.ok());
        const auto a = j->stage_intent("A", "A", k_t);
        const auto b = j->stage_intent("B", "B", k_t);
        const auto c = j->stage_intent("C", "C", k_t);
        REQUIRE((a.ok() && b.ok() && c.ok()));
        CHECK(j->pending().size() == 3);
        REQUIRE(j->sync().ok());
        REQUIRE(j->record_done({{a.value(), "id-a"}, {c.value(), "id-c"}}).ok());
        REQUIRE(j->pending().size() == 1);
        CHECK(j->pending()[0].entry == "B");
        CHECK(j->done_ids() == std::set<std::string>{"id-a", "id-c"});
    }
    auto reopened = apply::Journal::open(d.file);
    REQUIRE(reopened.ok());
    REQUIRE(reopened->pending().size() == 1);
    CHECK(reopened->pending()[0].entry == "B");
    CHECK(reopened->done_ids() == std::set<std::string>{"id-a", "id-c"});
}
