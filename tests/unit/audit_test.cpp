// The audit rules as a pure function: each rule fires on exactly the keys it describes, with
// its severity; managed keys are attributed to their manifest and entry; --fail-on thresholds;
// and the renderings (table, JSON, Prometheus) carry what they promise and no secret.

#include "provision/audit/render.hpp"
#include "provision/core/table.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

using namespace provision;
using audit::Rule;
using std::chrono::hours;

namespace {

const core::Timestamp k_now = *core::parse_iso8601("2026-07-01T12:00:00Z");

hours days(int n) {
    return hours(24 * n);
}

struct KeyShape {
    std::string id, name;
    std::vector<std::string> scopes = {"files:read"};
    int created_days_ago = 10;
    std::optional<int> expires_in_days = 30;  ///< from now; negative = expired; nullopt = never
    std::optional<int> used_days_ago = 1;     ///< nullopt = never used
    bool active = true;
};

api::ApiKey key_of(const KeyShape& s) {
    api::ApiKey key;
    key.id = s.id;
    key.name = s.name;
    key.postfix = s.id.substr(0, 4);
    key.permissions = core::Scopes::from_list(s.scopes);
    key.create_on = k_now - days(s.created_days_ago);
    if (s.expires_in_days) {
        key.expires_at = k_now + days(*s.expires_in_days);
    }
    if (s.used_days_ago) {
        key.last_used = k_now - days(*s.used_days_ago);
    }
    key.is_active = s.active;
    key.created_by_id = "u-1";
    key.created_by_name = "Ada Admin";
    return key;
}

/// bots.yaml with entries "Deploy Bot" (files:read, files:write) and "Reader" (files:read);
/// its state tracks k-deploy for Deploy Bot and k-retired as Reader's retiring key.
audit::Source bots_source() {
    audit::Source source;
    source.label = "manifests/bots.yaml";
    for (const auto& [name, scopes] : std::vector<std::pair<std::string, std::vector<std::string>>>{
             {"Deploy Bot", {"files:read", "files:write"}}, {"Reader", {"files:read"}}}) {
        manifest::KeySpec spec;
        spec.name = name;
        spec.permissions = core::Scopes::from_list(scopes);
        spec.expires_in_days = 30;
        source.manifest.keys.push_back(spec);
    }
    state::ManagedKey deploy;
    deploy.entry = "Deploy Bot";
    deploy.id = "k-deploy";
    source.state.keys.push_back(deploy);
    state::RetiringKey retired;
    retired.entry = "Reader";
    retired.id = "k-retired";
    source.state.retiring.push_back(retired);
    return source;
}

std::vector<Rule> rules_of(const audit::Report& report, const std::string& id) {
    const auto it = std::find_if(report.keys.begin(), report.keys.end(),
                                 [&](const audit::AuditedKey& k) { return k.key.id == id; });
    REQUIRE(it != report.keys.end());
    std::vector<Rule> rules;
    for (const auto& f : it->findings) {
        rules.push_back(f.rule);
    }
    return rules;
}

audit::Report audit_one(const KeyShape& shape, const audit::Options& options = {}) {
    return audit::audit_keys({key_of(shape)}, {bots_source()}, k_now, options);
}

}  // namespace

TEST_CASE("a restricted, expiring, recently used key has no finding", "[audit]") {
    const auto report = audit_one({"k-fine", "Fine"});
    CHECK(rules_of(report, "k-fine").empty());
    CHECK_FALSE(report.fails(audit::Severity::warning));
}

TEST_CASE("unrestricted-scope fires for * and for no permissions, as an error", "[audit]") {
    CHECK(rules_of(audit_one({"k-star", "Star", {"*"}}), "k-star") ==
          std::vector<Rule>{Rule::unrestricted_scope});
    CHECK(rules_of(audit_one({"k-none", "None", {}}), "k-none") ==
          std::vector<Rule>{Rule::unrestricted_scope});
    CHECK(audit::severity_of(Rule::unrestricted_scope) == audit::Severity::error);
    // A deactivated key cannot authenticate: not a finding.
    KeyShape off{"k-off", "Off", {"*"}};
    off.active = false;
    CHECK(rules_of(audit_one(off), "k-off").empty());
}

TEST_CASE("never-expires fires for a usable key without expiry, as a warning", "[audit]") {
    KeyShape shape{"k-never", "Forever"};
    shape.expires_in_days = std::nullopt;
    CHECK(rules_of(audit_one(shape), "k-never") == std::vector<Rule>{Rule::never_expires});
    CHECK(audit::severity_of(Rule::never_expires) == audit::Severity::warning);
}

TEST_CASE("expired-but-active fires only while the key is still marked active", "[audit]") {
    KeyShape shape{"k-exp", "Expired"};
    shape.expires_in_days = -10;
    shape.used_days_ago = 200;  // unused does not apply to a key that cannot authenticate
    const auto report = audit_one(shape);
    CHECK(rules_of(report, "k-exp") == std::vector<Rule>{Rule::expired_but_active});
    CHECK(report.keys[0].findings[0].message == "expired 10d ago but still marked active");
    shape.active = false;
    CHECK(rules_of(audit_one(shape), "k-exp").empty());
}

TEST_CASE("unused counts from the last use, or from creation when never used", "[audit]") {
    KeyShape old_use{"k-idle", "Idle"};
    old_use.created_days_ago = 200;
    old_use.expires_in_days = 100;
    old_use.used_days_ago = 120;
    const auto idle = audit_one(old_use);
    CHECK(rules_of(idle, "k-idle") == std::vector<Rule>{Rule::unused});
    CHECK(idle.keys[0].findings[0].message == "not used for 120 days (limit 90 days)");
    old_use.used_days_ago = 89;
    CHECK(rules_of(audit_one(old_use), "k-idle").empty());

    KeyShape never_used{"k-new", "New"};
    never_used.used_days_ago = std::nullopt;
    never_used.created_days_ago = 10;
    CHECK(rules_of(audit_one(never_used), "k-new").empty());
    never_used.created_days_ago = 91;
    const auto stale = audit_one(never_used);
    CHECK(rules_of(stale, "k-new") == std::vector<Rule>{Rule::unused});
    CHECK(stale.keys[0].findings[0].message ==
          "never used in the 91 days since its creation (limit 90 days)");
    CHECK(rules_of(audit_one(never_used, audit::Options{days(120)}), "k-new").empty());
}

TEST_CASE("managed keys are attributed to their manifest and entry, retiring ones too", "[audit]") {
    const auto report =
        audit::audit_keys({key_of({"k-deploy", "Deploy Bot", {"files:read"}}),
                           key_of({"k-retired", "Reader"}), key_of({"k-other", "Other"})},
                          {bots_source()}, k_now);
    REQUIRE(report.keys.size() == 3);
    REQUIRE(report.keys[0].managed);
    CHECK(report.keys[0].managed->manifest == "manifests/bots.yaml");
    CHECK(report.keys[0].managed->entry == "Deploy Bot");
    CHECK_FALSE(report.keys[0].managed->retiring);
    REQUIRE(report.keys[1].managed);
    CHECK(report.keys[1].managed->retiring);
    CHECK_FALSE(report.keys[2].managed);
    CHECK(report.managed_count() == 2);
}

TEST_CASE("scopes-exceed-manifest fires when a managed key holds more than its entry", "[audit]") {
    CHECK(rules_of(audit_one({"k-deploy", "Deploy Bot", {"files:read", "rooms:write"}}),
                   "k-deploy") == std::vector<Rule>{Rule::scopes_exceed_manifest});
    const auto star = audit_one({"k-deploy", "Deploy Bot", {"*"}});
    CHECK(rules_of(star, "k-deploy") ==
          std::vector<Rule>{Rule::unrestricted_scope, Rule::scopes_exceed_manifest});
    CHECK(star.keys[0].findings[1].message ==
          "holds * beyond its entry's scopes (files:read, files:write)");
    // Fewer scopes than the manifest is drift plan fixes, not an excess.
    CHECK(rules_of(audit_one({"k-deploy", "Deploy Bot", {"files:read"}}), "k-deploy").empty());
    CHECK(audit::severity_of(Rule::scopes_exceed_manifest) == audit::Severity::error);
}

TEST_CASE("unmanaged-name-match fires for an untracked key named like an entry", "[audit]") {
    const auto report = audit_one({"k-shadow", "Deploy Bot"});
    CHECK(rules_of(report, "k-shadow") == std::vector<Rule>{Rule::unmanaged_name_match});
    CHECK(report.keys[0].findings[0].message ==
          "unmanaged, but named like the managed entry `Deploy Bot` in manifests/bots.yaml");
    // Without manifests nothing is managed, so nothing can match.
    CHECK(audit::audit_keys({key_of({"k-shadow", "Deploy Bot"})}, {}, k_now)
              .keys[0]
              .findings.empty());
}

TEST_CASE("fails() honours the --fail-on threshold", "[audit]") {
    KeyShape forever{"k-never", "Forever"};
    forever.expires_in_days = std::nullopt;
    const auto warning_only = audit_one(forever);
    CHECK(warning_only.fails(audit::Severity::warning));
    CHECK_FALSE(warning_only.fails(audit::Severity::error));
    const auto error = audit_one({"k-star", "Star", {"*"}});
    CHECK(error.fails(audit::Severity::error));
    CHECK(error.count(audit::Severity::error) == 1);
}

TEST_CASE("the renderings list every key, its findings and no secret", "[audit]") {
    KeyShape forever{"k-never-1234", "Hostile \"name\"\nline"};
    forever.expires_in_days = std::nullopt;
    const auto report = audit::audit_keys({key_of({"k-deploy", "Deploy Bot"}), key_of(forever)},
                                          {bots_source()}, k_now);
    const audit::RenderContext context{
        k_now, "https://portal.example.com", {"manifests/bots.yaml"}, {}, audit::Severity::warning};

    const std::string text = audit::render_text(report, context);
    CHECK(text.rfind("NAME", 0) == 0);
    CHECK(text.find("Deploy Bot") != std::string::npos);
    CHECK(text.find("Hostile \"name\"?line") != std::string::npos);  // no raw newline
    CHECK(text.find("warning  never-expires") != std::string::npos);
    CHECK(text.find("2 key(s) on the portal: 1 managed, 1 unmanaged. 0 error(s), 1 warning(s).") !=
          std::string::npos);

    const auto json = nlohmann::json::parse(audit::render_json(report, context));
    CHECK(json.at("formatVersion") == 1);
    CHECK(json.at("failed") == true);
    CHECK(json.at("keys").size() == 2);
    CHECK(json.at("keys")[0].at("managed").at("entry") == "Deploy Bot");
    CHECK(json.at("keys")[1].at("expiresAt").is_null());
    CHECK(json.at("keys")[1].at("findings") == nlohmann::json::array({"never-expires"}));
    CHECK(json.at("findings").size() == 1);
    CHECK(json.at("findings")[0].at("severity") == "warning");

    const std::string prom = audit::render_prometheus(report, context);
    CHECK(prom.find("provision_audit_keys{managed=\"true\"} 1\n") != std::string::npos);
    CHECK(prom.find("provision_audit_findings{rule=\"never-expires\",severity=\"warning\"} 1\n") !=
          std::string::npos);
    CHECK(
        prom.find("provision_audit_findings{rule=\"unrestricted-scope\",severity=\"error\"} 0\n") !=
        std::string::npos);
    CHECK(prom.find("name=\"Hostile \\\"name\\\"\\nline\"") != std::string::npos);
}

TEST_CASE("the table sizes its columns to the content and fits 100 columns", "[audit]") {
    const auto report =
        audit::audit_keys({key_of({"k-deploy", "Deploy Bot"}),
                           key_of({"k-abcdef", "Reporting", {"files:read", "rooms:read"}})},
                          {bots_source()}, k_now);
    const audit::RenderContext context{
        k_now, "https://p", {"manifests/bots.yaml"}, {}, audit::Severity::warning};
    const std::string text = audit::render_text(report, context);
    const std::string header = text.substr(0, text.find('\n'));
    CHECK(header.size() <= 100);
    // NAME is as wide as "Deploy Bot" plus the two-space gap.
    CHECK(header.rfind("NAME        KEY", 0) == 0);
}

TEST_CASE("the unused message words short limits in hours", "[audit]") {
    KeyShape shape{"k-idle", "Idle"};
    shape.used_days_ago = 1;
    const auto report = audit_one(shape, audit::Options{hours(12)});
    REQUIRE(rules_of(report, "k-idle") == std::vector<Rule>{Rule::unused});
    CHECK(report.keys[0].findings[0].message == "not used for 1 day (limit 12 hours)");
}

TEST_CASE("the audit table fits a terminal's width and is whole when piped", "[audit]") {
    const std::string long_name(60, 'n');
    KeyShape shape{"k-long",
                   long_name,
                   {"files:read", "files:write", "rooms:read", "rooms:write", "accounts:read"}};
    shape.expires_in_days = -120;
    const auto report = audit_one(shape);
    audit::RenderContext context{
        k_now, "https://p", {"manifests/bots.yaml"}, {}, audit::Severity::warning};

    context.width = 100;
    const std::string on_terminal = audit::render_text(report, context);
    const std::string table = on_terminal.substr(0, on_terminal.find("\n\n"));
    std::size_t lines = 0;
    for (std::size_t at = 0; at < table.size();) {
        const std::size_t end = std::min(table.find('\n', at), table.size());
        CHECK(core::code_points(table.substr(at, end - at)) <= 100);
        at = end + 1;
        ++lines;
    }
    CHECK(lines == 2);
    CHECK(table.find("...") != std::string::npos);
    CHECK(table.find(long_name) == std::string::npos);
    // Times are never cut: the expiry is readable whole.
    CHECK(table.find("120d ago") != std::string::npos);

    context.width = 0;
    const std::string piped = audit::render_text(report, context);
    CHECK(piped.find(long_name) != std::string::npos);
    CHECK(piped.find("accounts:read,files:read,files:write,rooms:read,rooms:write") !=
          std::string::npos);
    CHECK(piped.find("...") == std::string::npos);
}
