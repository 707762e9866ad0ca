#pragma once
// Shared by the planner tests about keys the state does not track (--adopt, settle actions):
// one manifest entry "Bot", the portal's keys, interrupted creates and a fixed `now`.

#include "provision/plan/plan.hpp"

#include <string>
#include <vector>

namespace planner_test {

using namespace provision;

inline const std::string k_me = "aa11bb22-cc33-dd44-ee55-ff6677889900";
inline const core::Timestamp k_now = *core::parse_iso8601("2026-07-01T12:00:00Z");

struct BotWorld {
    manifest::Manifest manifest;
    state::State state;
    std::vector<api::ApiKey> observed;
    plan::OutputsView outputs;
    plan::PlanOptions options;
    std::vector<plan::PendingCreate> pending;

    BotWorld() {
        manifest::KeySpec k;
        k.name = "Bot";
        k.permissions = core::Scopes::from_list({"files:read"});
        k.expires_in_days = 30;
        k.env = "BOT_API_KEY";
        manifest.keys.push_back(k);
    }

    /// A live key named "Bot", created by the caller `age_days` ago, that the state does not
    /// track.
    api::ApiKey& stray(const std::string& id, int age_days = 1) {
        api::ApiKey key;
        key.id = id;
        key.name = "Bot";
        key.postfix = id.substr(0, 4);
        key.permissions = core::Scopes::from_list({"files:read"});
        key.create_on = k_now - std::chrono::hours(24 * age_days);
        key.expires_at = key.create_on + std::chrono::hours(24 * 30);
        key.created_by_id = k_me;
        observed.push_back(key);
        return observed.back();
    }

    plan::Plan make() const {
        return plan::make_plan(
            plan::PlanInput{manifest, state, observed, outputs, k_me, k_now, options, pending});
    }
};

}  // namespace planner_test
