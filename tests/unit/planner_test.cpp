// The planner's rules with plain values and a fixed `now`: one test per drift state and
// policy, plus determinism.

#include "planner_test_support.hpp"
#include "provision/plan/plan.hpp"
#include "provision/plan/render.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace provision;
using plan::ActionKind;
using plan::Reason;

namespace {

const std::string k_me = "aa11bb22-cc33-dd44-ee55-ff6677889900";
const core::Timestamp k_now = *core::parse_iso8601("2026-07-01T12:00:00Z");

core::Timestamp days_from_now(int days) {
    return k_now + std::chrono::hours(24 * days);
}

manifest::KeySpec spec(const std::string& name, std::vector<std::string> scopes,
                       std::optional<int> days) {
    manifest::KeySpec k;
    k.name = name;
    k.permissions = core::Scopes::from_list(scopes);
    k.expires_in_days = days;
    k.env = manifest::default_env_name(name);
    return k;
}

struct World {
    manifest::Manifest manifest;
    state::State state;
    std::vector<api::ApiKey> observed;
    plan::OutputsView outputs;
    plan::PlanOptions options;

    /// Records `entry` as managed by key `id`, present on the portal as given, secret known.
    api::ApiKey& manage(const manifest::KeySpec& k, const std::string& id,
                        core::Timestamp created) {
        state::ManagedKey r;
        r.entry = k.name;
        r.id = id;
        r.name = k.name;
        r.postfix = id.substr(0, 4);
        r.permissions = k.permissions;
        r.expires_in_days = k.expires_in_days;
        r.created_at = created;
        if (k.expires_in_days) {
            r.expires_at = created + std::chrono::hours(24 * *k.expires_in_days);
        }
        r.fingerprint = "sha256:00";
        state.upsert(r);
        outputs.entries_with_secret.insert(k.name);
        api::ApiKey key;
        key.id = id;
        key.name = k.name;
        key.postfix = r.postfix;
        key.permissions = k.permissions;
        key.create_on = created;
        key.expires_at = r.expires_at;
        key.created_by_id = k_me;
        observed.push_back(key);
        return observed.back();
    }

    plan::Plan make() const {
        return plan::make_plan(
            plan::PlanInput{manifest, state, observed, outputs, k_me, k_now, options});
    }
};

const plan::Action& only(const plan::Plan& p) {
    REQUIRE(p.actions.size() == 1);
    return p.actions.front();
}

}  // namespace

TEST_CASE("an entry without state is planned as a create with the manifest's values", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Integration Bot", {"files:read", "rooms:read"}, 30));
    const auto p = w.make();
    const auto& a = only(p);
    CHECK(a.kind == ActionKind::create);
    CHECK(a.reasons == std::vector<Reason>{Reason::new_entry});
    CHECK(a.create.name == "Integration Bot");
    CHECK(a.create.expires_in_days == 30);
    CHECK(a.create.permissions.items == std::vector<std::string>{"files:read", "rooms:read"});
    CHECK(p.has_changes());
}

TEST_CASE("a managed key that matches the manifest plans no change", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"files:read"}, 90));
    w.manage(w.manifest.keys[0], "11111111-0000-0000-0000-000000000001", days_from_now(-1));
    const auto p = w.make();
    CHECK(only(p).kind == ActionKind::noop);
    CHECK_FALSE(p.has_changes());
    CHECK(plan::render_summary(p) == "No changes. The portal matches the manifest.");
}

TEST_CASE("scopes edited on the portal are put back with an update", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"files:read"}, 90));
    auto& key =
        w.manage(w.manifest.keys[0], "11111111-0000-0000-0000-000000000001", days_from_now(-1));
    key.permissions = core::Scopes::from_list({"files:read", "files:write"});
    const auto plan_a = w.make();
    const auto& a = only(plan_a);
    CHECK(a.kind == ActionKind::update);
    CHECK(a.reasons == std::vector<Reason>{Reason::scopes_edited});
    REQUIRE(a.update.permissions);
    CHECK(a.update.permissions->items == std::vector<std::string>{"files:read"});
    CHECK_FALSE(a.update.name);
    REQUIRE(a.changes.size() == 1);
    CHECK(a.changes[0].from == "files:read, files:write");
}

TEST_CASE("a name edited on the portal is put back with an update", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"*"}, std::nullopt));
    auto& key =
        w.manage(w.manifest.keys[0], "11111111-0000-0000-0000-000000000001", days_from_now(-1));
    key.name = "renamed";
    const auto plan_a = w.make();
    const auto& a = only(plan_a);
    CHECK(a.kind == ActionKind::update);
    CHECK(a.reasons == std::vector<Reason>{Reason::name_edited});
    CHECK(a.update.name == std::optional<std::string>{"Bot"});
}

TEST_CASE("a deactivated, unexpired key is reactivated", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"files:read"}, 90));
    auto& key =
        w.manage(w.manifest.keys[0], "11111111-0000-0000-0000-000000000001", days_from_now(-1));
    key.is_active = false;
    const auto plan_a = w.make();
    const auto& a = only(plan_a);
    CHECK(a.kind == ActionKind::reactivate);
    CHECK(a.reasons == std::vector<Reason>{Reason::deactivated});
    CHECK(a.update.is_active == std::optional<bool>{true});
}

TEST_CASE("a key gone from the portal is created again and named as missing", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"files:read"}, 90));
    w.manage(w.manifest.keys[0], "11111111-0000-0000-0000-000000000001", days_from_now(-1));
    w.observed.clear();
    const auto plan_a = w.make();
    const auto& a = only(plan_a);
    CHECK(a.kind == ActionKind::create);
    CHECK(a.reasons == std::vector<Reason>{Reason::missing_on_portal});
    CHECK(a.key_id == std::optional<std::string>{"11111111-0000-0000-0000-000000000001"});
}

TEST_CASE("an expired key that the portal still lists as active is replaced", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"files:read"}, 30));
    w.manage(w.manifest.keys[0], "11111111-0000-0000-0000-000000000001", days_from_now(-31));
    const auto plan_a = w.make();
    const auto& a = only(plan_a);
    CHECK(a.kind == ActionKind::replace);
    CHECK(a.reasons == std::vector<Reason>{Reason::expired});
}

TEST_CASE("a deactivated and expired key is replaced, not reactivated", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"files:read"}, 30));
    auto& key =
        w.manage(w.manifest.keys[0], "11111111-0000-0000-0000-000000000001", days_from_now(-31));
    key.is_active = false;
    const auto plan_a = w.make();
    const auto& a = only(plan_a);
    CHECK(a.kind == ActionKind::replace);
    CHECK(a.reasons == std::vector<Reason>{Reason::deactivated_expired});
}

TEST_CASE("a lifetime changed in the manifest replaces the key and says why", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"files:read"}, 30));
    w.manage(w.manifest.keys[0], "11111111-0000-0000-0000-000000000001", days_from_now(-1));
    w.manifest.keys[0].expires_in_days = 90;
    const auto plan_a = w.make();
    const auto& a = only(plan_a);
    CHECK(a.kind == ActionKind::replace);
    CHECK(a.reasons == std::vector<Reason>{Reason::lifetime_changed});
    CHECK(a.detail.find("from 30d to 90d") != std::string::npos);
}

TEST_CASE("a key inside the rotation window is replaced, and outside it is left alone", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"files:read"}, 30));  // default window: 10 days
    w.manage(w.manifest.keys[0], "11111111-0000-0000-0000-000000000001", days_from_now(-21));
    CHECK(only(w.make()).kind == ActionKind::replace);
    CHECK(only(w.make()).reasons == std::vector<Reason>{Reason::rotation_due});

    World fresh;
    fresh.manifest.keys.push_back(spec("Bot", {"files:read"}, 30));
    fresh.manage(fresh.manifest.keys[0], "11111111-0000-0000-0000-000000000001",
                 days_from_now(-19));
    CHECK(only(fresh.make()).kind == ActionKind::noop);
}

TEST_CASE("the default rotation window is a third of the lifetime, at most 30 days", "[plan]") {
    const manifest::RotationPolicy defaults;
    CHECK(plan::rotation_window(spec("a", {"*"}, 30), defaults) == std::chrono::hours(24 * 10));
    CHECK(plan::rotation_window(spec("a", {"*"}, 365), defaults) == std::chrono::hours(24 * 30));
    CHECK(plan::rotation_window(spec("a", {"*"}, 1), defaults) == std::chrono::hours(8));
    auto custom = spec("a", {"*"}, 30);
    custom.rotation.rotate_before = std::chrono::hours(48);
    CHECK(plan::rotation_window(custom, defaults) == std::chrono::hours(48));
}

TEST_CASE("a key whose secret no output holds is blocked by default with what to do", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"files:read"}, 90));
    w.manage(w.manifest.keys[0], "11111111-0000-0000-0000-000000000001", days_from_now(-1));
    w.outputs.entries_with_secret.clear();
    const auto p = w.make();
    const auto& a = only(p);
    CHECK(a.kind == ActionKind::blocked);
    CHECK(a.reasons == std::vector<Reason>{Reason::secret_unknown});
    CHECK(a.detail.find("onSecretUnknown") != std::string::npos);
    CHECK(p.has_blocked());

    w.manifest.keys[0].on_secret_unknown = manifest::SecretUnknownPolicy::rotate;
    CHECK(only(w.make()).kind == ActionKind::replace);
    w.manifest.keys[0].on_secret_unknown = manifest::SecretUnknownPolicy::keep;
    CHECK(only(w.make()).kind == ActionKind::noop);
    CHECK(only(w.make()).reasons == std::vector<Reason>{Reason::secret_unknown});
}

TEST_CASE("with onSecretUnknown: keep, drift on the portal is still put back", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"files:read"}, 90));
    w.manifest.keys[0].on_secret_unknown = manifest::SecretUnknownPolicy::keep;
    auto& key =
        w.manage(w.manifest.keys[0], "11111111-0000-0000-0000-000000000001", days_from_now(-1));
    key.permissions = core::Scopes::all();
    w.outputs.entries_with_secret.clear();
    const auto p = w.make();
    const auto& a = only(p);
    CHECK(a.kind == ActionKind::update);
    CHECK(a.reasons == std::vector<Reason>{Reason::scopes_edited, Reason::secret_unknown});
}

TEST_CASE("a protected entry is not replaced unless overridden", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"files:read"}, 30));
    w.manifest.keys[0].protect = true;
    w.manage(w.manifest.keys[0], "11111111-0000-0000-0000-000000000001", days_from_now(-31));
    const auto plan_blocked = w.make();
    const auto& blocked = only(plan_blocked);
    CHECK(blocked.kind == ActionKind::blocked);
    CHECK(blocked.reasons == std::vector<Reason>{Reason::expired, Reason::protected_entry});
    w.options.override_protect = true;
    CHECK(only(w.make()).kind == ActionKind::replace);
}

TEST_CASE("an untracked live key of the same name by the same user blocks a duplicate create",
          "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"files:read"}, 30));
    api::ApiKey stray;
    stray.id = "22222222-0000-0000-0000-000000000002";
    stray.name = "Bot";
    stray.postfix = "beef";
    stray.created_by_id = k_me;
    w.observed.push_back(stray);
    const auto plan_a = w.make();
    const auto& a = only(plan_a);
    CHECK(a.kind == ActionKind::blocked);
    CHECK(a.reasons == std::vector<Reason>{Reason::untracked_name_match});
    CHECK(a.detail.find("provision import") != std::string::npos);
    w.options.allow_duplicate = true;
    CHECK(only(w.make()).kind == ActionKind::create);
}

TEST_CASE("keys of other users or expired keys with the same name do not block a create",
          "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"files:read"}, 30));
    api::ApiKey other;
    other.id = "22222222-0000-0000-0000-000000000002";
    other.name = "Bot";
    other.created_by_id = "someone-else";
    w.observed.push_back(other);
    api::ApiKey expired = other;
    expired.id = "33333333-0000-0000-0000-000000000003";
    expired.created_by_id = k_me;
    expired.expires_at = days_from_now(-1);
    w.observed.push_back(expired);
    CHECK(only(w.make()).kind == ActionKind::create);
}

TEST_CASE("a key whose entry left the manifest is kept unless pruning, then deleted", "[plan]") {
    World w;
    const auto gone = spec("Old Bot", {"files:read"}, 90);
    w.manage(gone, "11111111-0000-0000-0000-000000000001", days_from_now(-1));
    const auto kept = w.make();
    CHECK(only(kept).kind == ActionKind::noop);
    CHECK(only(kept).reasons == std::vector<Reason>{Reason::entry_removed});
    w.options.prune = true;
    CHECK(only(w.make()).kind == ActionKind::remove);
    w.observed.clear();
    CHECK(only(w.make()).kind == ActionKind::forget);
}

TEST_CASE("a retiring key is kept during its grace period and retired after it", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("Bot", {"files:read"}, 30));
    w.manage(w.manifest.keys[0], "11111111-0000-0000-0000-000000000001", days_from_now(-1));
    api::ApiKey old;
    old.id = "44444444-0000-0000-0000-000000000004";
    old.name = "Bot";
    old.created_by_id = k_me;
    w.observed.push_back(old);
    w.state.retiring.push_back(
        {"Bot", old.id, "0004", std::nullopt, k_now + std::chrono::hours(1), "rotation_due"});
    auto p = w.make();
    REQUIRE(p.actions.size() == 2);
    CHECK(p.actions[1].kind == ActionKind::noop);
    CHECK(p.actions[1].reasons == std::vector<Reason>{Reason::in_grace_period});
    CHECK(p.actions[1].detail.rfind("retiring in 1h 0m: ", 0) == 0);
    // Unchanged entries fold, a key in its grace period is still shown.
    const auto text = plan::render_text(p, {false, false});
    CHECK(text.find("in_grace_period") != std::string::npos);
    CHECK(text.find("retiring in 1h 0m") != std::string::npos);
    w.state.retiring[0].retire_after = k_now - std::chrono::hours(1);
    p = w.make();
    CHECK(p.actions[1].kind == ActionKind::retire);
    CHECK(p.actions[1].reasons == std::vector<Reason>{Reason::grace_over});
}

TEST_CASE("targets limit the plan to the named entries", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("A", {"*"}, 30));
    w.manifest.keys.push_back(spec("B", {"*"}, 30));
    w.options.targets = {"B"};
    CHECK(only(w.make()).entry == "B");
}

TEST_CASE("keys the state does not know are never acted upon", "[plan]") {
    World w;
    api::ApiKey foreign;
    foreign.id = "55555555-0000-0000-0000-000000000005";
    foreign.name = "Someone's key";
    foreign.created_by_id = k_me;
    w.observed.push_back(foreign);
    w.options.prune = true;
    CHECK(w.make().actions.empty());
}

TEST_CASE("planning is deterministic: the same input renders byte for byte the same", "[plan]") {
    World w;
    w.manifest.keys.push_back(spec("A", {"files:read"}, 30));
    w.manifest.keys.push_back(spec("B", {"rooms:read"}, 30));
    auto& b =
        w.manage(w.manifest.keys[1], "11111111-0000-0000-0000-000000000001", days_from_now(-1));
    b.permissions = core::Scopes::all();
    w.manage(spec("C", {"*"}, 30), "22222222-0000-0000-0000-000000000002", days_from_now(-1));
    w.options.prune = true;
    const auto first = plan::render_text(w.make());
    CHECK(first == plan::render_text(w.make()));
    CHECK(plan::render_json(w.make()) == plan::render_json(w.make()));
    CHECK(first.find("Plan: 1 to create, 1 to update, 0 to replace, 1 to delete.") !=
          std::string::npos);
}

TEST_CASE("plan shows a managed key widened on the portal beyond the policy as a finding",
          "[plan][policy]") {
    planner_test::BotWorld world;
    world.manifest.policy.allowed_scopes = {"files:*"};
    auto& key = world.stray("0a1b2c3d-0000-0000-0000-000000000001");
    key.permissions = provision::core::Scopes::from_list({"files:read", "rooms:write"});
    world.state.upsert(provision::plan::managed_record("Bot", key));
    world.outputs.entries_with_secret.insert("Bot");  // else the entry blocks on secret_unknown

    const auto plan = world.make();
    REQUIRE(plan.findings.size() == 1);
    CHECK(plan.findings[0].entry == "Bot");
    CHECK(plan.findings[0].rule == provision::manifest::PolicyRule::allowed_scopes);
    CHECK(plan.findings[0].message ==
          "on the portal: policy.allowedScopes: `rooms:write` is not among the allowed scopes "
          "(files:*)");
    CHECK(plan.has_changes());  // the update back to the manifest's scopes
    const auto text = provision::plan::render_text(plan);
    CHECK(text.find("Policy findings") != std::string::npos);
    CHECK(nlohmann::json::parse(provision::plan::render_json(plan)).at("findings")[0].at("rule") ==
          "policy.allowedScopes");

    world.manifest.policy = {};
    CHECK(world.make().findings.empty());
}
