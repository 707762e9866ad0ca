#include "cli/commands.hpp"
#include "cli/session.hpp"

namespace provision::cli {

namespace {
struct PlanCommandOptions {
    std::string manifest;
    bool detailed_exitcode = false;
    bool prune = false;
    bool allow_duplicate = false;
    std::vector<std::string> targets;
};
}  // namespace

void add_plan_command(CLI::App& root, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<PlanCommandOptions>();
    CLI::App* cmd = root.add_subcommand("plan", "Show what apply would change, entry by entry");
    cmd->add_option("manifest", options->manifest, "the manifest file")->required();
    cmd->add_flag("--detailed-exitcode", options->detailed_exitcode,
                  "exit 0 when there are no changes, 2 when there are, 1 on error");
    cmd->add_flag("--prune", options->prune, "plan to delete keys whose entries left the manifest");
    cmd->add_flag("--allow-duplicate", options->allow_duplicate,
                  "plan to create keys even when an untracked key of the same name exists");
    cmd->add_option("--target", options->targets, "limit the plan to this entry (repeatable)");
    cmd->add_option("--output", global.output, "text or json")->check(CLI::IsMember({"text", "json"}));
    add_network_options(*cmd, global);
    cmd->footer("Examples:\n"
                "  DOCSPACE_TOKEN=... provision plan manifests/bots.yaml\n"
                "  provision plan manifests/bots.yaml --detailed-exitcode --output json");
    cmd->callback([options, &global, &exit_code] {
        SessionOptions session_options;
        session_options.plan.prune = options->prune;
        session_options.plan.allow_duplicate = options->allow_duplicate;
        session_options.plan.targets = {options->targets.begin(), options->targets.end()};
        auto opened = open_session(options->manifest, global, session_options);
        if (auto* code = std::get_if<int>(&opened)) {
            exit_code = options->detailed_exitcode ? k_exit_error : *code;
            return;
        }
        const Session& session = std::get<Session>(opened);
        print_plan(session.plan, global);
        if (options->detailed_exitcode) {
            exit_code = session.plan.has_changes() || session.plan.has_blocked() ? k_exit_changes : k_exit_ok;
        } else {
            exit_code = k_exit_ok;
        }
    });
}

}  // namespace provision::cli
