// `provision rotate FILE [--key NAME]...`: replaces the named entries' keys now, through the
// same plan and executor as apply, so the new secret is written before the old key is retired
// by its policy and grace period. With --key the run is limited to those entries (as --target
// would); without it every entry is rotated and the whole plan is applied.

#include "cli/apply_run.hpp"
#include "cli/commands.hpp"
#include "cli/session.hpp"

namespace provision::cli {

namespace {

struct RotateCommandOptions {
    std::string manifest;
    std::vector<std::string> keys;
    bool override_protect = false;
};

}  // namespace

void add_rotate_command(CLI::App& root, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<RotateCommandOptions>();
    CLI::App* cmd =
        root.add_subcommand("rotate", "Replace keys now, retiring the old ones by policy");
    cmd->add_option("manifest", options->manifest, "the manifest file")->required();
    cmd->add_option("--key", options->keys,
                    "rotate this entry only, touching no other (repeatable; default: all)");
    cmd->add_flag("--override-protect", options->override_protect,
                  "allow replacing entries marked protect: true");
    cmd->add_option("--lock-timeout", global.lock_timeout,
                    "seconds to wait for another run's lock (default: fail at once)");
    cmd->add_option("--output", global.output, "text or json")
        ->check(CLI::IsMember({"text", "json"}));
    add_plan_display_options(*cmd, global);
    add_network_options(*cmd, global);
    add_state_options(*cmd, global);
    add_execution_options(*cmd, global);
    cmd->add_flag("-y,--auto-approve", global.auto_approve,
                  "on a terminal, do not ask before deleting, revoking or replacing keys");
    cmd->footer("Examples:\n"
                "  DOCSPACE_TOKEN=... provision rotate manifests/bots.yaml\n"
                "  provision rotate manifests/bots.yaml --key 'Integration Bot'");
    cmd->callback([options, &global, &exit_code] {
        auto loaded = load_manifest_or_report(options->manifest);
        if (!loaded) {
            exit_code = exit_code_for(core::Errc::invalid_input);
            return;
        }
        apply::PrepareOptions prepare_options;
        prepare_options.take_lock = true;
        prepare_options.plan.override_protect = options->override_protect;
        // apply::prepare refuses a --key that names no entry.
        for (const auto& name : options->keys) {
            prepare_options.plan.force_rotate.insert(name);
            prepare_options.plan.targets.insert(name);
        }
        if (options->keys.empty()) {
            for (const auto& spec : loaded->keys) {
                prepare_options.plan.force_rotate.insert(spec.name);
            }
        }
        auto opened = open_session(std::move(*loaded), global, std::move(prepare_options));
        if (auto* code = std::get_if<int>(&opened)) {
            exit_code = *code;
            return;
        }
        exit_code = execute_session(std::get<Session>(opened), global);
    });
}

}  // namespace provision::cli
