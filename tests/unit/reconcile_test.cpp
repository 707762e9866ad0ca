// reconcile_pending against the in-memory FakeKeysApi: the key a lost create made is revoked,
// or adopted when an output already holds its secret; an intent that matched no key is watched
// for a late commit until k_settle_window has passed.

#include "apply_test_support.hpp"
#include "fake_keys_api.hpp"
#include "provision/apply/journal.hpp"
#include "provision/apply/reconcile.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace provision;
namespace fs = std::filesystem;

namespace {

struct Fixture {
    fs::path dir = apply_test::fresh_dir("provision-reconcile-");
    manifest::Manifest manifest = apply_test::manifest_in(dir);
    api::FakeKeysApi api;
    std::optional<apply::Journal> journal;

    Fixture() {
        apply_test::add_key(manifest, "Bot", {"files:read"}, 30);
        auto opened = apply::Journal::open(apply::journal_path_for(manifest.state_path));
        REQUIRE(opened.ok());
        journal.emplace(std::move(opened.value()));
    }
    ~Fixture() { fs::remove_all(dir); }
    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;

    apply::World world() {
        auto observed = apply::observe(manifest, api);
        REQUIRE(observed.ok());
        return std::move(observed.value());
    }

    apply::ReconcileReport reconcile(apply::World& w) {
        return apply::reconcile_pending(manifest, w, api, *journal, api.now());
    }
};

}  // namespace

TEST_CASE("the key a lost create made is revoked and its intent resolved", "[apply]") {
    Fixture f;
    REQUIRE(f.journal->record_intent("Bot", "Bot", f.api.now()).ok());
    f.api.seed("Bot", core::Scopes::from_list({"files:read"}), 30);  // committed, answer lost
    auto world = f.world();
    const auto report = f.reconcile(world);
    CHECK(report.revoked == 1);
    CHECK_FALSE(report.unresolved);
    CHECK(f.api.keys().empty());
    CHECK(f.journal->pending().empty());
}

TEST_CASE("a key whose secret reached an output is adopted, not revoked", "[apply]") {
    Fixture f;
    REQUIRE(f.journal->record_intent("Bot", "Bot", f.api.now()).ok());
    const auto created = f.api.seed("Bot", core::Scopes::from_list({"files:read"}), 30);
    // The crash came after the outputs were written and before the state was saved.
    apply::World written = f.world();
    written.state.upsert(plan::managed_record("Bot", created.key));  // in memory only
    written.secrets["Bot"] = created.secret;
    REQUIRE(apply::write_all_outputs(f.manifest, written).ok());
    auto world = f.world();
    REQUIRE(world.unverified["Bot"].size() == 1);
    const auto report = f.reconcile(world);
    CHECK(report.adopted == 1);
    CHECK(report.revoked == 0);
    CHECK(f.api.keys().size() == 1);
    CHECK(world.state.tracks(created.key.id));
    CHECK(f.journal->pending().empty());
}

TEST_CASE("an intent with no key yet is watched, and a key the portal commits late is revoked",
          "[apply]") {
    Fixture f;
    REQUIRE(f.journal->record_intent("Bot", "Bot", f.api.now()).ok());
    auto world = f.world();
    auto first = f.reconcile(world);
    CHECK(first.watching == 1);
    CHECK_FALSE(first.unresolved);
    CHECK(f.journal->pending().size() == 1);

    // A minute later the portal finishes the create the client had given up on.
    f.api.advance(std::chrono::seconds{60});
    f.api.seed("Bot", core::Scopes::from_list({"files:read"}), 30);
    world = f.world();
    const auto second = f.reconcile(world);
    CHECK(second.revoked == 1);
    CHECK(second.watching == 0);
    CHECK(f.api.keys().empty());
    CHECK(f.journal->pending().empty());
}

TEST_CASE("an intent older than the settle window with no key is resolved", "[apply]") {
    Fixture f;
    REQUIRE(f.journal->record_intent("Bot", "Bot", f.api.now()).ok());
    f.api.advance(std::chrono::duration_cast<std::chrono::seconds>(apply::k_settle_window) +
                  std::chrono::seconds{1});
    auto world = f.world();
    const auto report = f.reconcile(world);
    CHECK(report.watching == 0);
    CHECK(report.revoked == 0);
    CHECK(f.journal->pending().empty());
}

TEST_CASE("a key the state already binds is never taken for an orphan: its intent is done",
          "[apply]") {
    Fixture f;
    REQUIRE(f.journal->record_intent("Bot", "Bot", f.api.now()).ok());
    const auto created = f.api.seed("Bot", core::Scopes::from_list({"files:read"}), 30);
    auto world = f.world();
    // Killed after the state was saved, before the journal's done record.
    world.state.upsert(plan::managed_record("Bot", created.key));
    const auto report = f.reconcile(world);
    CHECK(report.revoked == 0);
    CHECK(report.persisted == 1);
    CHECK(report.watching == 0);
    CHECK(f.api.keys().size() == 1);
    CHECK(f.journal->pending().empty());
}

TEST_CASE("a key another intent made is not attributed to a lost one, which stays watched",
          "[apply]") {
    Fixture f;
    const auto first = f.journal->record_intent("Bot", "Bot", f.api.now());
    REQUIRE(first.ok());
    const auto second = f.journal->record_intent("Bot", "Bot", f.api.now());
    REQUIRE(second.ok());
    const auto created = f.api.seed("Bot", core::Scopes::from_list({"files:read"}), 30);
    REQUIRE(f.journal->record_done(second.value(), created.key.id).ok());
    auto world = f.world();
    world.state.upsert(plan::managed_record("Bot", created.key));
    const auto report = f.reconcile(world);
    CHECK(report.persisted == 0);
    CHECK(report.watching == 1);
    REQUIRE(f.journal->pending().size() == 1);
    CHECK(f.journal->pending().front().watched_since.has_value());
    // Reopened, the journal still knows the intent is watched and which key is done.
    const auto reopened = apply::Journal::open(apply::journal_path_for(f.manifest.state_path));
    REQUIRE(reopened.ok());
    REQUIRE(reopened->pending().size() == 1);
    CHECK(reopened->pending().front().watched_since.has_value());
    CHECK(reopened->done_ids().count(created.key.id) == 1);
}

TEST_CASE("an output holding a newer secret than the state: the key the interrupted create made "
          "wins and the replaced key retires",
          "[apply]") {
    Fixture f;
    // The entry's current key and its secret, in the state and every output.
    const auto old_key = f.api.seed("Bot", core::Scopes::from_list({"files:read"}), 30);
    apply::World before = f.world();
    auto record = plan::managed_record("Bot", old_key.key);
    record.fingerprint = old_key.secret.fingerprint();
    before.state.upsert(record);
    before.secrets["Bot"] = old_key.secret;
    REQUIRE(state::save_state(f.manifest.state_path, before.state).ok());
    REQUIRE(apply::write_all_outputs(f.manifest, before).ok());
    // A rotation was killed after the new secret reached the output, before the state.
    f.api.advance(std::chrono::seconds{60});
    REQUIRE(f.journal->record_intent("Bot", "Bot", f.api.now()).ok());
    const auto new_key = f.api.seed("Bot", core::Scopes::from_list({"files:read"}), 30);
    apply::World during = before;
    during.state.upsert(plan::managed_record("Bot", new_key.key));
    during.secrets["Bot"] = new_key.secret;
    REQUIRE(apply::write_all_outputs(f.manifest, during).ok());

    auto world = f.world();
    CHECK(world.secrets.count("Bot") == 0);  // the output no longer holds the state's secret
    const auto report = f.reconcile(world);
    CHECK(report.adopted == 1);
    CHECK(world.state.find("Bot")->id == new_key.key.id);
    CHECK(world.secrets.at("Bot") == new_key.secret);
    REQUIRE(world.state.retiring.size() == 1);
    CHECK(world.state.retiring.front().id == old_key.key.id);
    CHECK(f.api.keys().size() == 2);
}
