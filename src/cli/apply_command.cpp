// `provision apply FILE...`: prepares under the lock (settling what interrupted runs left), then
// carries out the plan; given a plan saved by `plan --out`, checks it is still current first.
// Several manifests, or a directory, are prepared together and carried out one after another
// (manifest_set.hpp, execute_several).

#include "cli/apply_run.hpp"
#include "cli/commands.hpp"
#include "cli/saved_plan.hpp"
#include "cli/session.hpp"

namespace provision::cli {

namespace {

struct ApplyCommandOptions {
    std::vector<std::string> manifests;
    bool prune = false;
    bool allow_duplicate = false;
    bool override_protect = false;
    bool adopt = false;
    std::vector<std::string> targets;
};

}  // namespace

void add_apply_command(CLI::App& root, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<ApplyCommandOptions>();
    CLI::App* cmd = root.add_subcommand("apply", "Make the portal's API keys match the manifest");
    cmd->add_option("manifest", options->manifests,
                    "the manifest file, or a plan saved by `plan --out`; several manifest "
                    "files, or a directory of manifests, are applied in one run")
        ->required();
    cmd->add_flag("--prune", options->prune, "delete managed keys whose entries left the manifest");
    cmd->add_flag("--allow-duplicate", options->allow_duplicate,
                  "create keys even when an untracked key of the same name exists");
    cmd->add_flag("--override-protect", options->override_protect,
                  "allow replacing or deleting entries marked protect: true");
    cmd->add_flag("--adopt", options->adopt,
                  "bind the one untracked key of an entry's name when the state lacks the entry");
    cmd->add_option("--target", options->targets, "limit the run to this entry (repeatable)");
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
    cmd->footer(
        "Examples:\n"
        "  DOCSPACE_TOKEN=... provision apply manifests/bots.yaml\n"
        "  provision apply manifests/bots.yaml --token-file ~/.config/docspace-token --prune\n"
        "  provision apply bots.plan   (a plan saved by `provision plan --out bots.plan`)\n"
        "  provision apply manifests/   (every manifest in the directory)");
    cmd->callback([options, &global, &exit_code] {
        const bool several = several_manifests(options->manifests);
        for (const auto& file : several ? options->manifests : std::vector<std::string>{}) {
            if (read_saved_plan(file)) {
                exit_code = report_error(core::Errc::invalid_input,
                                         file +
                                             " is a saved plan, which is applied on its own: "
                                             "`provision apply " +
                                             file + "` with no other manifest");
                return;
            }
        }
        if (auto saved = several ? std::nullopt : read_saved_plan(options->manifests.front())) {
            if (options->prune || options->allow_duplicate || options->override_protect ||
                options->adopt || !options->targets.empty()) {
                exit_code = report_error(core::Errc::invalid_input,
                                         "a saved plan carries its own options; pass --prune, "
                                         "--target and the like to `provision plan --out` instead");
                return;
            }
            exit_code = apply_saved_plan(options->manifests.front(), *saved, global);
            return;
        }
        apply::PrepareOptions prepare_options;
        prepare_options.take_lock = true;
        prepare_options.plan.prune = options->prune;
        prepare_options.plan.allow_duplicate = options->allow_duplicate;
        prepare_options.plan.override_protect = options->override_protect;
        prepare_options.plan.adopt = options->adopt;
        prepare_options.plan.targets = {options->targets.begin(), options->targets.end()};
        if (several) {
            auto runs = open_sessions(options->manifests, global, prepare_options);
            exit_code = std::holds_alternative<int>(runs)
                            ? std::get<int>(runs)
                            : execute_several(std::get<std::vector<ManifestRun>>(runs), global);
            return;
        }
        auto opened = open_session(options->manifests.front(), global, prepare_options);
        if (auto* code = std::get_if<int>(&opened)) {
            exit_code = *code;
            return;
        }
        exit_code = execute_session(std::get<Session>(opened), global);
    });
}

}  // namespace provision::cli
