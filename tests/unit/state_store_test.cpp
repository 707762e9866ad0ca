// State backends without a server: the file backend (its lock, which `state unlock` cannot
// release, and its removal after destroy), credentials in URLs (redaction, scrubbing,
// user information), state names, the unlock command a refusal suggests, and moving a
// state between two file backends (state migrate). The PostgreSQL backend is tested against a
// real cluster in tests/pg.

#include "apply/url_credentials.hpp"
#include "provision/apply/journal.hpp"
#include "provision/apply/lock.hpp"
#include "provision/apply/state_store.hpp"

#include "process.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
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

TEST_CASE("a password with a '/', '?' or '#' left unencoded is still redacted whole",
          "[state-store]") {
    CHECK(apply::redact_location("postgresql://ci:pa/ss@db/infra#bots") ==
          "postgresql://ci:***@db/infra#bots");
    CHECK(apply::redact_location("postgresql://ci:pa?ss@db/infra") ==
          "postgresql://ci:***@db/infra");
    CHECK(apply::redact_location("postgresql://ci:pa#ss@db/infra#bots") ==
          "postgresql://ci:***@db/infra#bots");
    // With a '#' in the password the fragment is the one after the credentials.
    CHECK(apply::split_fragment("postgresql://ci:pa#ss@db/infra#bots") ==
          std::pair<std::string, std::string>{"postgresql://ci:pa#ss@db/infra", "bots"});
    CHECK(apply::split_fragment("postgresql://ci@db/infra") ==
          std::pair<std::string, std::string>{"postgresql://ci@db/infra", ""});
}

TEST_CASE("query parameters that carry credentials are redacted, the others kept",
          "[state-store]") {
    CHECK(
        apply::redact_location("https://gitlab.example.com/api/v4/projects/42/terraform/state/bots?"
                               "private_token=glpat-abcdef123456&x=1") ==
        "https://gitlab.example.com/api/v4/projects/42/terraform/state/bots?"
        "private_token=***&x=1");
    CHECK(
        apply::redact_location("postgresql://ci@db/infra?sslmode=verify-full&sslpassword=k3y#b") ==
        "postgresql://ci@db/infra?sslmode=verify-full&sslpassword=***#b");
    CHECK(apply::redact_location("https://h/s?access_token=t0k&PASSWORD=p4ss") ==
          "https://h/s?access_token=***&PASSWORD=***");
}

TEST_CASE("a library message quoting the URL is scrubbed of its password, raw or decoded",
          "[state-store]") {
    // libpq quotes a token it cannot decode: the password itself.
    CHECK(apply::scrub_url_password("invalid percent-encoded token: \"s3cr%zzet\"",
                                    "postgresql://ci:s3cr%zzet@db/infra") ==
          "invalid percent-encoded token: \"***\"");
    CHECK(apply::scrub_url_password("user p@ssw0rd-1 refused",
                                    "postgresql://ci:p%40ssw0rd-1@db/x") == "user *** refused");
    CHECK(apply::scrub_url_password("GET https://h/s?private_token=glpat-99aa: refused",
                                    "https://h/s?private_token=glpat-99aa") ==
          "GET https://h/s?private_token=***: refused");
    // A password cut at a '/' left raw: libpq reads its first piece as the port.
    const std::string cut =
        apply::scrub_url_password("invalid integer value \"pa\" for connection option \"port\"",
                                  "postgresql://ci:pa/ss@db/x");
    CHECK(cut.find("\"pa\"") == std::string::npos);
    CHECK(cut.find("percent-encode") != std::string::npos);
    CHECK(apply::scrub_url_password("bad port \"long-part\"", "postgresql://ci:long-part/x@db/y") ==
          "bad port \"***\"");
    // Too short to replace without mangling the message: all of it is withheld.
    CHECK(apply::scrub_url_password("bad value \"ab\"", "postgresql://ci:ab@db/x").find("ab") ==
          std::string::npos);
    CHECK(apply::scrub_url_password("nothing to hide", "postgresql://ci@db/x") ==
          "nothing to hide");
}

TEST_CASE("user information is taken out of an address, decoded", "[state-store]") {
    const auto split = apply::split_userinfo("https://ci:p%40ss:w@gitlab.example.com/state/bots");
    CHECK(split.url == "https://gitlab.example.com/state/bots");
    CHECK(split.user == "ci");
    CHECK(split.password == "p@ss:w");
    const auto none = apply::split_userinfo("https://gitlab.example.com/state/bots");
    CHECK(none.url == "https://gitlab.example.com/state/bots");
    CHECK(none.user.empty());
    CHECK(none.password.empty());
}

TEST_CASE("the unlock command a refusal suggests names the manifest, and --state when needed",
          "[state-store]") {
    manifest::Manifest m;
    m.file = "manifests/bots.yaml";
    ::unsetenv("PROVISION_STATE");
    CHECK(apply::unlock_words(m) == "manifests/bots.yaml");
    m.file = "my keys/bots.yaml";
    CHECK(apply::unlock_words(m) == "'my keys/bots.yaml'");
    m.file = "it's.yaml";
    CHECK(apply::unlock_words(m) == "'it'\\''s.yaml'");
    m.file = "bots.yaml";
    m.state_url = "https://state.example.com/bots?x=1";
    CHECK(apply::unlock_words(m) == "bots.yaml --state 'https://state.example.com/bots?x=1'");
    // From PROVISION_STATE: the next command has it too.
    ::setenv("PROVISION_STATE", m.state_url.c_str(), 1);
    CHECK(apply::unlock_words(m) == "bots.yaml");
    ::unsetenv("PROVISION_STATE");
    // A password is never put on a command line.
    m.state_url = "postgresql://ci:pw@db/infra";
    CHECK(apply::unlock_words(m) == "bots.yaml");
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

TEST_CASE("the file backend's lock cannot outlive its process: state unlock explains, naming a "
          "live holder",
          "[state-store]") {
    test_support::TempDir dir;
    const auto path = dir.path() / "bots.state.json";
    auto store = file_store(path);
    const auto free = apply::find_lock(*store, "any-id");
    REQUIRE_FALSE(free.ok());
    CHECK(free.error().code == core::Errc::invalid_input);
    CHECK(free.error().message.find("nothing to unlock") != std::string::npos);
    CHECK(free.error().message.find("no process holds it now") != std::string::npos);

    auto lock = apply::RunLock::acquire(apply::lock_path_for(path), std::chrono::milliseconds(0));
    REQUIRE(lock.ok());
    const auto held = store->held_lock();
    REQUIRE_FALSE(held.ok());
    CHECK(held.error().message.find("held now by a live process (pid " +
                                    std::to_string(::getpid())) != std::string::npos);
    CHECK_FALSE(store->force_unlock(apply::HeldLock{}).ok());
    // The probe never took the lock from its holder.
    CHECK(apply::lock_holder(apply::lock_path_for(path)).has_value());
}

TEST_CASE("removing a file state removes its sealed secrets and an empty journal, and keeps a "
          "journal with records",
          "[state-store]") {
    test_support::TempDir dir;
    const auto path = dir.path() / "bots.state.json";
    auto store = file_store(path);
    REQUIRE(store->save(one_key_state("id-1")).ok());
    REQUIRE(store->write_sealed("Integration Bot", {"sha256:aa", "ciphertext"}).ok());
    const auto sealed = dir.path() / "bots.state.json.sealed.json";
    const auto journal = apply::journal_path_for(path);

    SECTION("an empty journal goes") {
        REQUIRE(store->append_journal(R"({"op":"done","seq":1,"id":"x"})").ok());
        REQUIRE(store->clear_journal().ok());
        REQUIRE(std::filesystem::exists(journal));
        REQUIRE(store->remove().ok());
        CHECK_FALSE(std::filesystem::exists(journal));
    }
    SECTION("a journal with records stays") {
        REQUIRE(store->append_journal(R"({"op":"done","seq":1,"id":"x"})").ok());
        REQUIRE(store->remove().ok());
        CHECK(std::filesystem::exists(journal));
    }
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK_FALSE(std::filesystem::exists(sealed));
    CHECK_FALSE(store->load_text().value().has_value());
    CHECK(store->read_sealed().value().empty());
    // Nothing left to remove is not an error.
    CHECK(store->remove().ok());
}
