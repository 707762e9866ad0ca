// The order plans list their actions in (src/plan/order.hpp), which plan, apply, status and
// destroy share: the manifest's entries in the manifest's order, then entries the manifest no
// longer has in the state's order (by entry name), then retiring keys by when they retire.

#include "planner_test_support.hpp"
#include "provision/plan/plan.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace provision;
using planner_test::k_now;

namespace {

/// The manifest lists Zeta, Alpha and Mid (not in alphabetical order); the state also holds
/// "Old B" and "Old A", whose entries left the manifest, in that (unsorted) order, and two
/// retiring keys: Alpha's retires after Zeta's. No key is on the portal, so each record gives
/// exactly one action.
struct World : planner_test::BotWorld {
    World() {
        manifest.keys.clear();
        for (const std::string name : {"Zeta", "Alpha", "Mid"}) {
            manifest::KeySpec spec;
            spec.name = name;
            spec.permissions = core::Scopes::from_list({"files:read"});
            spec.expires_in_days = 30;
            spec.env = "KEY_" + std::to_string(manifest.keys.size());
            manifest.keys.push_back(spec);
        }
        int id = 0;
        for (const std::string entry : {"Old B", "Mid", "Old A", "Alpha", "Zeta"}) {
            state::ManagedKey record;
            record.entry = entry;
            record.id = "00000000-0000-0000-0000-00000000000" + std::to_string(++id);
            record.name = entry;
            record.postfix = "000" + std::to_string(id);
            state.keys.push_back(record);
        }
        state.retiring.push_back(
            state::RetiringKey{"Alpha", "aaaaaaaa-0000-0000-0000-000000000001", "aaa1",
                               std::nullopt, k_now + std::chrono::hours(48), "rotation_due"});
        state.retiring.push_back(
            state::RetiringKey{"Zeta", "bbbbbbbb-0000-0000-0000-000000000001", "bbb1", std::nullopt,
                               k_now + std::chrono::hours(24), "rotation_due"});
    }
};

/// "entry/postfix" of each action, the postfix telling a retiring key from its entry's key.
std::vector<std::string> listed(const plan::Plan& plan) {
    std::vector<std::string> out;
    for (const auto& action : plan.actions) {
        out.push_back(action.entry + "/" + action.postfix);
    }
    return out;
}

}  // namespace

TEST_CASE("a plan lists the manifest's entries in its order, then removed entries in the "
          "state's order, then retiring keys by when they retire",
          "[plan][order]") {
    World w;
    const std::vector<std::string> expected = {"Zeta/0005",  "Alpha/0004", "Mid/0002",
                                               "Old A/0003", "Old B/0001", "Zeta/bbb1",
                                               "Alpha/aaa1"};
    CHECK(listed(w.make()) == expected);
    // The same whatever order the records are in memory.
    std::reverse(w.state.keys.begin(), w.state.keys.end());
    std::reverse(w.state.retiring.begin(), w.state.retiring.end());
    CHECK(listed(w.make()) == expected);
    w.options.prune = true;
    CHECK(listed(w.make()) == expected);
}

TEST_CASE("destroy lists the keys in the order of every other plan", "[plan][order][destroy]") {
    World w;
    w.options.destroy = true;
    const auto p = w.make();
    CHECK(listed(p) == std::vector<std::string>{"Zeta/0005", "Alpha/0004", "Mid/0002", "Old A/0003",
                                                "Old B/0001", "Zeta/bbb1", "Alpha/aaa1"});
    // --target keeps the order of the entries it names.
    w.options.targets = {"Old B", "Zeta"};
    CHECK(listed(w.make()) == std::vector<std::string>{"Zeta/0005", "Old B/0001", "Zeta/bbb1"});
}
