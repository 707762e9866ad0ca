// The manifest's `policy:` block: each rule refuses a violating entry with an error at the
// field at fault that names the rule, malformed rules are reported, and the pure checks the
// planner shares (scope patterns, expiry) behave as documented.

#include "manifest_test_support.hpp"

using namespace manifest_test;

namespace {

/// A manifest with `policy` (YAML lines, already indented) and one entry with `permissions`
/// and `expiry`. The entry's permissions are on line 11 (col 18) and its expiresInDays on
/// line 12 (col 20) whatever the policy, since the policy block comes last.
std::string with_policy(const std::string& policy, const std::string& permissions,
                        const std::string& expiry) {
    return R"(version: 1
portal:
  url: ${DOCSPACE_URL}
  token: ${DOCSPACE_TOKEN}
outputs:
  - path: ../secrets/bots.env
    format: dotenv
keys:
  - name: Deploy Bot
    env: DEPLOY_BOT_API_KEY
    permissions: )" +
           permissions + R"(
    expiresInDays: )" +
           expiry + R"(
policy:
)" + policy;
}

Diagnostic only_error(const LoadResult& result) {
    INFO(all_messages(result));
    REQUIRE_FALSE(result.manifest.has_value());
    REQUIRE(result.diagnostics.size() == 1);
    return result.diagnostics.front();
}

}  // namespace

TEST_CASE("an entry that satisfies every policy rule loads with the policy", "[manifest][policy]") {
    const auto result = load(with_policy("  maxExpiresInDays: 90\n  forbidUnrestricted: true\n"
                                         "  allowedScopes: [\"files:*\", rooms:read]\n"
                                         "  requireExpiry: true\n",
                                         "[files:read, rooms:read]", "30"));
    INFO(all_messages(result));
    REQUIRE(result.manifest.has_value());
    const Policy& policy = result.manifest->policy;
    CHECK(policy.max_expires_in_days == 90);
    CHECK(policy.forbid_unrestricted);
    CHECK(policy.require_expiry);
    CHECK(policy.allowed_scopes == std::vector<std::string>{"files:*", "rooms:read"});
}

TEST_CASE("policy maxExpiresInDays refuses a longer lifetime at expiresInDays",
          "[manifest][policy]") {
    const auto d = only_error(load(with_policy("  maxExpiresInDays: 90\n", "[files:read]", "120")));
    CHECK(d.line == 12);
    CHECK(d.column == 20);
    CHECK(d.path == "keys[0].expiresInDays");
    CHECK(d.message ==
          "policy.maxExpiresInDays: the lifetime (120 days) exceeds the policy's 90 days; set "
          "expiresInDays to 90 or less");
    const auto never =
        only_error(load(with_policy("  maxExpiresInDays: 90\n", "[files:read]", "never")));
    CHECK(never.message.find("policy.maxExpiresInDays: the lifetime (never expires)") == 0);
}

TEST_CASE("policy requireExpiry refuses expiresInDays never", "[manifest][policy]") {
    const auto d =
        only_error(load(with_policy("  requireExpiry: true\n", "[files:read]", "never")));
    CHECK(d.line == 12);
    CHECK(d.column == 20);
    CHECK(d.message.find("policy.requireExpiry:") == 0);
}

TEST_CASE("policy forbidUnrestricted refuses [\"*\"] at the star", "[manifest][policy]") {
    const auto d = only_error(load(with_policy("  forbidUnrestricted: true\n", "[\"*\"]", "30")));
    CHECK(d.line == 11);
    CHECK(d.column == 19);
    CHECK(d.path == "keys[0].permissions[0]");
    CHECK(d.message.find("policy.forbidUnrestricted:") == 0);
}

TEST_CASE("policy allowedScopes refuses each scope outside its patterns at that scope",
          "[manifest][policy]") {
    const auto result = load(with_policy("  allowedScopes: [\"files:*\"]\n",
                                         "[files:read, rooms:write, accounts:read]", "30"));
    INFO(all_messages(result));
    REQUIRE(result.diagnostics.size() == 2);
    const Diagnostic& rooms = result.diagnostics[0];
    CHECK(rooms.line == 11);
    CHECK(rooms.column == 31);
    CHECK(rooms.path == "keys[0].permissions[1]");
    CHECK(rooms.message ==
          "policy.allowedScopes: `rooms:write` is not among the allowed scopes (files:*)");
    CHECK(result.diagnostics[1].path == "keys[0].permissions[2]");
    const auto star =
        only_error(load(with_policy("  allowedScopes: [\"*:read\"]\n", "[\"*\"]", "30")));
    CHECK(star.message.find("policy.allowedScopes: an unrestricted key") == 0);
}

TEST_CASE("a malformed policy is reported field by field", "[manifest][policy]") {
    const auto typo =
        only_error(load(with_policy("  allowedScopes: [\"file:*\"]\n", "[files:read]", "30")));
    CHECK(typo.line == 14);
    CHECK(typo.column == 19);
    CHECK(typo.path == "policy.allowedScopes[0]");
    CHECK(typo.message.rfind("`file:*` matches no scope", 0) == 0);
    const auto range =
        only_error(load(with_policy("  maxExpiresInDays: 400\n", "[files:read]", "30")));
    CHECK(range.message == "maxExpiresInDays must be from 1 to 365; found 400");
    const auto field =
        only_error(load(with_policy("  requireExpiri: true\n", "[files:read]", "30")));
    CHECK(field.message.find("did you mean `requireExpiry`?") != std::string::npos);
    const auto empty = only_error(load(with_policy("  allowedScopes: []\n", "[files:read]", "30")));
    CHECK(empty.path == "policy.allowedScopes");
}

TEST_CASE("scope patterns match with * as any run of characters", "[manifest][policy]") {
    CHECK(scope_matches("files:*", "files:read"));
    CHECK(scope_matches("files:*", "files:write"));
    CHECK_FALSE(scope_matches("files:*", "rooms:read"));
    CHECK(scope_matches("*:read", "accounts.self:read"));
    CHECK_FALSE(scope_matches("*:read", "files:write"));
    CHECK(scope_matches("*", "*"));
    CHECK(scope_matches("rooms:read", "rooms:read"));
    CHECK_FALSE(scope_matches("rooms:read", "rooms:readx"));
    CHECK_FALSE(scope_matches("files:*", "*"));
}

TEST_CASE("check_scopes and check_expiry allow everything without a policy", "[manifest][policy]") {
    const Policy none;
    CHECK(check_scopes(none, provision::core::Scopes::all()).empty());
    CHECK(check_expiry(none, std::nullopt).empty());
    Policy strict;
    strict.forbid_unrestricted = true;
    strict.allowed_scopes = {"files:read"};
    const auto v = check_scopes(strict, provision::core::Scopes::all());
    REQUIRE(v.size() == 2);
    CHECK(v[0].rule == PolicyRule::forbid_unrestricted);
    CHECK(v[1].rule == PolicyRule::allowed_scopes);
    CHECK(check_scopes(strict, provision::core::Scopes::from_list({"files:read"})).empty());
}
