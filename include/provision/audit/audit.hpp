#pragma once
/// The key audit (`provision audit`): every key the token can see on the portal, each marked
/// managed (by which manifest and entry, from that manifest's state) or unmanaged, and the
/// findings of a fixed set of rules. audit_keys() is pure: the keys, manifests, states and `now`
/// come in as values, so every rule is unit-tested without a portal or a clock. Read-only by
/// construction: nothing here can change a key, a state or an output.

#include "provision/api/types.hpp"
#include "provision/core/time.hpp"
#include "provision/manifest/manifest.hpp"
#include "provision/state/state.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace provision::audit {

enum class Severity { warning, error };

/// The rules, each with a stable id (to_string) that JSON, Prometheus and CI filters use.
enum class Rule {
    unrestricted_scope,      ///< error: a usable key with `*` or no permissions
    never_expires,           ///< warning: a usable key without an expiry
    expired_but_active,      ///< warning: past its expiry, still marked active
    unused,                  ///< warning: a usable key not used for longer than unused_for
    scopes_exceed_manifest,  ///< error: a managed key holds scopes its manifest entry lacks
    unmanaged_name_match,    ///< warning: an unmanaged key named like a managed entry
};

/// "unrestricted-scope", "never-expires", "expired-but-active", "unused",
/// "scopes-exceed-manifest", "unmanaged-name-match".
const char* to_string(Rule rule) noexcept;
const char* to_string(Severity severity) noexcept;
Severity severity_of(Rule rule) noexcept;
/// Every rule, in the order findings of one key are listed.
const std::vector<Rule>& all_rules();

/// One manifest given to the audit, with the state it manages keys through.
struct Source {
    std::string label;  ///< the manifest's path as given on the command line
    manifest::Manifest manifest;
    state::State state;
};

struct ManagedBy {
    std::string manifest;  ///< Source::label
    std::string entry;
    bool retiring = false;  ///< an old key kept for a rotation's grace period
};

struct Finding {
    Rule rule = Rule::unrestricted_scope;
    std::string message;  ///< one line, no secret: what is wrong with the key and why
};

struct AuditedKey {
    api::ApiKey key;
    std::optional<ManagedBy> managed;  ///< nullopt = no given manifest's state tracks it
    std::vector<Finding> findings;     ///< in all_rules() order
};

struct Options {
    /// A usable key whose last use (its creation when never used) is older than this is unused.
    std::chrono::seconds unused_for{std::chrono::hours(24 * 90)};
};

struct Report {
    std::vector<AuditedKey> keys;  ///< in the portal's order

    std::size_t count(Severity severity) const;
    std::size_t managed_count() const;
    /// True when some finding has `threshold`'s severity or a higher one.
    bool fails(Severity threshold) const;
};

/// The report for `keys` (GET /api/2.0/keys) against `sources` at `now`. A key tracked by
/// several states is attributed to the first source tracking it.
Report audit_keys(const std::vector<api::ApiKey>& keys, const std::vector<Source>& sources,
                  core::Timestamp now, const Options& options = {});

/// True when the key can authenticate: active and not past its expiry.
bool usable(const api::ApiKey& key, core::Timestamp now);

}  // namespace provision::audit
