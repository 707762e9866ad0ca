// Rendering of the audit report. The text table sizes each column to its content (capped, so a
// long name cannot push the rest off the screen) and counts code points, not bytes, so names
// in other scripts line up. Names come from the portal and may hold anything: control
// characters are replaced in text, escaped in Prometheus labels, and left to the JSON encoder.

#include "provision/audit/render.hpp"

#include "provision/core/prometheus.hpp"
#include "provision/core/table.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

namespace provision::audit {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

/// Control characters would break the table's lines.
std::string printable(std::string_view text) {
    std::string out(text);
    std::replace_if(
        out.begin(), out.end(),
        [](char c) { return static_cast<unsigned char>(c) < 0x20U || c == 0x7F; }, '?');
    return out;
}

std::string managed_text(const AuditedKey& key, bool several_manifests) {
    if (!key.managed) {
        return "-";
    }
    std::string text =
        several_manifests ? key.managed->manifest + ":" + key.managed->entry : key.managed->entry;
    return key.managed->retiring ? text + " (retiring)" : text;
}

/// "3d", "5h", "12m" or "<1m": format_ago's largest unit without the " ago".
std::string span(seconds s) {
    const std::string ago = core::format_ago(s);
    return ago == "just now" ? "<1m" : ago.substr(0, ago.size() - 4);
}

std::string expires_text(const api::ApiKey& key, core::Timestamp now) {
    if (!key.expires_at) {
        return "never";
    }
    const auto left = duration_cast<seconds>(*key.expires_at - now);
    return left.count() <= 0 ? core::format_ago(-left) : "in " + span(left);
}

/// "files:read,rooms:read": the comma alone keeps the column narrow.
std::string scopes_text(const core::Scopes& scopes) {
    if (scopes.unrestricted) {
        return "*";
    }
    std::string out;
    for (const auto& scope : scopes.items) {
        out += (out.empty() ? "" : ",") + scope;
    }
    return out;
}

std::string key_label(const api::ApiKey& key) {
    return printable(key.name) + " sk-***" + key.postfix;
}

/// On a terminal (`width` > 0) names, creators and scopes are capped and may shrink further to
/// fit; piped, they are whole. Keys, ages and times are short and never cut.
std::vector<core::TableColumn> columns(std::size_t width) {
    const auto cap = [width](std::size_t on_terminal) {
        return width > 0 ? on_terminal : std::numeric_limits<std::size_t>::max();
    };
    return {{"NAME", cap(24)},      {"KEY", 10, false},  {"MANAGED BY", cap(28)},
            {"CREATOR", cap(16)},   {"SCOPES", cap(24)}, {"AGE", 5, false},
            {"EXPIRES", 20, false}, {"USED", 20, false}, {"ACTIVE", 6, false}};
}

std::vector<std::string> row_of(const AuditedKey& audited, const RenderContext& context) {
    const api::ApiKey& key = audited.key;
    return {printable(key.name),
            "sk-***" + key.postfix,
            printable(managed_text(audited, context.manifests.size() > 1)),
            printable(key.created_by_name.empty() ? key.created_by_id : key.created_by_name),
            scopes_text(key.permissions),
            span(duration_cast<seconds>(context.now - key.create_on)),
            expires_text(key, context.now),
            key.last_used ? core::format_ago(duration_cast<seconds>(context.now - *key.last_used))
                          : "never",
            key.is_active ? "yes" : "no"};
}

nlohmann::json time_or_null(const std::optional<core::Timestamp>& at) {
    return at ? nlohmann::json(core::format_iso8601(*at)) : nlohmann::json(nullptr);
}

nlohmann::json key_json(const AuditedKey& audited) {
    const api::ApiKey& key = audited.key;
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& finding : audited.findings) {
        rules.push_back(to_string(finding.rule));
    }
    nlohmann::json managed = nullptr;
    if (audited.managed) {
        managed = {{"manifest", audited.managed->manifest},
                   {"entry", audited.managed->entry},
                   {"retiring", audited.managed->retiring}};
    }
    return {{"id", key.id},
            {"name", key.name},
            {"keyPostfix", key.postfix},
            {"createdBy", {{"id", key.created_by_id}, {"displayName", key.created_by_name}}},
            {"scopes", key.permissions.unrestricted ? nlohmann::json::array({"*"})
                                                    : nlohmann::json(key.permissions.items)},
            {"unrestricted", key.permissions.unrestricted},
            {"createdAt", core::format_iso8601(key.create_on)},
            {"expiresAt", time_or_null(key.expires_at)},
            {"lastUsedAt", time_or_null(key.last_used)},
            {"isActive", key.is_active},
            {"managed", managed},
            {"findings", rules}};
}

}  // namespace

std::string render_text(const Report& report, const RenderContext& context) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& key : report.keys) {
        rows.push_back(row_of(key, context));
    }
    std::string out = core::render_table(columns(context.width), rows, context.width);
    const std::size_t errors = report.count(Severity::error);
    const std::size_t warnings = report.count(Severity::warning);
    if (errors + warnings > 0) {
        out += "\nFindings:\n";
        for (const auto& key : report.keys) {
            for (const auto& finding : key.findings) {
                out += fmt::format("  {:<7}  {:<22}  {}: {}\n",
                                   to_string(severity_of(finding.rule)), to_string(finding.rule),
                                   key_label(key.key), printable(finding.message));
            }
        }
    }
    const std::size_t managed = report.managed_count();
    out += fmt::format("\n{} key(s) on the portal: {} managed, {} unmanaged. {} error(s), {} "
                       "warning(s).\n",
                       report.keys.size(), managed, report.keys.size() - managed, errors, warnings);
    return out;
}

std::string render_json(const Report& report, const RenderContext& context, int indent) {
    nlohmann::json keys = nlohmann::json::array();
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& audited : report.keys) {
        keys.push_back(key_json(audited));
        for (const auto& finding : audited.findings) {
            findings.push_back({{"rule", to_string(finding.rule)},
                                {"severity", to_string(severity_of(finding.rule))},
                                {"keyId", audited.key.id},
                                {"keyName", audited.key.name},
                                {"keyPostfix", audited.key.postfix},
                                {"message", finding.message}});
        }
    }
    const std::size_t managed = report.managed_count();
    const nlohmann::json document{{"formatVersion", 1},
                                  {"generatedAt", core::format_iso8601(context.now)},
                                  {"portal", context.portal},
                                  {"manifests", context.manifests},
                                  {"unusedForSeconds", context.options.unused_for.count()},
                                  {"failOn", to_string(context.fail_on)},
                                  {"failed", report.fails(context.fail_on)},
                                  {"summary",
                                   {{"keys", report.keys.size()},
                                    {"managed", managed},
                                    {"unmanaged", report.keys.size() - managed},
                                    {"errors", report.count(Severity::error)},
                                    {"warnings", report.count(Severity::warning)}}},
                                  {"keys", keys},
                                  {"findings", findings}};
    return document.dump(indent);
}

std::string render_prometheus(const Report& report, const RenderContext& context) {
    const std::size_t managed = report.managed_count();
    std::string out = core::prometheus_gauge(
        "provision_audit_keys",
        "Keys on the portal the token can see, by whether a given manifest manages them.");
    out += fmt::format("provision_audit_keys{{managed=\"true\"}} {}\n", managed);
    out +=
        fmt::format("provision_audit_keys{{managed=\"false\"}} {}\n", report.keys.size() - managed);
    out +=
        core::prometheus_gauge("provision_audit_findings", "Audit findings by rule and severity.");
    for (const Rule rule : all_rules()) {
        std::size_t n = 0;
        for (const auto& key : report.keys) {
            n += static_cast<std::size_t>(
                std::count_if(key.findings.begin(), key.findings.end(),
                              [&](const Finding& f) { return f.rule == rule; }));
        }
        out += fmt::format("provision_audit_findings{{rule=\"{}\",severity=\"{}\"}} {}\n",
                           to_string(rule), to_string(severity_of(rule)), n);
    }
    out +=
        core::prometheus_gauge("provision_audit_key_finding", "A finding of one key (always 1).");
    for (const auto& audited : report.keys) {
        for (const auto& finding : audited.findings) {
            out += fmt::format(
                "provision_audit_key_finding{{rule=\"{}\",severity=\"{}\",key_id=\"{}\","
                "name=\"{}\",key_postfix=\"{}\",managed=\"{}\"}} 1\n",
                to_string(finding.rule), to_string(severity_of(finding.rule)),
                core::prometheus_label(audited.key.id), core::prometheus_label(audited.key.name),
                core::prometheus_label(audited.key.postfix), audited.managed ? "true" : "false");
        }
    }
    out += core::prometheus_gauge("provision_audit_timestamp_seconds",
                                  "When the audit ran (Unix time).");
    out += fmt::format("provision_audit_timestamp_seconds {}\n",
                       duration_cast<seconds>(context.now.time_since_epoch()).count());
    return out;
}

}  // namespace provision::audit
