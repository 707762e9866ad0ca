#pragma once
/// The manifest's `policy:` block: rules every key entry must follow, checked offline by
/// `validate` (and so by every command that loads the manifest) and, against the scopes the
/// portal reports, by `plan`. The checks are pure functions over plain values, so the manifest
/// loader (positions and diagnostics) and the planner (portal drift) share one definition.

#include "provision/core/scopes.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace provision::manifest {

struct Policy {
    std::optional<int> max_expires_in_days;  ///< 1-365; nullopt = no limit
    bool forbid_unrestricted = false;        ///< refuse `permissions: ["*"]`
    /// Scopes an entry may hold, each a scope or a pattern where `*` matches any run of
    /// characters (`files:*`). Empty = every scope is allowed.
    std::vector<std::string> allowed_scopes;
    bool require_expiry = false;  ///< refuse `expiresInDays: never`
};

enum class PolicyRule { max_expires_in_days, forbid_unrestricted, allowed_scopes, require_expiry };

/// The rule's field name as written in the manifest ("maxExpiresInDays", ...).
const char* to_string(PolicyRule rule) noexcept;

struct PolicyViolation {
    PolicyRule rule;
    /// For allowed_scopes and forbid_unrestricted: the scope at fault ("*" when unrestricted).
    std::string scope;
    /// "policy.allowedScopes: `rooms:write` is not among the allowed scopes (files:*)".
    std::string message;
};

/// True when `scope` matches `pattern`; `*` in the pattern matches any run of characters.
bool scope_matches(std::string_view pattern, std::string_view scope) noexcept;

/// The violations of `scopes` (as normalised: unrestricted counts as the scope "*"), in the
/// order of the scope list; empty when the policy allows them.
std::vector<PolicyViolation> check_scopes(const Policy& policy, const core::Scopes& scopes);

/// The violations of a lifetime (nullopt = never expires); empty when the policy allows it.
std::vector<PolicyViolation> check_expiry(const Policy& policy, std::optional<int> expires_in_days);

}  // namespace provision::manifest
