// The `policy:` block of schema version 1: the rules every key entry must follow (policy.hpp).
// Read before `keys:`, so each entry is checked against it where the entry is read and every
// violation points at the field that breaks the rule.

#include "schema.hpp"

#include "provision/core/scopes.hpp"

#include <algorithm>

namespace provision::manifest::detail {
namespace {

/// A pattern is useful only if it matches some scope DocSpace knows; anything else is a typo.
bool matches_known_scope(const std::string& pattern) {
    const auto& all = core::scope_catalogue();
    return std::any_of(all.begin(), all.end(),
                       [&](const std::string& scope) { return scope_matches(pattern, scope); });
}

void read_allowed_scopes(Reader& reader, const Node& node, Policy& policy) {
    const std::string path = "policy.allowedScopes";
    const auto* items = reader.list(node, path, k_max_list_items, "[files:*, rooms:read]");
    if (items == nullptr) {
        return;
    }
    if (items->empty()) {
        reader.sink().error(node.offset, path,
                            "the list is empty, so no key could be valid; list the scopes keys "
                            "may have, or remove allowedScopes to allow every scope");
        return;
    }
    for (std::size_t i = 0; i < items->size(); ++i) {
        const Node& item = (*items)[i];
        const std::string where = item_path(path, i);
        const auto value = reader.string(item, where);
        if (!value) {
            continue;
        }
        if (!matches_known_scope(value->value)) {
            const std::string hint = Reader::suggestion(value->shown, core::scope_catalogue());
            reader.sink().error(item.offset, where,
                                "`" + value->shown + "` matches no scope" +
                                    (hint.empty() ? "; write a scope such as files:read or a "
                                                    "pattern such as files:*"
                                                  : hint));
            continue;
        }
        policy.allowed_scopes.push_back(value->value);
    }
}

}  // namespace

Policy read_policy(Reader& reader, const Node& node) {
    Policy policy;
    const auto fields =
        reader.fields(node, "policy",
                      {"maxExpiresInDays", "forbidUnrestricted", "allowedScopes", "requireExpiry"},
                      "the key policy");
    if (!fields) {
        return policy;
    }
    if (const Node* max = reader.optional(*fields, "maxExpiresInDays")) {
        if (const auto days = reader.integer(*max, "policy.maxExpiresInDays")) {
            if (*days < 1 || *days > 365) {
                reader.sink().error(max->offset, "policy.maxExpiresInDays",
                                    "maxExpiresInDays must be from 1 to 365; found " +
                                        std::to_string(*days));
            } else {
                policy.max_expires_in_days = static_cast<int>(*days);
            }
        }
    }
    if (const Node* forbid = reader.optional(*fields, "forbidUnrestricted")) {
        policy.forbid_unrestricted =
            reader.boolean(*forbid, "policy.forbidUnrestricted").value_or(false);
    }
    if (const Node* scopes = reader.optional(*fields, "allowedScopes")) {
        read_allowed_scopes(reader, *scopes, policy);
    }
    if (const Node* require = reader.optional(*fields, "requireExpiry")) {
        policy.require_expiry = reader.boolean(*require, "policy.requireExpiry").value_or(false);
    }
    return policy;
}

}  // namespace provision::manifest::detail
