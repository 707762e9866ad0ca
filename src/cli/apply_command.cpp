#include "cli/commands.hpp"
#include "cli/session.hpp"

#include "provision/output/output.hpp"
#include "provision/plan/render.hpp"

#include <nlohmann/json.hpp>

#include <iostream>

namespace provision::cli {

namespace {

struct ApplyCommandOptions {
    std::string manifest;
    bool prune = false;
    bool allow_duplicate = false;
    bool override_protect = false;
    std::vector<std::string> targets;
};

int exit_code_for(apply::Outcome outcome) {
    switch (outcome) {
    case apply::Outcome::success: return k_exit_ok;
    case apply::Outcome::blocked: return k_exit_blocked;
    case apply::Outcome::partial_failure: return k_exit_partial;
    case apply::Outcome::unknown_outcome: return k_exit_unknown_outcome;
    case apply::Outcome::not_persisted: return k_exit_not_persisted;
    }
    return k_exit_error;
}

/// Preflight: every output must accept an atomic write before the first create.
bool outputs_writable(const manifest::Manifest& manifest) {
    bool ok = true;
    for (const auto& spec : manifest.outputs) {
        if (auto checked = output::check_output_writable(spec); !checked.ok()) {
            std::cerr << "error: output " << spec.path_as_written << ": " << checked.error().message << '\n';
            ok = false;
        }
    }
    return ok;
}

void print_report(const apply::ApplyReport& report, const GlobalOptions& global,
                  const plan::Plan& plan) {
    if (global.output == "json") {
        nlohmann::json out = {
            {"formatVersion", 1},
            {"plan", plan::render_json(plan)},
            {"result",
             {{"created", report.created},
              {"updated", report.updated},
              {"replaced", report.replaced},
              {"deleted", report.deleted},
              {"forgotten", report.forgotten},
              {"unchanged", report.unchanged},
              {"failed", report.failed},
              {"blocked", report.blocked},
              {"outputsWritten", report.outputs_written},
              {"messages", report.messages}}}};
        std::cout << out.dump(2) << '\n';
        return;
    }
    std::cout << "\nApply complete: " << report.created << " created, " << report.updated
              << " updated, " << report.replaced << " replaced, " << report.deleted
              << " deleted, " << report.unchanged << " unchanged";
    if (report.failed > 0) {
        std::cout << ", " << report.failed << " failed";
    }
    if (report.blocked > 0) {
        std::cout << ", " << report.blocked << " blocked";
    }
    std::cout << ".\n";
    for (const auto& message : report.messages) {
        std::cout << "  " << message << '\n';
    }
}

}  // namespace

void add_apply_command(CLI::App& root, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<ApplyCommandOptions>();
    CLI::App* cmd = root.add_subcommand("apply", "Make the portal's API keys match the manifest");
    cmd->add_option("manifest", options->manifest, "the manifest file")->required();
    cmd->add_flag("--prune", options->prune, "delete managed keys whose entries left the manifest");
    cmd->add_flag("--allow-duplicate", options->allow_duplicate,
                  "create keys even when an untracked key of the same name exists");
    cmd->add_flag("--override-protect", options->override_protect,
                  "allow replacing or deleting entries marked protect: true");
    cmd->add_option("--target", options->targets, "limit the run to this entry (repeatable)");
    cmd->add_option("--lock-timeout", global.lock_timeout,
                    "seconds to wait for another run's lock (default: fail at once)");
    cmd->add_option("--output", global.output, "text or json")->check(CLI::IsMember({"text", "json"}));
    add_network_options(*cmd, global);
    cmd->footer("Examples:\n"
                "  DOCSPACE_TOKEN=... provision apply manifests/bots.yaml\n"
                "  provision apply manifests/bots.yaml --token-file ~/.config/docspace-token --prune");
    cmd->callback([options, &global, &exit_code] {
        SessionOptions session_options;
        session_options.take_lock = true;
        session_options.plan.prune = options->prune;
        session_options.plan.allow_duplicate = options->allow_duplicate;
        session_options.plan.override_protect = options->override_protect;
        session_options.plan.targets = {options->targets.begin(), options->targets.end()};
        auto opened = open_session(options->manifest, global, session_options);
        if (auto* code = std::get_if<int>(&opened)) {
            exit_code = *code;
            return;
        }
        Session& session = std::get<Session>(opened);
        if (global.output != "json") {
            print_plan(session.plan, global);
        }
        if (!session.plan.has_changes() && !session.plan.has_blocked()) {
            if (global.output == "json") {
                print_report(apply::ApplyReport{}, global, session.plan);
            }
            exit_code = k_exit_ok;
            return;
        }
        if (!outputs_writable(session.manifest)) {
            exit_code = k_exit_invalid;
            return;
        }
        const auto report = apply::apply_plan(session.manifest, session.plan, session.world, *session.api);
        print_report(report, global, session.plan);
        exit_code = exit_code_for(report.outcome);
    });
}

}  // namespace provision::cli
