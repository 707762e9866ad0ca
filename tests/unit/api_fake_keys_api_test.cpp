#include "fake_keys_api.hpp"

#include <catch2/catch.hpp>

using namespace provision;
using namespace std::chrono_literals;

namespace {

api::CreateRequest request(std::string name, std::vector<std::string> scopes = {},
                           std::optional<int> days = std::nullopt) {
    return api::CreateRequest{std::move(name), core::Scopes::from_list(scopes), days};
}

}  // namespace

TEST_CASE("the fake issues distinct ids and sk- secrets and lists newest first", "[api]") {
    api::FakeKeysApi fake;
    const auto first = fake.create(request("alpha", {"files:read"}, 30));
    fake.advance(60s);
    const auto second = fake.create(request("beta"));
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(first->key.id != second->key.id);
    CHECK(core::looks_like_api_key(first->secret.reveal()));
    CHECK(first->secret.reveal() != second->secret.reveal());
    CHECK(first->key.postfix == first->secret.reveal().substr(63));
    CHECK(first->key.expires_at == fake.now() - 60s + std::chrono::hours{24 * 30});
    CHECK(second->key.permissions.unrestricted);

    const auto listed = fake.list();
    REQUIRE(listed.ok());
    REQUIRE(listed->size() == 2);
    CHECK((*listed)[0].name == "beta");
    CHECK((*listed)[1].name == "alpha");
    CHECK(fake.count("create") == 2);
    CHECK(fake.count("list") == 1);
    CHECK(fake.calls().at(0).target == "alpha");
}

TEST_CASE("the fake refuses PUT on an expired key and answers 500 for unknown ids", "[api]") {
    api::FakeKeysApi fake;
    const auto key = fake.seed("old", core::Scopes::all(), 1);
    fake.advance(std::chrono::hours{48});
    api::UpdateRequest update;
    update.is_active = true;
    const auto expired = fake.update(key.key.id, update);
    REQUIRE(expired.ok());
    CHECK_FALSE(*expired);

    const auto unknown = fake.update("00000000-0000-0000-0000-00000000dead", update);
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().code == core::Errc::http_status);
    CHECK(unknown.error().http_status == 500);
    const auto unknown_delete = fake.remove("00000000-0000-0000-0000-00000000dead");
    REQUIRE_FALSE(unknown_delete.ok());
    CHECK(unknown_delete.error().http_status == 500);
    CHECK(fake.count("create") == 0);  // seeding is not a recorded call
}

TEST_CASE("the fake applies PUT like DocSpace: [\"*\"] unrestricts, an empty name is ignored",
          "[api]") {
    api::FakeKeysApi fake;
    const auto key = fake.seed("bot", core::Scopes::from_list({"files:read"}));
    api::UpdateRequest update;
    update.name = "";
    update.permissions = core::Scopes::all();
    REQUIRE(*fake.update(key.key.id, update));
    const auto stored = fake.key(key.key.id);
    REQUIRE(stored.has_value());
    CHECK(stored->name == "bot");
    CHECK(stored->permissions.unrestricted);

    api::UpdateRequest deactivate;
    deactivate.is_active = false;
    REQUIRE(*fake.update(key.key.id, deactivate));
    CHECK_FALSE(fake.key(key.key.id)->is_active);
    CHECK_FALSE(fake.self(key.secret).ok());  // a deactivated key no longer authenticates
}

TEST_CASE("a non-admin sees only their own keys and cannot delete others'", "[api]") {
    api::FakeKeysApi fake;
    const auto admins = fake.seed("admin key");
    fake.set_current_user(api::User{"u-2", "Bob", false});
    const auto bobs = fake.seed("bob key");
    const auto listed = fake.list();
    REQUIRE(listed.ok());
    REQUIRE(listed->size() == 1);
    CHECK((*listed)[0].id == bobs.key.id);
    const auto removed = fake.remove(admins.key.id);
    REQUIRE(removed.ok());
    CHECK_FALSE(*removed);
    CHECK(fake.key(admins.key.id).has_value());
}

TEST_CASE("an injected error after commit stores the key but reports an unknown outcome", "[api]") {
    api::FakeKeysApi fake;
    fake.fail_next("create", core::make_error(core::Errc::timeout, "timed out"),
                   api::FakeKeysApi::Inject::after_commit);
    const auto created = fake.create(request("bot"));
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().code == core::Errc::timeout);
    REQUIRE(fake.keys().size() == 1);
    CHECK(fake.keys()[0].name == "bot");
    CHECK(fake.create(request("bot")).ok());  // the injection is consumed
}

TEST_CASE("an injected rate limit leaves the portal unchanged", "[api]") {
    api::FakeKeysApi fake;
    core::Error limited = core::make_error(core::Errc::rate_limited, "rate limited");
    limited.http_status = 429;
    limited.retry_after = 42s;
    fake.fail_next("create", limited);
    const auto created = fake.create(request("bot"));
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().retry_after == std::optional{42s});
    CHECK(fake.keys().empty());
    CHECK(fake.count("create") == 1);
}

TEST_CASE("the fake validates names and scopes like the server", "[api]") {
    api::FakeKeysApi fake;
    CHECK(fake.create(request(std::string(30, 'n'))).ok());
    const auto too_long = fake.create(request(std::string(31, 'n')));
    REQUIRE_FALSE(too_long.ok());
    CHECK(too_long.error().http_status == 400);
    CHECK_FALSE(fake.create(request("  ")).ok());
    CHECK_FALSE(fake.create(request("bot", {"files:admin"})).ok());
    CHECK_FALSE(fake.create(request("bot", {}, 366)).ok());
    CHECK(fake.keys().size() == 1);
}

TEST_CASE("self authenticates a stored secret and records only its redacted form", "[api]") {
    api::FakeKeysApi fake;
    const auto key = fake.seed("bot");
    const auto self = fake.self(key.secret);
    REQUIRE(self.ok());
    CHECK(self->id == key.key.id);
    CHECK(self->last_used == fake.now());
    CHECK(fake.calls().back().target == key.secret.redacted());
    const auto unknown = fake.self(core::Secret{std::string("sk-") + std::string(64, 'a')});
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().code == core::Errc::unauthorized);
}
