// The audit rules, in the order of all_rules(). Each rule is a small predicate over one key
// and what the manifests say of it; none reads the clock or the network.
//
// Which keys a rule looks at:
// - unrestricted-scope, never-expires and unused look at usable keys only (active and not
//   expired): a key that cannot authenticate carries no risk of that kind.
// - expired-but-active is about the portal's flag lagging the expiry (the sweeper has not run).
// - scopes-exceed-manifest compares a managed key with its entry's scopes as sets; a key of an
//   entry that left the manifest (or a retiring key) is not compared.
// - unmanaged-name-match looks at every unmanaged key, since a stray key named like an entry
//   is what `plan` blocks on and what people mistake for the managed one.

#include "provision/audit/audit.hpp"

#include <algorithm>

namespace provision::audit {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

std::optional<ManagedBy> managed_by(const std::string& id, const std::vector<Source>& sources) {
    for (const auto& source : sources) {
        for (const auto& record : source.state.keys) {
            if (record.id == id) {
                return ManagedBy{source.label, record.entry, false};
            }
        }
        for (const auto& retiring : source.state.retiring) {
            if (retiring.id == id) {
                return ManagedBy{source.label, retiring.entry, true};
            }
        }
    }
    return std::nullopt;
}

const manifest::KeySpec* spec_of(const ManagedBy& managed, const std::vector<Source>& sources) {
    for (const auto& source : sources) {
        if (source.label == managed.manifest) {
            return source.manifest.find_key(managed.entry);
        }
    }
    return nullptr;
}

/// The scopes `key` holds beyond `allowed`, for display; "" when none.
std::string excess_scopes(const core::Scopes& key, const core::Scopes& allowed) {
    if (allowed.unrestricted) {
        return {};
    }
    if (key.unrestricted) {
        return "*";
    }
    std::string out;
    for (const auto& scope : key.items) {
        if (std::find(allowed.items.begin(), allowed.items.end(), scope) == allowed.items.end()) {
            out += (out.empty() ? "" : ", ") + scope;
        }
    }
    return out;
}

/// "`Deploy Bot` in bots.yaml", for the first manifest with an entry of this name.
std::optional<std::string> entry_named(const std::string& name,
                                       const std::vector<Source>& sources) {
    for (const auto& source : sources) {
        if (source.manifest.find_key(name) != nullptr) {
            return "`" + name + "` in " + source.label;
        }
    }
    return std::nullopt;
}

/// "120 days", "1 day", or hours or minutes for a limit shorter than a day.
std::string days(seconds s) {
    const auto plural = [](long long n, const char* unit) {
        return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
    };
    if (s.count() >= 86400) {
        return plural(s.count() / 86400, "day");
    }
    return s.count() >= 3600 ? plural(s.count() / 3600, "hour") : plural(s.count() / 60, "minute");
}

void check_key(AuditedKey& audited, const std::vector<Source>& sources, core::Timestamp now,
               const Options& options) {
    const api::ApiKey& key = audited.key;
    auto& out = audited.findings;
    const bool live = usable(key, now);
    if (live && key.permissions.unrestricted) {
        out.push_back({Rule::unrestricted_scope,
                       "unrestricted: permissions `*` or none, so it can do anything its creator "
                       "can"});
    }
    if (live && !key.expires_at) {
        out.push_back({Rule::never_expires, "never expires"});
    }
    if (key.is_active && key.expires_at && *key.expires_at <= now) {
        out.push_back({Rule::expired_but_active,
                       "expired " +
                           core::format_ago(duration_cast<seconds>(now - *key.expires_at)) +
                           " but still marked active"});
    }
    if (live) {
        const core::Timestamp since = key.last_used.value_or(key.create_on);
        const auto idle = duration_cast<seconds>(now - since);
        if (idle > options.unused_for) {
            out.push_back({Rule::unused, (key.last_used ? "not used for " + days(idle)
                                                        : "never used in the " + days(idle) +
                                                              " since its creation") +
                                             " (limit " + days(options.unused_for) + ")"});
        }
    }
    if (audited.managed && !audited.managed->retiring) {
        if (const auto* spec = spec_of(*audited.managed, sources)) {
            const std::string excess = excess_scopes(key.permissions, spec->permissions);
            if (!excess.empty()) {
                out.push_back({Rule::scopes_exceed_manifest,
                               "holds " + excess + " beyond its entry's scopes (" +
                                   spec->permissions.to_display() + ")"});
            }
        }
    }
    if (!audited.managed) {
        if (const auto entry = entry_named(key.name, sources)) {
            out.push_back({Rule::unmanaged_name_match,
                           "unmanaged, but named like the managed entry " + *entry});
        }
    }
}

}  // namespace

const char* to_string(Rule rule) noexcept {
    switch (rule) {
    case Rule::unrestricted_scope:
        return "unrestricted-scope";
    case Rule::never_expires:
        return "never-expires";
    case Rule::expired_but_active:
        return "expired-but-active";
    case Rule::unused:
        return "unused";
    case Rule::scopes_exceed_manifest:
        return "scopes-exceed-manifest";
    case Rule::unmanaged_name_match:
        return "unmanaged-name-match";
    }
    return "?";
}

const char* to_string(Severity severity) noexcept {
    return severity == Severity::error ? "error" : "warning";
}

Severity severity_of(Rule rule) noexcept {
    switch (rule) {
    case Rule::unrestricted_scope:
    case Rule::scopes_exceed_manifest:
        return Severity::error;
    case Rule::never_expires:
    case Rule::expired_but_active:
    case Rule::unused:
    case Rule::unmanaged_name_match:
        return Severity::warning;
    }
    return Severity::error;
}

const std::vector<Rule>& all_rules() {
    static const std::vector<Rule> k_rules = {
        Rule::unrestricted_scope,     Rule::never_expires,
        Rule::expired_but_active,     Rule::unused,
        Rule::scopes_exceed_manifest, Rule::unmanaged_name_match};
    return k_rules;
}

bool usable(const api::ApiKey& key, core::Timestamp now) {
    return key.is_active && (!key.expires_at || *key.expires_at > now);
}

std::size_t Report::count(Severity severity) const {
    std::size_t n = 0;
    for (const auto& key : keys) {
        n += static_cast<std::size_t>(
            std::count_if(key.findings.begin(), key.findings.end(),
                          [&](const Finding& f) { return severity_of(f.rule) == severity; }));
    }
    return n;
}

std::size_t Report::managed_count() const {
    return static_cast<std::size_t>(std::count_if(
        keys.begin(), keys.end(), [](const AuditedKey& k) { return k.managed.has_value(); }));
}

bool Report::fails(Severity threshold) const {
    return count(Severity::error) > 0 ||
           (threshold == Severity::warning && count(Severity::warning) > 0);
}

Report audit_keys(const std::vector<api::ApiKey>& keys, const std::vector<Source>& sources,
                  core::Timestamp now, const Options& options) {
    Report report;
    report.keys.reserve(keys.size());
    for (const auto& key : keys) {
        AuditedKey audited{key, managed_by(key.id, sources), {}};
        check_key(audited, sources, now, options);
        report.keys.push_back(std::move(audited));
    }
    return report;
}

}  // namespace provision::audit
