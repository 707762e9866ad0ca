// The state's portal check (apply/portal_binding.cpp) with plain values, and the state file's
// record of the portal.

#include "provision/apply/portal_binding.hpp"

#include <catch2/catch.hpp>

using namespace provision;

namespace {

const std::string k_url = "https://portal.example.com";
const core::Timestamp k_created = *core::parse_iso8601("2025-01-02T03:04:05Z");

api::PortalIdentity identity(long long tenant, std::string alias, std::string owner) {
    return api::PortalIdentity{tenant, std::move(alias), std::move(owner), k_created};
}

/// A state of `url` managing one key, with `recorded` as its portal record.
state::State bound_state(const std::string& url, std::optional<state::PortalRecord> recorded) {
    state::State s;
    s.portal_url = url;
    s.portal = std::move(recorded);
    s.keys.push_back(state::ManagedKey{"Bot", "id-1", "Bot", "9f3a", {}, 30, std::nullopt, {}, ""});
    return s;
}

}  // namespace

TEST_CASE("a state that manages nothing takes any portal", "[apply][portal]") {
    state::State empty;
    empty.portal_url = k_url;
    CHECK(apply::check_portal_binding(empty, "https://other.example.com", {}, false).ok());
}

TEST_CASE("the same address in another spelling is the same portal", "[apply][portal]") {
    const auto s = bound_state(k_url, std::nullopt);
    const auto bound = apply::check_portal_binding(s, "HTTPS://Portal.Example.com:443/", {}, false);
    REQUIRE(bound.ok());
    CHECK(bound->warning.empty());
}

TEST_CASE("a new address is accepted only when the identity confirms the portal",
          "[apply][portal]") {
    const auto recorded = apply::portal_record(identity(1, "acme", "owner-1"));
    const auto s = bound_state(k_url, recorded);
    SECTION("tenant, alias, owner and creation time agree: accepted with a warning") {
        const auto bound = apply::check_portal_binding(s, "https://acme.example.org",
                                                       identity(1, "acme", "owner-1"), false);
        REQUIRE(bound.ok());
        CHECK(bound->warning.find("https://acme.example.org") != std::string::npos);
    }
    SECTION("the same tenant id alone does not confirm it") {
        const auto bound = apply::check_portal_binding(
            s, "https://acme.example.org", api::PortalIdentity{1, "", "", std::nullopt}, false);
        REQUIRE_FALSE(bound.ok());
        CHECK(bound.error().code == core::Errc::invalid_input);
        CHECK(bound.error().message.find("does not confirm") != std::string::npos);
    }
    SECTION("the same tenant id with another owner is another portal") {
        const auto bound = apply::check_portal_binding(s, "https://other.example.org",
                                                       identity(1, "acme", "owner-2"), false);
        REQUIRE_FALSE(bound.ok());
        CHECK(bound.error().message.find("different portals") != std::string::npos);
        CHECK(bound.error().message.find(k_url) != std::string::npos);
        CHECK(bound.error().message.find("https://other.example.org") != std::string::npos);
    }
    SECTION("an unknown identity does not confirm it, unless --rebind-portal") {
        CHECK_FALSE(apply::check_portal_binding(s, "https://other.example.org", {}, false).ok());
        const auto bound = apply::check_portal_binding(s, "https://other.example.org", {}, true);
        REQUIRE(bound.ok());
        CHECK(bound->warning.find("--rebind-portal") != std::string::npos);
    }
}

TEST_CASE("another portal answering at the state's address is refused", "[apply][portal]") {
    const auto s = bound_state(k_url, apply::portal_record(identity(1, "acme", "owner-1")));
    const auto bound =
        apply::check_portal_binding(s, k_url, identity(7, "other", "owner-9"), false);
    REQUIRE_FALSE(bound.ok());
    CHECK(bound.error().message.find("another portal answers at that address") !=
          std::string::npos);
    CHECK(apply::check_portal_binding(s, k_url, identity(7, "other", "owner-9"), true).ok());
}

TEST_CASE("the state file keeps the portal's record and reads states without one",
          "[state][portal]") {
    auto s = bound_state(k_url, apply::portal_record(identity(3, "acme", "owner-1")));
    const auto parsed = state::parse_state(state::serialize_state(s), "bots.state.json");
    REQUIRE(parsed.ok());
    REQUIRE(parsed->portal.has_value());
    CHECK(parsed->portal->tenant_id == 3);
    CHECK(parsed->portal->alias == "acme");
    CHECK(parsed->portal->owner_id == "owner-1");
    CHECK(parsed->portal->created == k_created);
    s.portal.reset();
    const auto old = state::parse_state(state::serialize_state(s), "bots.state.json");
    REQUIRE(old.ok());
    CHECK_FALSE(old->portal.has_value());
}
