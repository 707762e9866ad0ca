// Contract Appendix B through HttpKeysApi: later servers answer a PUT/DELETE of another user's
// key with an API-layer 403 where v3.7.2 said 200 `false`; both must come back as `false` (a
// refusal, never retried), while the auth layer's empty 403 stays a forbidden error.
#include "api_test_support.hpp"

#include <catch2/catch.hpp>

using namespace provision;
using namespace api_test;

namespace {

const std::string k_id = "6d0e3f1a-2b4c-4d5e-8f90-a1b2c3d4e5f6";

const std::string k_access_denied =
    R"({"error":{"message":"Access denied","type":"System.UnauthorizedAccessException",)"
    R"("stack":"   at ...","hresult":-2147024891},"status":1,"statusCode":403})";

}  // namespace

TEST_CASE("an API-layer 403 on PUT or DELETE is the refusal false, sent once", "[api]") {
    Harness h;
    h.transport->reply(403, k_access_denied).reply(403, k_access_denied);
    api::UpdateRequest update;
    update.name = "renamed";
    const auto updated = h.keys->update(k_id, update);
    REQUIRE(updated.ok());
    CHECK_FALSE(*updated);
    const auto removed = h.keys->remove(k_id);
    REQUIRE(removed.ok());
    CHECK_FALSE(*removed);
    CHECK(h.transport->requests.size() == 2);
    CHECK(h.sleeps.empty());
}

TEST_CASE("an empty 403 on PUT or DELETE is still the scope gate's forbidden error", "[api]") {
    Harness h;
    h.transport->reply(403, "").reply(403, "");
    const auto updated = h.keys->update(k_id, api::UpdateRequest{});
    REQUIRE_FALSE(updated.ok());
    CHECK(updated.error().code == core::Errc::forbidden);
    const auto removed = h.keys->remove(k_id);
    REQUIRE_FALSE(removed.ok());
    CHECK(removed.error().code == core::Errc::forbidden);
    CHECK(h.transport->requests.size() == 2);
}

TEST_CASE("an API-layer 403 on the list says the account may not list keys", "[api]") {
    Harness h;
    h.transport->reply(403, k_access_denied);
    const auto keys = h.keys->list();
    REQUIRE_FALSE(keys.ok());
    CHECK(keys.error().code == core::Errc::forbidden);
    CHECK(keys.error().http_status == 403);
    CHECK_THAT(keys.error().message, Catch::Contains("Access denied") &&
                                         Catch::Contains("may not list API keys") &&
                                         Catch::Contains("guests"));
    CHECK(h.transport->requests.size() == 1);
}

TEST_CASE("an API-layer 403 on a create stays an error with the server's message", "[api]") {
    Harness h;
    h.transport->reply(
        403, R"({"error":{"message":"This operation unavailable for user with guest role",)"
             R"("type":"System.InvalidOperationException","stack":null,"hresult":0},)"
             R"("status":1,"statusCode":403})");
    const auto created =
        h.keys->create(api::CreateRequest{"bot", core::Scopes::from_list({"files:read"}), 30});
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().code == core::Errc::forbidden);
    CHECK_THAT(created.error().message, Catch::Contains("guest role"));
    CHECK(h.transport->requests.size() == 1);
}
