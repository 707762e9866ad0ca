// share_reads (api/shared_reads.hpp): the reads a run of several manifests on one portal makes
// once, and every change making the next listing a fresh one.

#include "fake_keys_api.hpp"
#include "provision/api/shared_reads.hpp"

#include <catch2/catch.hpp>

#include <functional>

using namespace provision;

namespace {

api::CreateRequest request(std::string name) {
    return api::CreateRequest{std::move(name), core::Scopes::all(), std::nullopt};
}

/// Forwards to a FakeKeysApi, calling `during_list` while a listing is in flight.
class Racing final : public api::KeysApi {
public:
    explicit Racing(api::FakeKeysApi& fake) : m_fake(fake) {}
    std::function<void()> during_list;

    core::Result<std::vector<api::ApiKey>> list() override {
        auto keys = m_fake.list();
        if (during_list) {
            auto hook = std::move(during_list);
            during_list = nullptr;
            hook();
        }
        return keys;
    }
    core::Result<api::CreatedKey> create(const api::CreateRequest& r) override {
        return m_fake.create(r);
    }
    core::Result<bool> update(const std::string& id, const api::UpdateRequest& r) override {
        return m_fake.update(id, r);
    }
    core::Result<bool> remove(const std::string& id) override { return m_fake.remove(id); }
    core::Result<std::vector<std::string>> permissions() override { return m_fake.permissions(); }
    core::Result<api::ApiKey> self(const core::Secret& key) override { return m_fake.self(key); }
    core::Result<api::User> current_user() override { return m_fake.current_user(); }
    core::Result<api::PortalIdentity> portal() override { return m_fake.portal(); }

private:
    api::FakeKeysApi& m_fake;
};

}  // namespace

TEST_CASE("a shared client asks for the identity and the key list once, and hands every reader "
          "the same listing",
          "[api]") {
    api::FakeKeysApi fake;
    fake.seed("existing");
    auto shared = api::share_reads(std::make_unique<Racing>(fake));
    const auto first = shared->list_shared();
    const auto second = shared->list_shared();
    const auto copy = shared->list();
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    REQUIRE(copy.ok());
    CHECK(first->shares(*second));
    CHECK(first->size() == 1);
    CHECK(copy->size() == 1);
    REQUIRE(shared->current_user().ok());
    REQUIRE(shared->current_user().ok());
    CHECK(fake.count("list") == 1);
    CHECK(fake.count("current_user") == 1);
}

TEST_CASE("every change, failed or not, makes the next listing of a shared client a fresh one",
          "[api]") {
    api::FakeKeysApi fake;
    auto shared = api::share_reads(std::make_unique<Racing>(fake));
    REQUIRE(shared->list_shared().ok());
    const auto created = shared->create(request("new"));
    REQUIRE(created.ok());
    const auto after_create = shared->list_shared();
    REQUIRE(after_create.ok());
    CHECK(after_create->size() == 1);
    CHECK(fake.count("list") == 2);

    fake.fail_next("remove", core::make_error(core::Errc::timeout, "lost"),
                   api::FakeKeysApi::Inject::after_commit);
    CHECK(!shared->remove(created->key.id).ok());
    const auto after_lost_remove = shared->list_shared();
    REQUIRE(after_lost_remove.ok());
    CHECK(after_lost_remove->empty());
    CHECK(fake.count("list") == 3);
}

TEST_CASE("a listing that was in flight while a change completed is not kept", "[api]") {
    api::FakeKeysApi fake;
    auto racing = std::make_unique<Racing>(fake);
    auto* hook = racing.get();
    auto shared = api::share_reads(std::move(racing));
    hook->during_list = [&] { REQUIRE(shared->create(request("raced")).ok()); };
    const auto raced = shared->list_shared();
    REQUIRE(raced.ok());
    CHECK(raced->empty());  // listed before the create landed
    const auto fresh = shared->list_shared();
    REQUIRE(fresh.ok());
    CHECK(fresh->size() == 1);
    CHECK(fake.count("list") == 2);
}
