// `provision audit [MANIFEST...]`: every key the token can see on the portal, marked managed
// (by which manifest and entry, from each manifest's state) or unmanaged, with the findings of
// the audit rules (src/audit/). Read-only: one GET of the key list; it takes no lock and writes
// no state, journal or output. Exits 10 when a finding reaches --fail-on, for scheduled CI jobs.

#include "cli/commands.hpp"
#include "provision/apply/state_store.hpp"
#include "provision/audit/render.hpp"
#include "provision/state/state.hpp"

#include <cstdlib>
#include <iostream>
#include <variant>

namespace provision::cli {

namespace {

struct AuditCommandOptions {
    std::vector<std::string> manifests;
    std::string portal;
    std::string unused_for = "90d";
    std::string fail_on = "warning";
};

std::string without_slash(std::string url) {
    if (!url.empty() && url.back() == '/') {
        url.pop_back();
    }
    return url;
}

/// --portal, else the manifests' portal (they must agree), else DOCSPACE_URL.
std::optional<std::string> portal_of(const AuditCommandOptions& options,
                                     const std::vector<audit::Source>& sources) {
    std::string portal = without_slash(options.portal);
    for (const auto& source : sources) {
        const std::string url = without_slash(source.manifest.portal.url);
        if (portal.empty()) {
            portal = url;
        } else if (url != portal) {
            std::cerr << "error: " << source.label << " manages the portal " << url << ", not "
                      << portal << "; audit one portal at a time\n";
            return std::nullopt;
        }
    }
    if (portal.empty()) {
        if (const char* env = std::getenv("DOCSPACE_URL"); env != nullptr && *env != '\0') {
            portal = without_slash(env);
        }
    }
    if (portal.empty()) {
        std::cerr << "error: no portal: give a manifest, --portal URL or DOCSPACE_URL\n";
        return std::nullopt;
    }
    return portal;
}

/// Each manifest with its state, read as they are (no lock: nothing is written).
std::variant<std::vector<audit::Source>, int> load_sources(const std::vector<std::string>& files) {
    std::vector<audit::Source> sources;
    for (const auto& file : files) {
        auto manifest = load_manifest_or_report(file);
        if (!manifest) {
            return exit_code_for(core::Errc::invalid_input);
        }
        auto store = apply::open_state_store(*manifest);
        if (!store.ok()) {
            return report_error(store.error());
        }
        auto state = store.value()->load();
        if (!state.ok()) {
            return report_error(state.error());
        }
        sources.push_back(audit::Source{file, std::move(*manifest), std::move(state.value())});
    }
    return sources;
}

int run_audit(const AuditCommandOptions& options, const GlobalOptions& global) {
    const auto unused_for = core::parse_duration(options.unused_for);
    if (!unused_for) {
        return report_error(core::Errc::invalid_input,
                            "--unused-for: '" + options.unused_for +
                                "' is not a duration such as 90d, 12w or 24h");
    }
    auto loaded = load_sources(options.manifests);
    if (auto* code = std::get_if<int>(&loaded)) {
        return *code;
    }
    const auto& sources = std::get<std::vector<audit::Source>>(loaded);
    const auto portal = portal_of(options, sources);
    if (!portal) {
        return exit_code_for(core::Errc::invalid_input);
    }
    // The credential comes from the first manifest (its token or tokenFile) or the usual
    // fallbacks; the URL is the one settled above.
    manifest::Manifest target = sources.empty() ? manifest::Manifest{} : sources.front().manifest;
    target.portal.url = *portal;
    auto client = make_api(target, global);
    if (!client.ok()) {
        return report_error(client.error());
    }
    auto keys = client.value()->list();
    if (!keys.ok()) {
        return report_error(keys.error());
    }
    audit::RenderContext context{core::now_utc(),
                                 *portal,
                                 options.manifests,
                                 audit::Options{*unused_for},
                                 options.fail_on == "error" ? audit::Severity::error
                                                            : audit::Severity::warning,
                                 stdout_width()};
    const audit::Report report =
        audit::audit_keys(keys.value(), sources, context.now, context.options);
    if (global.output == "json") {
        print_json(audit::render_json(report, context));
    } else if (global.output == "prometheus") {
        std::cout << audit::render_prometheus(report, context);
    } else {
        std::cout << audit::render_text(report, context);
    }
    if (!report.fails(context.fail_on)) {
        return k_exit_ok;
    }
    if (global.output == "text") {
        std::cerr << "audit: findings at or above --fail-on " << options.fail_on << '\n';
    }
    return k_exit_findings;
}

}  // namespace

void add_audit_command(CLI::App& root, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<AuditCommandOptions>();
    CLI::App* cmd = root.add_subcommand(
        "audit", "List every key on the portal, managed or not, with the audit's findings");
    cmd->add_option("manifest", options->manifests,
                    "manifests whose states tell which keys are managed (optional)");
    cmd->add_option("--portal", options->portal,
                    "the portal's URL when no manifest is given (default: DOCSPACE_URL)");
    cmd->add_option("--unused-for", options->unused_for,
                    "a usable key not used for longer than this is a finding")
        ->capture_default_str();
    cmd->add_option("--fail-on", options->fail_on,
                    "exit 10 when a finding has this severity or a higher one")
        ->check(CLI::IsMember({"warning", "error"}))
        ->capture_default_str();
    cmd->add_option("--output", global.output, "text, json or prometheus")
        ->check(CLI::IsMember({"text", "json", "prometheus"}));
    add_network_options(*cmd, global);
    cmd->footer("Examples:\n"
                "  DOCSPACE_TOKEN=... provision audit manifests/bots.yaml\n"
                "  provision audit --portal https://portal.example.com --output json\n"
                "  provision audit manifests/*.yaml --unused-for 30d --fail-on error\n"
                "Rules and their severities: docs/audit.md.");
    cmd->callback([options, &global, &exit_code] { exit_code = run_audit(*options, global); });
}

}  // namespace provision::cli
