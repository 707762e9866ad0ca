// reconcile_pending against the in-memory FakeKeysApi: the key a lost create made is revoked,
// or adopted when an output already holds its secret; an intent that matched no key is watched
// for a late commit until k_settle_window has passed.

#include "apply_test_support.hpp"
#include "provision/api/fake_keys_api.hpp"
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
    auto world = f.world();
    // The crash came after the outputs were written and before the state was saved.
    apply::World written = world;
    written.state.upsert(plan::managed_record("Bot", created.key));  // in memory only
    written.secrets["Bot"] = created.secret;
    REQUIRE(apply::write_all_outputs(f.manifest, written).ok());
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

TEST_CASE("a tracked key of the same name is never taken for an orphan", "[apply]") {
    Fixture f;
    REQUIRE(f.journal->record_intent("Bot", "Bot", f.api.now()).ok());
    const auto created = f.api.seed("Bot", core::Scopes::from_list({"files:read"}), 30);
    auto world = f.world();
    world.state.upsert(plan::managed_record("Bot", created.key));
    const auto report = f.reconcile(world);
    CHECK(report.revoked == 0);
    CHECK(report.watching == 1);
    CHECK(f.api.keys().size() == 1);
}
