// The rules of the manifest's `policy:` block as pure checks. The loader reports their
// violations at the entry's fields (schema_keys.cpp); the planner applies check_scopes to the
// scopes the portal reports for managed keys, to show drift that breaks the policy.

#include "provision/manifest/policy.hpp"

#include "provision/core/text.hpp"

namespace provision::manifest {
namespace {

std::string allowed_list(const Policy& policy) {
    return core::join(policy.allowed_scopes);
}

bool allowed(const Policy& policy, std::string_view scope) {
    if (policy.allowed_scopes.empty()) {
        return true;
    }
    for (const auto& pattern : policy.allowed_scopes) {
        if (scope_matches(pattern, scope)) {
            return true;
        }
    }
    return false;
}

}  // namespace

const char* to_string(PolicyRule rule) noexcept {
    switch (rule) {
    case PolicyRule::max_expires_in_days:
        return "maxExpiresInDays";
    case PolicyRule::forbid_unrestricted:
        return "forbidUnrestricted";
    case PolicyRule::allowed_scopes:
        return "allowedScopes";
    case PolicyRule::require_expiry:
        return "requireExpiry";
    }
    return "?";
}

bool scope_matches(std::string_view pattern, std::string_view scope) noexcept {
    // Iterative glob with one backtrack point: `*` is the only special character.
    std::size_t p = 0, s = 0;
    std::size_t star = std::string_view::npos, resume = 0;
    while (s < scope.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = s;
        } else if (p < pattern.size() && pattern[p] == scope[s]) {
            ++p;
            ++s;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') {
        ++p;
    }
    return p == pattern.size();
}

std::vector<PolicyViolation> check_scopes(const Policy& policy, const core::Scopes& scopes) {
    std::vector<PolicyViolation> out;
    if (scopes.unrestricted) {
        if (policy.forbid_unrestricted) {
            out.push_back({PolicyRule::forbid_unrestricted, "*",
                           "policy.forbidUnrestricted: an unrestricted key (\"*\") is not "
                           "allowed; list the scopes it needs"});
        }
        if (!allowed(policy, "*")) {
            out.push_back({PolicyRule::allowed_scopes, "*",
                           "policy.allowedScopes: an unrestricted key (\"*\") is not among the "
                           "allowed scopes (" +
                               allowed_list(policy) + ")"});
        }
        return out;
    }
    for (const auto& scope : scopes.items) {
        if (!allowed(policy, scope)) {
            out.push_back({PolicyRule::allowed_scopes, scope,
                           "policy.allowedScopes: `" + scope +
                               "` is not among the allowed scopes (" + allowed_list(policy) + ")"});
        }
    }
    return out;
}

std::vector<PolicyViolation> check_expiry(const Policy& policy,
                                          std::optional<int> expires_in_days) {
    std::vector<PolicyViolation> out;
    if (!expires_in_days && policy.require_expiry) {
        out.push_back({PolicyRule::require_expiry, "",
                       "policy.requireExpiry: the key must expire; set expiresInDays to a "
                       "number of days instead of `never`"});
    }
    if (policy.max_expires_in_days &&
        (!expires_in_days || *expires_in_days > *policy.max_expires_in_days)) {
        const std::string limit = std::to_string(*policy.max_expires_in_days);
        out.push_back({PolicyRule::max_expires_in_days, "",
                       "policy.maxExpiresInDays: the lifetime (" +
                           (expires_in_days ? std::to_string(*expires_in_days) + " days"
                                            : std::string("never expires")) +
                           ") exceeds the policy's " + limit + " days; set expiresInDays to " +
                           limit + " or less"});
    }
    return out;
}

}  // namespace provision::manifest
