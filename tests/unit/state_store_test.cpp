// State backends without a server: the file backend, URL redaction, state names, and moving a
// state between two file backends (state migrate). The PostgreSQL backend is tested against a
// real cluster in tests/pg.

#include "provision/apply/journal.hpp"
#include "provision/apply/state_store.hpp"

#include "process.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace provision;

namespace {

state::State one_key_state(const std::string& id) {
    state::State state;
    state.portal_url = "https://docspace.example.com";
    state::ManagedKey key;
    key.entry = "Integration Bot";
    key.id = id;
    key.name = "Integration Bot";
    key.postfix = "9f3a";
    key.created_at = *core::parse_iso8601("2026-07-01T12:00:00Z");
    key.fingerprint = "sha256:" + std::string(64, 'a');
    state.upsert(key);
    return state;
}

std::shared_ptr<apply::StateStore> file_store(const std::filesystem::path& path) {
    auto store = apply::open_state_store(path.string(), "");
    REQUIRE(store.ok());
    return store.value();
}

}  // namespace

TEST_CASE("a state URL is printed with its password replaced", "[state-store]") {
    CHECK(apply::redact_location("postgresql://ci:s3cret@db.example.com:5432/infra#bots") ==
          "postgresql://ci:***@db.example.com:5432/infra#bots");
    CHECK(apply::redact_location("postgresql://ci@db/infra?password=s3cret&sslmode=require") ==
          "postgresql://ci@db/infra?password=***&sslmode=require");
    CHECK(apply::redact_location("postgresql://ci@db.example.com/infra") ==
          "postgresql://ci@db.example.com/infra");
    CHECK(apply::redact_location("postgresql://db.example.com/infra") ==
          "postgresql://db.example.com/infra");
    // An '@' in the password (percent-encoded or not) does not leave part of it behind.
    CHECK(apply::redact_location("postgres://ci:p@ss@db/x") == "postgres://ci:***@db/x");
    CHECK(apply::redact_location("/srv/state/bots.state.json") == "/srv/state/bots.state.json");
}

TEST_CASE("a backend URL names its state by its fragment, else by the manifest's file name",
          "[state-store]") {
    manifest::Manifest m;
    m.file = "/srv/manifests/bots.yaml";
    m.state_url = "postgresql://ci@db/infra";
    CHECK(apply::state_name(m) == "bots");
    m.state_url = "postgresql://ci@db/infra#bots-production";
    CHECK(apply::state_name(m) == "bots-production");
    CHECK(manifest::is_state_url("postgresql://db/x"));
    CHECK(manifest::is_state_url("postgres://db/x"));
    CHECK_FALSE(manifest::is_state_url("postgresql.state.json"));
    CHECK_FALSE(manifest::is_state_url("/tmp/postgresql://x"));
}

TEST_CASE("the file backend keeps the state, its journal and sealed secrets beside each other",
          "[state-store]") {
    test_support::TempDir dir;
    const auto path = dir.path() / "bots.state.json";
    auto store = file_store(path);
    CHECK(store->is_file());
    CHECK(store->load().value().keys.empty());
    CHECK_FALSE(store->load_text().value().has_value());

    REQUIRE(store->save(one_key_state("id-1")).ok());
    CHECK(std::filesystem::exists(path));
    CHECK(store->load().value().keys.size() == 1);

    auto journal = apply::Journal::open(std::shared_ptr<apply::JournalLog>(store));
    REQUIRE(journal.ok());
    REQUIRE(journal->record_intent("Integration Bot", "Integration Bot", core::now_utc()).ok());
    CHECK(std::filesystem::exists(apply::journal_path_for(path)));
    const auto reopened = apply::Journal::open(apply::journal_path_for(path));
    REQUIRE(reopened.ok());
    CHECK(reopened->pending().size() == 1);

    REQUIRE(store
                ->write_sealed("Integration Bot",
                               {"sha256:aa", "-----BEGIN AGE ENCRYPTED FILE-----\nx\n"})
                .ok());
    REQUIRE(store->write_sealed("Backup Agent", {"sha256:bb", "y"}).ok());
    auto sealed = store->read_sealed();
    REQUIRE(sealed.ok());
    CHECK(sealed->size() == 2);
    CHECK(sealed->at("Integration Bot").fingerprint == "sha256:aa");
    REQUIRE(store->erase_sealed("Backup Agent").ok());
    CHECK(store->read_sealed().value().size() == 1);
    CHECK(std::filesystem::exists(dir.path() / "bots.state.json.sealed.json"));
}

TEST_CASE("a corrupt sealed secrets file is an error naming it", "[state-store]") {
    test_support::TempDir dir;
    const auto path = dir.path() / "bots.state.json";
    std::ofstream(dir.path() / "bots.state.json.sealed.json") << "{not json";
    const auto sealed = file_store(path)->read_sealed();
    REQUIRE_FALSE(sealed.ok());
    CHECK(sealed.error().code == core::Errc::invalid_input);
    CHECK(sealed.error().message.find("bots.state.json.sealed.json is corrupt") !=
          std::string::npos);
}

TEST_CASE("state migrate copies state, journal and sealed secrets, and never overwrites a "
          "different state",
          "[state-store]") {
    test_support::TempDir dir;
    auto from = file_store(dir.path() / "a.state.json");
    auto to = file_store(dir.path() / "b.state.json");

    SECTION("nothing to migrate") {
        const auto moved = apply::migrate_state(*from, *to, std::chrono::milliseconds(0));
        REQUIRE_FALSE(moved.ok());
        CHECK(moved.error().message.find("holds no state") != std::string::npos);
    }

    REQUIRE(from->save(one_key_state("id-1")).ok());
    REQUIRE(
        from->append_journal(
                R"({"op":"intent","seq":1,"entry":"Integration Bot","name":"Integration Bot","time":"2026-07-01T12:00:00Z","pid":1})")
            .ok());
    REQUIRE(from->write_sealed("Integration Bot", {"sha256:aa", "ciphertext"}).ok());

    SECTION("into an empty backend, and again (nothing differs)") {
        for (int round = 0; round < 2; ++round) {
            const auto moved = apply::migrate_state(*from, *to, std::chrono::milliseconds(0));
            REQUIRE(moved.ok());
            CHECK(moved->keys == 1);
            CHECK(moved->journal_records == 1);
            CHECK(moved->sealed == 1);
        }
        CHECK(to->load().value().keys.at(0).id == "id-1");
        CHECK(to->read_journal().value() == from->read_journal().value());
        CHECK(to->read_sealed().value().at("Integration Bot").armored == "ciphertext");
    }

    SECTION("a destination holding another state is left alone") {
        REQUIRE(to->save(one_key_state("id-2")).ok());
        const auto before = to->load_text().value();
        const auto moved = apply::migrate_state(*from, *to, std::chrono::milliseconds(0));
        REQUIRE_FALSE(moved.ok());
        CHECK(moved.error().code == core::Errc::invalid_input);
        CHECK(moved.error().message.find("already holds a different state") != std::string::npos);
        CHECK(to->load_text().value() == before);
        CHECK_FALSE(to->read_journal().value().has_value());
        CHECK(to->read_sealed().value().empty());
    }

    SECTION("a destination whose journal has interrupted creates is left alone") {
        REQUIRE(
            to->append_journal(
                  R"({"op":"intent","seq":4,"entry":"X","name":"X","time":"2026-07-01T12:00:00Z","pid":1})")
                .ok());
        const auto moved = apply::migrate_state(*from, *to, std::chrono::milliseconds(0));
        REQUIRE_FALSE(moved.ok());
        CHECK(moved.error().message.find("interrupted creates pending") != std::string::npos);
        CHECK_FALSE(to->load_text().value().has_value());
    }
}
