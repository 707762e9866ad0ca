// The planner's settle actions with plain values: what interrupted creates left (journal
// intents the caller matched against the portal) is never hidden behind "No changes".

#include "planner_test_support.hpp"
#include "provision/plan/plan.hpp"
#include "provision/plan/render.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace provision;
using plan::ActionKind;
using plan::Reason;

namespace {

using planner_test::k_now;

struct SettleWorld : planner_test::BotWorld {
    plan::PendingCreate& intent(bool watched) {
        plan::PendingCreate p;
        p.entry = "Bot";
        p.sent_at = k_now - std::chrono::minutes(2);
        p.watched = watched;
        p.watch_until = p.sent_at + std::chrono::minutes(10);
        pending.push_back(p);
        return pending.back();
    }
};

std::vector<const plan::Action*> settles(const plan::Plan& p) {
    std::vector<const plan::Action*> out;
    for (const auto& a : p.actions) {
        if (a.kind == ActionKind::settle) {
            out.push_back(&a);
        }
    }
    return out;
}

}  // namespace

TEST_CASE(
    "a key an interrupted create made is a settle action, not an untracked key blocking the entry",
    "[plan]") {
    SettleWorld w;
    w.stray("ab12-made");
    w.intent(false).made.push_back({"ab12-made", "ab12", false});
    const auto p = w.make();
    const auto found = settles(p);
    REQUIRE(found.size() == 1);
    CHECK(found.front()->reasons == std::vector<Reason>{Reason::interrupted_create});
    CHECK(found.front()->key_id == "ab12-made");
    CHECK(found.front()->detail.find("revoke key sk-***ab12") != std::string::npos);
    CHECK(p.count(ActionKind::blocked) == 0);
    CHECK(p.count(ActionKind::create) == 1);
    CHECK(p.has_changes());
    CHECK(plan::render_summary(p).find("1 to settle") != std::string::npos);
    CHECK(nlohmann::json::parse(plan::render_json(p)).at("summary").at("settle") == 1);
}

TEST_CASE("a made key whose secret an output holds is to be adopted", "[plan]") {
    SettleWorld w;
    w.stray("cd34-made");
    w.intent(false).made.push_back({"cd34-made", "cd34", true});
    const auto p = w.make();
    const auto found = settles(p);
    REQUIRE(found.size() == 1);
    CHECK(found.front()->detail.find("adopt key sk-***cd34") != std::string::npos);
}

TEST_CASE("an unchecked intent with no key is shown, and once watched with no key it adds nothing",
          "[plan]") {
    SettleWorld w;
    w.intent(false);
    const auto p = w.make();
    auto found = settles(p);
    REQUIRE(found.size() == 1);
    CHECK(found.front()->detail.find("checked again") != std::string::npos);
    CHECK_FALSE(found.front()->key_id.has_value());

    w.pending.front().watched = true;
    CHECK(settles(w.make()).empty());
}

TEST_CASE("a late commit of a watched intent is a settle action with reason late_commit",
          "[plan]") {
    SettleWorld w;
    w.stray("ef56-late");
    w.intent(true).made.push_back({"ef56-late", "ef56", false});
    const auto p = w.make();
    const auto found = settles(p);
    REQUIRE(found.size() == 1);
    CHECK(found.front()->reasons == std::vector<Reason>{Reason::late_commit});
    CHECK(found.front()->detail.find("revoke key sk-***ef56") != std::string::npos);
    const auto json = nlohmann::json::parse(plan::render_json(w.make()));
    CHECK(json.at("changes") == true);
}

TEST_CASE("an intent whose key the state already binds is closed by a settle action", "[plan]") {
    SettleWorld w;
    w.intent(false).persisted = true;
    const auto p = w.make();
    const auto found = settles(p);
    REQUIRE(found.size() == 1);
    CHECK(found.front()->detail.find("after its key was saved") != std::string::npos);
}

TEST_CASE("settle actions follow --target", "[plan]") {
    SettleWorld w;
    w.intent(false);
    w.options.targets = {"Other"};
    CHECK(settles(w.make()).empty());
}
