// `provision plan FILE...`: previews what apply would change (apply::prepare without the lock),
// optionally saving it for `provision apply PLANFILE`. Several manifests (or a directory) give
// one report: a section per manifest, then the totals (manifest_set.hpp).

#include "cli/commands.hpp"
#include "cli/manifest_set.hpp"
#include "cli/saved_plan.hpp"
#include "cli/session.hpp"
#include "provision/apply/preflight.hpp"
#include "provision/plan/render.hpp"

#include <algorithm>
#include <iostream>

namespace provision::cli {

namespace {
struct PlanCommandOptions {
    std::vector<std::string> manifests;
    bool detailed_exitcode = false;
    bool prune = false;
    bool allow_duplicate = false;
    bool override_protect = false;
    bool adopt = false;
    bool destroy = false;
    std::string out;
    std::vector<std::string> targets;
};
/// The text of the totals: the summary of every manifest's actions together.
std::string totals_text(const plan::Plan& all) {
    return all.has_changes() || all.has_blocked() ? plan::render_summary(all)
                                                  : "No changes in any manifest.";
}

/// `plan A B ...` or `plan DIR`: a section per manifest (its plan, or why there is none), then
/// the totals, as text, Markdown or one JSON document.
int plan_several(const PlanCommandOptions& options, const apply::PrepareOptions& prepare_options,
                 const GlobalOptions& global) {
    const auto failed = [&](int code) {
        return plan_failure_code(code, options.detailed_exitcode);
    };
    auto opened = open_sessions(options.manifests, global, prepare_options);
    if (auto* code = std::get_if<int>(&opened)) {
        return failed(*code);
    }
    auto& runs = std::get<std::vector<ManifestRun>>(opened);
    plan::Plan all;
    for (auto& run : runs) {
        if (run.session) {
            const auto refusals = apply::output_refusals(run.session->manifest, false);
            for (const auto& message : refusals) {
                fail_run(run, core::Errc::invalid_input, message);
            }
            if (!refusals.empty()) {
                run.session.reset();
            }
        }
        if (run.session) {
            const auto& actions = run.session->plan.actions;
            all.actions.insert(all.actions.end(), actions.begin(), actions.end());
            run.exit_code = plan_exit_code(run.session->plan, options.detailed_exitcode);
        } else {
            run.exit_code = failed(run.exit_code);
        }
    }
    const int exit_code = combined_exit_code(runs);
    const auto planned = static_cast<std::size_t>(std::count_if(
        runs.begin(), runs.end(), [](const ManifestRun& run) { return run.session.has_value(); }));
    if (global.output == "json") {
        nlohmann::json manifests = nlohmann::json::array();
        for (const auto& run : runs) {
            auto section = run_json(run);
            if (run.session) {
                section["plan"] = nlohmann::json::parse(plan::render_json(run.session->plan));
            }
            manifests.push_back(std::move(section));
        }
        const auto totals = nlohmann::json::parse(plan::render_json(all));
        print_json(nlohmann::json{{"formatVersion", plan::k_json_format_version},
                                  {"manifests", manifests},
                                  {"totals",
                                   {{"manifests", runs.size()},
                                    {"planned", planned},
                                    {"failed", runs.size() - planned},
                                    {"changes", totals.at("changes")},
                                    {"blocked", totals.at("blocked")},
                                    {"summary", totals.at("summary")}}},
                                  {"exitCode", exit_code}}
                       .dump(2));
        return exit_code;
    }
    if (global.output == "markdown") {
        for (const auto& run : runs) {
            std::cout << "### " << run.file << "\n\n"
                      << (run.session ? plan::render_markdown(run.session->plan)
                                      : failure_text(run, "Not planned"))
                      << '\n';
        }
    } else {
        print_plan_sections(runs, global, "not planned");
    }
    std::cout << (global.output == "markdown" ? "### Totals\n\n" : section_header("totals"))
              << runs.size() << " manifests, " << planned << " planned, " << runs.size() - planned
              << " not planned. " << totals_text(all) << '\n';
    return exit_code;
}

}  // namespace

void add_plan_command(CLI::App& root, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<PlanCommandOptions>();
    CLI::App* cmd = root.add_subcommand("plan", "Show what apply would change, entry by entry");
    cmd->add_option("manifest", options->manifests,
                    "the manifest file; several files, or a directory of manifests, give one "
                    "combined report")
        ->required();
    cmd->add_flag("--detailed-exitcode", options->detailed_exitcode,
                  "exit 0 when there are no changes, 2 when there are, 1 on error");
    cmd->add_flag("--prune", options->prune, "plan to delete keys whose entries left the manifest");
    cmd->add_flag("--allow-duplicate", options->allow_duplicate,
                  "plan to create keys even when an untracked key of the same name exists");
    cmd->add_flag("--override-protect", options->override_protect,
                  "plan to replace or delete entries marked protect: true");
    cmd->add_flag("--adopt", options->adopt,
                  "plan to bind the one untracked key of an entry's name when the state lacks it");
    cmd->add_flag("--destroy", options->destroy,
                  "preview `provision destroy`: the deletion of every managed key");
    cmd->add_option("--out", options->out, "save the plan (no secrets) for `provision apply FILE`");
    cmd->add_option("--target", options->targets, "limit the plan to this entry (repeatable)");
    cmd->add_option("--output", global.output,
                    "text, json or markdown (a pull-request comment: no secrets, unchanged "
                    "entries folded)")
        ->check(CLI::IsMember({"text", "json", "markdown"}));
    add_plan_display_options(*cmd, global);
    add_network_options(*cmd, global);
    add_state_options(*cmd, global);
    cmd->footer("Examples:\n"
                "  DOCSPACE_TOKEN=... provision plan manifests/bots.yaml\n"
                "  provision plan manifests/bots.yaml --detailed-exitcode --output json\n"
                "  provision plan manifests/   (every manifest in the directory)");
    cmd->callback([options, &global, &exit_code] {
        apply::PrepareOptions prepare_options;
        prepare_options.plan.prune = options->prune;
        prepare_options.plan.allow_duplicate = options->allow_duplicate;
        prepare_options.plan.override_protect = options->override_protect;
        prepare_options.plan.adopt = options->adopt;
        prepare_options.plan.destroy = options->destroy;
        prepare_options.plan.targets = {options->targets.begin(), options->targets.end()};
        const auto failed = [&](int code) {
            return plan_failure_code(code, options->detailed_exitcode);
        };
        if (options->destroy && !options->out.empty()) {
            exit_code = failed(report_error(core::Errc::invalid_input,
                                            "a destroy plan cannot be saved: review it with "
                                            "`plan --destroy`, then run `provision destroy`"));
            return;
        }
        if (several_manifests(options->manifests)) {
            if (!options->out.empty()) {
                exit_code = failed(report_error(
                    core::Errc::invalid_input,
                    "--out saves the plan of one manifest, and a saved plan is applied on its "
                    "own: plan each manifest with its own --out"));
                return;
            }
            exit_code = plan_several(*options, prepare_options, global);
            return;
        }
        auto opened = open_session(options->manifests.front(), global, prepare_options);
        if (auto* code = std::get_if<int>(&opened)) {
            exit_code = failed(*code);
            return;
        }
        const Session& session = std::get<Session>(opened);
        if (const auto refusals = apply::output_refusals(session.manifest, false);
            !refusals.empty()) {
            for (const auto& message : refusals) {
                exit_code = failed(report_error(core::Errc::invalid_input, message));
            }
            return;
        }
        print_plan(session.plan, global);
        if (!options->out.empty() && session.plan.count(plan::ActionKind::settle) > 0) {
            // Apply settles these before it plans, so the plan it would compare with a saved
            // one can never match: say so now rather than at apply time.
            exit_code = failed(report_error(
                core::Errc::invalid_input,
                "an interrupted run left creates to settle (the settle actions above), so this "
                "plan cannot be saved: run `provision apply --target ENTRY` for one of their "
                "entries (it settles every interrupted create first, then applies only that "
                "entry), then plan --out again"));
            return;
        }
        if (!options->out.empty()) {
            if (auto saved = write_saved_plan(options->out, session, prepare_options.plan);
                !saved.ok()) {
                exit_code = failed(report_error(saved.error()));
                return;
            }
            if (global.output == "text") {
                std::cout << "Saved the plan to " << options->out << "; run `provision apply "
                          << options->out << "` to execute it.\n";
            }
        }
        exit_code = plan_exit_code(session.plan, options->detailed_exitcode);
    });
}

}  // namespace provision::cli
