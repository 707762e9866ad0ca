// destroy and import as plans (plan/explicit.cpp), with plain values and a fixed `now`: destroy
// deletes exactly the keys the state manages, protected entries block it, and import binds one
// named key or says why it cannot. Also what a plan does to the outputs: partial outputs
// blocked, losses named, and rewrites of encrypted outputs this run cannot decrypt flagged;
// and the planner's diagnostics of rotate --key and --target names that are no entry.

#include "planner_test_support.hpp"
#include "provision/plan/plan.hpp"
#include "provision/plan/render.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace provision;
using plan::ActionKind;
using plan::Reason;

namespace {

const std::string k_bound = "22222222-0000-0000-0000-000000000002";
const std::string k_old = "33333333-0000-0000-0000-000000000003";
const std::string k_stray = "11111111-0000-0000-0000-000000000001";

/// "Bot" is bound to k_bound; k_old is a retiring key of it; k_stray is a hand-made key of the
/// same name the state does not know.
struct Managed : planner_test::BotWorld {
    Managed() {
        const auto& bound = stray(k_bound);
        state.keys.push_back(plan::managed_record("Bot", bound));
        stray(k_old, 20);
        state.retiring.push_back(state::RetiringKey{"Bot", k_old, "3333", std::nullopt,
                                                    planner_test::k_now + std::chrono::hours(24),
                                                    "rotation_due"});
        stray(k_stray);
    }
};

}  // namespace

TEST_CASE("destroy plans a deletion of every managed key and of nothing else", "[plan][destroy]") {
    Managed w;
    w.options.destroy = true;
    const auto p = w.make();
    REQUIRE(p.actions.size() == 2);
    CHECK(p.actions[0].kind == ActionKind::remove);
    CHECK(p.actions[0].key_id == std::optional<std::string>(k_bound));
    CHECK(p.actions[1].kind == ActionKind::retire);
    CHECK(p.actions[1].key_id == std::optional<std::string>(k_old));
    CHECK(p.actions[1].retire_policy == manifest::RetirePolicy::delete_key);
    for (const auto& action : p.actions) {
        CHECK(action.reasons.front() == Reason::destroy_requested);
        CHECK(action.key_id != std::optional<std::string>(k_stray));
    }
    CHECK(plan::render_summary(p).find("2 to delete") != std::string::npos);
}

TEST_CASE("destroy deletes a retiring key at once even when its policy deactivates",
          "[plan][destroy]") {
    Managed w;
    w.manifest.keys[0].rotation.retire = manifest::RetirePolicy::deactivate;
    w.options.destroy = true;
    const auto p = w.make();
    REQUIRE(p.actions.size() == 2);
    CHECK(p.actions[1].kind == ActionKind::retire);
    CHECK(p.actions[1].retire_policy == manifest::RetirePolicy::delete_key);
}

TEST_CASE("destroy deletes a managed key by id even when the caller's list does not show it",
          "[plan][destroy]") {
    Managed w;
    w.observed.erase(w.observed.begin());  // k_bound
    w.options.destroy = true;
    const auto p = w.make();
    REQUIRE(p.actions.size() == 2);
    CHECK(p.actions[0].kind == ActionKind::remove);
    CHECK(p.actions[0].key_id == std::optional<std::string>(k_bound));
}

TEST_CASE("destroy is blocked by a protected entry unless overridden", "[plan][destroy]") {
    Managed w;
    w.manifest.keys[0].protect = true;
    w.options.destroy = true;
    auto p = w.make();
    REQUIRE(p.has_blocked());
    CHECK(p.actions[0].kind == ActionKind::blocked);
    CHECK(p.actions[0].reasons.back() == Reason::protected_entry);
    CHECK(p.actions[0].detail.find("--override-protect") != std::string::npos);
    w.options.override_protect = true;
    p = w.make();
    CHECK_FALSE(p.has_blocked());
    CHECK(p.actions[0].kind == ActionKind::remove);
}

TEST_CASE("destroy of an empty state plans nothing", "[plan][destroy]") {
    planner_test::BotWorld w;
    w.stray(k_stray);
    w.options.destroy = true;
    CHECK(w.make().actions.empty());
}

TEST_CASE("import binds the named key to the entry", "[plan][import]") {
    planner_test::BotWorld w;
    w.stray(k_stray).name = "Hand-made";
    w.options.import = plan::ImportRequest{"Bot", k_stray};
    const auto p = w.make();
    REQUIRE(p.actions.size() == 1);
    CHECK(p.actions[0].kind == ActionKind::import_key);
    CHECK(p.actions[0].key_id == std::optional<std::string>(k_stray));
    CHECK(p.actions[0].postfix == "1111");
    CHECK(p.actions[0].reasons == std::vector<Reason>{Reason::import_requested});
    CHECK(p.actions[0].detail.find("the next apply renames it") != std::string::npos);
    CHECK(plan::render_summary(p).find("1 to import") != std::string::npos);
    CHECK(nlohmann::json::parse(plan::render_json(p)).at("summary").at("import") == 1);
}

TEST_CASE("import of the key the entry already has binds it again", "[plan][import]") {
    Managed w;
    w.options.import = plan::ImportRequest{"Bot", k_bound};
    const auto p = w.make();
    REQUIRE(p.actions.size() == 1);
    CHECK(p.actions[0].kind == ActionKind::import_key);
}

TEST_CASE("import says why it cannot bind a key", "[plan][import]") {
    Managed w;
    manifest::KeySpec other = w.manifest.keys[0];
    other.name = "Other";
    w.manifest.keys.push_back(other);
    const auto refusal = [&](const std::string& entry, const std::string& id) {
        w.options.import = plan::ImportRequest{entry, id};
        const auto p = w.make();
        REQUIRE(p.actions.size() == 1);
        CHECK(p.actions[0].kind == ActionKind::blocked);
        CHECK(p.actions[0].reasons == std::vector<Reason>{Reason::import_refused});
        return p.actions[0].detail;
    };
    CHECK(refusal("Missing", k_stray).find("is not an entry") != std::string::npos);
    CHECK(refusal("Bot", "99999999-0000-0000-0000-000000000009").find("no key with id") !=
          std::string::npos);
    CHECK(refusal("Other", k_bound).find("already belongs to entry 'Bot'") != std::string::npos);
    CHECK(refusal("Bot", k_stray).find("is bound to key " + k_bound) != std::string::npos);
    CHECK(refusal("Other", k_old).find("is retiring") != std::string::npos);
}

TEST_CASE("a replace carries the grace period and policy its old key retires by",
          "[plan][retire]") {
    Managed w;
    w.manifest.keys[0].rotation.grace_period = std::chrono::hours(6);
    w.manifest.keys[0].rotation.retire = manifest::RetirePolicy::deactivate;
    w.options.force_rotate = {"Bot"};
    const auto p = w.make();
    const auto replace = std::find_if(p.actions.begin(), p.actions.end(),
                                      [](const auto& a) { return a.kind == ActionKind::replace; });
    REQUIRE(replace != p.actions.end());
    CHECK(replace->grace_period == std::chrono::hours(6));
    CHECK(replace->retire_policy == manifest::RetirePolicy::deactivate);
}

TEST_CASE(
    "an output that would lack a managed key's unknown secret blocks every action that rewrites it",
    "[plan][outputs]") {
    Managed w;
    w.manifest.keys[0].on_secret_unknown = manifest::SecretUnknownPolicy::keep;
    manifest::KeySpec added = w.manifest.keys[0];
    added.name = "Added";
    w.manifest.keys.push_back(added);
    manifest::OutputSpec output;
    output.path_as_written = "../secrets/bots.env";
    w.manifest.outputs.push_back(output);
    auto p = w.make();  // "Bot" is bound, and no output holds its secret
    REQUIRE(p.partial_outputs.size() == 1);
    CHECK(p.partial_outputs[0].lacking == std::vector<std::string>{"Bot"});
    const auto added_action = std::find_if(p.actions.begin(), p.actions.end(),
                                           [](const auto& a) { return a.entry == "Added"; });
    REQUIRE(added_action != p.actions.end());
    CHECK(added_action->kind == ActionKind::blocked);
    CHECK(added_action->reasons.back() == Reason::partial_output);

    w.manifest.outputs[0].allow_partial = true;
    p = w.make();
    CHECK(p.partial_outputs.empty());
    CHECK(std::find_if(p.actions.begin(), p.actions.end(), [](const auto& a) {
              return a.entry == "Added";
          })->kind == ActionKind::create);

    w.manifest.outputs[0].allow_partial = false;
    w.outputs.entries_with_secret.insert("Bot");
    CHECK(w.make().partial_outputs.empty());
}

TEST_CASE("a plan that rewrites an encrypted output this run cannot decrypt names it",
          "[plan][outputs]") {
    Managed w;
    manifest::OutputSpec sealed;
    sealed.path_as_written = "../secrets/bots.env.age";
    manifest::OutputSpec plain;
    plain.path_as_written = "../secrets/bots.env";
    w.manifest.outputs = {plain, sealed};
    w.outputs.entries_with_secret.insert("Bot");
    w.outputs.sealed.insert(sealed.path_as_written);
    CHECK(w.make().sealed_rewrites.empty());  // Bot's key is kept: nothing is rewritten

    w.options.force_rotate = {"Bot"};  // a replace writes Bot's new secret to both outputs
    CHECK(w.make().sealed_rewrites == std::vector<std::string>{sealed.path_as_written});

    w.options.destroy = true;  // destroy removes the outputs rather than rewriting them
    CHECK(w.make().sealed_rewrites.empty());

    w.options = {};
    w.outputs.stale = true;  // rewriting the outputs rewrites every one of them
    CHECK(w.make().sealed_rewrites == std::vector<std::string>{sealed.path_as_written});

    w.outputs.sealed.clear();
    CHECK(w.make().sealed_rewrites.empty());
}

TEST_CASE(
    "an output that will no longer hold a secret it holds now is named, and an empty one flagged",
    "[plan][outputs]") {
    Managed w;
    manifest::OutputSpec output;
    output.path_as_written = "../secrets/bots.env";
    w.manifest.outputs.push_back(output);
    w.outputs.entries_with_secret.insert("Bot");
    w.outputs.held["../secrets/bots.env"] = {"Bot", "Gone"};  // "Gone" left the manifest
    auto p = w.make();
    REQUIRE(p.output_losses.size() == 1);
    CHECK(p.output_losses[0].output == "../secrets/bots.env");
    CHECK(p.output_losses[0].lost == std::vector<std::string>{"Gone"});
    CHECK_FALSE(p.output_losses[0].empty);

    w.outputs.held["../secrets/bots.env"] = {"Bot"};
    CHECK(w.make().output_losses.empty());

    // Bot's secret is unknown and the output accepts partial contents: nothing is left in it.
    w.manifest.keys[0].on_secret_unknown = manifest::SecretUnknownPolicy::keep;
    w.manifest.outputs[0].allow_partial = true;
    w.outputs.entries_with_secret.clear();
    w.outputs.held["../secrets/bots.env"] = {"Gone"};
    p = w.make();
    REQUIRE(p.output_losses.size() == 1);
    CHECK(p.output_losses[0].lost == std::vector<std::string>{"Gone"});
    CHECK(p.output_losses[0].empty);

    // A partial output is not rewritten at all, so it loses nothing.
    w.manifest.outputs[0].allow_partial = false;
    w.state.keys[0].entry = "Bot";
    CHECK(w.make().output_losses.empty());
}

TEST_CASE("rotate --key and --target names that are no entry are diagnosed, with a did-you-mean",
          "[plan][options]") {
    Managed w;
    w.manifest.file = "bots.yaml";
    w.options.force_rotate = {"Bot", "Bott", "Nothing Like It"};
    const auto rotations = plan::unknown_rotations(w.manifest, w.options);
    REQUIRE(rotations.size() == 2);
    CHECK(rotations[0] == "--key 'Bott' is not an entry of bots.yaml; did you mean 'Bot'?");
    CHECK(rotations[1] == "--key 'Nothing Like It' is not an entry of bots.yaml");

    w.options = {};
    w.state.keys.push_back(plan::managed_record("Gone Bot", w.observed.front()));
    w.options.targets = {"Bot", "Gone Bot", "Gone Bto"};  // a state-only entry may be targeted
    const auto targets = plan::unknown_targets(w.manifest, w.state, w.options);
    REQUIRE(targets.size() == 1);
    CHECK(targets[0] ==
          "--target 'Gone Bto' is not an entry of bots.yaml or of its state; did you mean 'Gone "
          "Bot'?");
    CHECK(plan::unknown_rotations(w.manifest, w.options).empty());
}
