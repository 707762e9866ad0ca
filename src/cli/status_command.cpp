// `provision status FILE...`: what the manifest's keys look like now, read-only
// (status_report.hpp). With --expiring-within, exits 9 when a managed key expires within the
// window (for scheduled CI alerts). Several manifests, or a directory, give a section per
// manifest and the totals, or one JSON document, or one Prometheus file (manifest_set.hpp).

#include "cli/commands.hpp"
#include "cli/manifest_set.hpp"
#include "cli/status_report.hpp"
#include "provision/plan/render.hpp"

#include <algorithm>
#include <iostream>
#include <map>

namespace provision::cli {

namespace {

struct StatusCommandOptions {
    std::vector<std::string> manifests;
    std::string expiring_within;
};

/// The text totals: how many keys of the manifests shown are in each state.
std::string totals_text(const std::vector<StatusView>& views, std::size_t manifests) {
    std::map<std::string, std::size_t> states;
    std::size_t keys = 0;
    std::size_t expiring = 0;
    for (const auto& view : views) {
        for (const auto& row : view.rows) {
            ++states[row.state];
            ++keys;
            expiring += row.expiring ? 1U : 0U;
        }
    }
    std::string text = std::to_string(manifests) + " manifests, " +
                       std::to_string(manifests - views.size()) + " not shown; " +
                       std::to_string(keys) + " entries";
    for (const auto& [state, count] : states) {
        text += ", " + std::to_string(count) + " " + state;
    }
    return text + "; " + std::to_string(expiring) + " expiring.\n";
}

/// `status A B ...` or `status DIR`: one section per manifest and the totals.
int status_several(const StatusCommandOptions& options, const GlobalOptions& global,
                   std::optional<std::chrono::seconds> window) {
    auto opened = open_sessions(options.manifests, global, apply::PrepareOptions{});
    if (auto* code = std::get_if<int>(&opened)) {
        return *code;
    }
    auto& runs = std::get<std::vector<ManifestRun>>(opened);
    const core::Timestamp now = core::now_utc();
    std::vector<StatusView> views;
    std::map<const ManifestRun*, std::size_t> view_of;
    for (auto& run : runs) {
        if (run.session) {
            view_of[&run] = views.size();
            views.push_back(status_of(*run.session, run.file, now, window));
            run.exit_code = views.back().expiring() ? k_exit_expiring : k_exit_ok;
        }
    }
    const int exit_code = combined_exit_code(runs);
    if (global.output == "prometheus") {
        std::vector<FailedStatus> failed;
        for (const auto& run : runs) {
            if (!run.session) {
                failed.push_back({run.file, run.exit_code});
            }
        }
        std::cout << status_prometheus(views, failed);
    } else if (global.output == "json") {
        nlohmann::json manifests = nlohmann::json::array();
        std::size_t keys = 0;
        std::size_t expiring = 0;
        for (const auto& run : runs) {
            auto section = run_json(run);
            if (const auto found = view_of.find(&run); found != view_of.end()) {
                const auto& view = views[found->second];
                section["status"] = status_json(view, now, window);
                keys += view.rows.size();
                expiring += static_cast<std::size_t>(std::count_if(
                    view.rows.begin(), view.rows.end(), [](const auto& r) { return r.expiring; }));
            }
            manifests.push_back(std::move(section));
        }
        print_json(nlohmann::json{{"formatVersion", plan::k_json_format_version},
                                  {"manifests", manifests},
                                  {"totals",
                                   {{"manifests", runs.size()},
                                    {"shown", views.size()},
                                    {"failed", runs.size() - views.size()},
                                    {"keys", keys},
                                    {"expiring", expiring}}},
                                  {"exitCode", exit_code}}
                       .dump(2));
    } else {
        for (const auto& run : runs) {
            std::cout << section_header(run.file);
            if (const auto found = view_of.find(&run); found != view_of.end()) {
                print_status_text(views[found->second], now);
            } else {
                std::cout << failure_text(run, "not shown");
            }
            std::cout << '\n';
        }
        std::cout << section_header("totals") << totals_text(views, runs.size());
    }
    if (global.output == "text" &&
        std::any_of(views.begin(), views.end(), [](const auto& view) { return view.expiring(); })) {
        std::cerr << "warning: a managed key expires within " << options.expiring_within << '\n';
    }
    return exit_code;
}

}  // namespace

void add_status_command(CLI::App& root, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<StatusCommandOptions>();
    CLI::App* cmd = root.add_subcommand("status", "Show the managed keys, their expiry and state");
    cmd->add_option("manifest", options->manifests,
                    "the manifest file; several files, or a directory of manifests, give one "
                    "combined report")
        ->required();
    cmd->add_option("--expiring-within", options->expiring_within,
                    "exit 9 when a managed key expires within this duration (e.g. 14d)");
    cmd->add_option("--output", global.output,
                    "text, json or prometheus (node_exporter's textfile collector)")
        ->check(CLI::IsMember({"text", "json", "prometheus"}));
    add_network_options(*cmd, global);
    add_state_options(*cmd, global);
    cmd->footer("Examples:\n"
                "  DOCSPACE_TOKEN=... provision status manifests/bots.yaml\n"
                "  provision status manifests/bots.yaml --expiring-within 14d --output json\n"
                "  provision status manifests/bots.yaml --output prometheus > "
                "/var/lib/node_exporter/provision.prom\n"
                "  provision status manifests/ --output prometheus   (every manifest in it)");
    cmd->callback([options, &global, &exit_code] {
        std::optional<std::chrono::seconds> window;
        if (!options->expiring_within.empty()) {
            window = core::parse_duration(options->expiring_within);
            if (!window) {
                exit_code = report_error(core::Errc::invalid_input,
                                         "--expiring-within: '" + options->expiring_within +
                                             "' is not a duration such as 30d, 12h, 90m or 45s");
                return;
            }
        }
        if (several_manifests(options->manifests)) {
            exit_code = status_several(*options, global, window);
            return;
        }
        auto opened = open_session(options->manifests.front(), global, apply::PrepareOptions{});
        if (auto* code = std::get_if<int>(&opened)) {
            exit_code = *code;
            return;
        }
        const core::Timestamp now = core::now_utc();
        const auto view =
            status_of(std::get<Session>(opened), options->manifests.front(), now, window);
        if (global.output == "json") {
            print_json(status_json(view, now, window).dump(2));
        } else if (global.output == "prometheus") {
            std::cout << status_prometheus({view});
        } else {
            print_status_text(view, now);
        }
        if (view.expiring() && global.output == "text") {
            std::cerr << "warning: a managed key expires within " << options->expiring_within
                      << '\n';
        }
        exit_code = view.expiring() ? k_exit_expiring : k_exit_ok;
    });
}

}  // namespace provision::cli
