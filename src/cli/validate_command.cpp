// `provision validate FILE`: every check that needs no portal, offline: no token, no request
// (pull requests from forks have no secrets). The manifest's diagnostics (an environment
// variable that is not set is a warning here: plan and apply will need it), the outputs'
// destinations as plan checks them (the git guard), and the state file's readability.

#include "cli/command_text.hpp"
#include "cli/commands.hpp"
#include "provision/apply/preflight.hpp"
#include "provision/plan/render.hpp"
#include "provision/state/state.hpp"

#include <nlohmann/json.hpp>

#include <iostream>

namespace provision::cli {

namespace {

int run_validate(const std::string& file, const GlobalOptions& global) {
    prefetch_state_of(file, global.state);
    auto manifest = load_manifest_or_report(file, /*offline=*/true);
    if (!manifest) {
        return exit_code_for(core::Errc::invalid_input);
    }
    if (!global.state.empty()) {
        if (auto located = use_state_location(*manifest, global.state); !located.ok()) {
            return report_error(located.error());
        }
    }
    int code = k_exit_ok;
    for (const auto& message : apply::output_refusals(*manifest, /*writes=*/false)) {
        code = report_error(core::Errc::invalid_input, message);
    }
    // A remote state is not read offline.
    if (auto state = manifest->state_url.empty() ? state::load_state(manifest->state_path)
                                                 : core::Result<state::State>(state::State{});
        !state.ok()) {
        code = report_error(state.error());
    }
    if (code != k_exit_ok) {
        return code;
    }
    if (global.output == "json") {
        print_json(validate_json(file, *manifest).dump(2));
    } else {
        std::cout << validate_text(file, *manifest);
    }
    return code;
}

}  // namespace

void add_validate_command(CLI::App& root, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<std::string>();
    CLI::App* cmd = root.add_subcommand(
        "validate", "Check a manifest, its outputs' destinations and its state, offline");
    cmd->add_option("manifest", *options, "the manifest file")->required();
    cmd->add_option("--state", global.state,
                    "the state file to check instead of the manifest's (also PROVISION_STATE)")
        ->envname("PROVISION_STATE");
    cmd->add_option("--output", global.output, "text or json")
        ->check(CLI::IsMember({"text", "json"}));
    cmd->footer("Examples:\n  provision validate manifests/bots.yaml\n"
                "  provision validate manifests/bots.yaml --output json");
    cmd->callback([options, &global, &exit_code] { exit_code = run_validate(*options, global); });
}

}  // namespace provision::cli
