// The planner's --adopt rule with plain values and a fixed `now`: the one untracked live key of
// an entry's name is adopted (then planned as a known key whose secret is unknown), several
// are never chosen between, and without --adopt nothing is bound.

#include "planner_test_support.hpp"
#include "provision/plan/plan.hpp"
#include "provision/plan/render.hpp"

#include <catch2/catch.hpp>

using namespace provision;
using plan::ActionKind;
using plan::Reason;

namespace {

using planner_test::k_now;

/// --adopt is on.
struct AdoptWorld : planner_test::BotWorld {
    AdoptWorld() { options.adopt = true; }
};

}  // namespace

TEST_CASE("the --adopt flag binds the one untracked live key of the entry's name",
          "[plan][adopt]") {
    AdoptWorld w;
    w.manifest.keys[0].on_secret_unknown = manifest::SecretUnknownPolicy::keep;
    w.stray("11111111-0000-0000-0000-000000000001");
    const auto p = w.make();
    REQUIRE(p.actions.size() == 1);
    CHECK(p.actions[0].kind == ActionKind::adopt);
    CHECK(p.actions[0].key_id ==
          std::optional<std::string>("11111111-0000-0000-0000-000000000001"));
    CHECK(p.actions[0].reasons == std::vector<Reason>{Reason::untracked_name_match});
    CHECK(p.has_changes());
    CHECK(plan::render_summary(p).find("1 to adopt") != std::string::npos);
}

TEST_CASE("an adopted key's unknown secret is handled by the policy in the same plan",
          "[plan][adopt]") {
    AdoptWorld w;
    w.stray("11111111-0000-0000-0000-000000000001");
    SECTION("rotate: adopt, then replace it") {
        w.manifest.keys[0].on_secret_unknown = manifest::SecretUnknownPolicy::rotate;
        const auto p = w.make();
        REQUIRE(p.actions.size() == 2);
        CHECK(p.actions[0].kind == ActionKind::adopt);
        CHECK(p.actions[1].kind == ActionKind::replace);
        CHECK(p.actions[1].reasons == std::vector<Reason>{Reason::secret_unknown});
        CHECK(p.actions[1].key_id == p.actions[0].key_id);
    }
    SECTION("fail: adopt, then blocked with a way out") {
        const auto p = w.make();
        REQUIRE(p.actions.size() == 2);
        CHECK(p.actions[0].kind == ActionKind::adopt);
        CHECK(p.actions[1].kind == ActionKind::blocked);
        CHECK(p.actions[1].detail.find("provision rotate") != std::string::npos);
    }
}

TEST_CASE("the --adopt flag never chooses between two untracked keys of the same name",
          "[plan][adopt]") {
    AdoptWorld w;
    w.stray("11111111-0000-0000-0000-000000000001");
    w.stray("22222222-0000-0000-0000-000000000002");
    const auto p = w.make();
    REQUIRE(p.actions.size() == 1);
    CHECK(p.actions[0].kind == ActionKind::blocked);
    CHECK(p.actions[0].detail.find("11111111-0000-0000-0000-000000000001") != std::string::npos);
    CHECK(p.actions[0].detail.find("22222222-0000-0000-0000-000000000002") != std::string::npos);
    CHECK(p.actions[0].detail.find("--adopt cannot choose") != std::string::npos);
}

TEST_CASE("without --adopt a single match stays blocked and names both ways out", "[plan][adopt]") {
    AdoptWorld w;
    w.options.adopt = false;
    w.stray("11111111-0000-0000-0000-000000000001");
    const auto p = w.make();
    REQUIRE(p.actions.size() == 1);
    CHECK(p.actions[0].kind == ActionKind::blocked);
    CHECK(p.actions[0].detail.find("provision import") != std::string::npos);
    CHECK(p.actions[0].detail.find("--adopt") != std::string::npos);
}

TEST_CASE("the --adopt flag ignores deactivated, expired and other users' keys of the name",
          "[plan][adopt]") {
    AdoptWorld w;
    w.stray("11111111-0000-0000-0000-000000000001").is_active = false;
    w.stray("22222222-0000-0000-0000-000000000002", 40);
    w.stray("33333333-0000-0000-0000-000000000003").created_by_id = "someone-else";
    const auto p = w.make();
    REQUIRE(p.actions.size() == 1);
    CHECK(p.actions[0].kind == ActionKind::create);
}

TEST_CASE("an adopted key's lifetime is read from its creation and expiry times", "[plan][adopt]") {
    api::ApiKey key;
    key.create_on = k_now;
    key.expires_at = k_now + std::chrono::hours(24 * 90) + std::chrono::seconds(3);
    CHECK(plan::observed_lifetime_days(key) == std::optional<int>(90));
    key.expires_at.reset();
    CHECK_FALSE(plan::observed_lifetime_days(key).has_value());
}
