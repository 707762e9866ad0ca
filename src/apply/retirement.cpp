// When a replaced key retires. Shared by the executor (a replacement it made, with the policy
// its plan carries) and by reconciliation (a replacement an interrupted run made, adopted
// afterwards, with the manifest entry's policy).

#include "provision/apply/executor.hpp"

#include <algorithm>

namespace provision::apply {

state::RetiringKey retirement_for(const manifest::RotationPolicy& policy, const std::string& entry,
                                  const state::ManagedKey& old,
                                  const std::vector<api::ApiKey>& observed, std::string reason,
                                  core::Timestamp now) {
    // The portal's expiry when the key was observed, else the one recorded at create.
    std::optional<core::Timestamp> expires_at = old.expires_at;
    const auto seen = std::find_if(observed.begin(), observed.end(),
                                   [&](const api::ApiKey& k) { return k.id == old.id; });
    if (seen != observed.end()) {
        expires_at = seen->expires_at;
    }
    const bool expired = expires_at && *expires_at <= now;
    state::RetiringKey retiring{entry, old.id, old.postfix, expires_at, now, std::move(reason)};
    if (policy.retire == manifest::RetirePolicy::keep_until_expiry) {
        retiring.retire_after = std::max(now, expires_at.value_or(now + policy.grace_period));
    } else if (!expired && policy.grace_period.count() > 0) {
        retiring.retire_after = now + policy.grace_period;
    }
    return retiring;
}

}  // namespace provision::apply
