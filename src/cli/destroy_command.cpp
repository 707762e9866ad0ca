// `provision destroy FILE`: deletes every key the state manages (current and retiring), then
// the outputs' files and the state, wherever its backend keeps it (StateStore::remove: the
// state file, row or document, with its sealed secrets; a journal still naming creates to
// settle stays). Keys the state does not know are never touched,
// whatever their names. It is a plan like apply's (plan::plan_destroy), previewed, carried out
// by the executor under the lock and journal, with apply's exit codes: entries marked
// protect: true refuse the whole destroy unless --override-protect; on a terminal it asks for
// "yes", otherwise --auto-approve is required. The state is saved after every deletion, so an
// interrupted destroy resumes where it stopped; when a deletion fails the outputs are
// rewritten without the deleted keys and the state keeps the rest.

#include "cli/apply_run.hpp"
#include "cli/command_text.hpp"
#include "cli/commands.hpp"
#include "cli/session.hpp"
#include "provision/apply/state_store.hpp"

#include <filesystem>
#include <iostream>

namespace provision::cli {

namespace {

struct DestroyCommandOptions {
    std::string manifest;
    bool override_protect = false;
};

/// Protected entries refuse the whole destroy: nothing is deleted.
int refuse_blocked(const plan::Plan& plan) {
    int code = k_exit_ok;
    for (const auto& action : plan.actions) {
        if (action.kind == plan::ActionKind::blocked) {
            code = report_error(core::Errc::invalid_input, action.detail);
        }
    }
    return code;
}

/// After every key is gone: the outputs' files, then the state from its backend (still under
/// the run's lock).
core::Status remove_outputs_and_state(const manifest::Manifest& manifest,
                                      apply::StateStore& store) {
    std::error_code ec;
    for (const auto& spec : manifest.outputs) {
        std::filesystem::remove(spec.path, ec);
        if (ec) {
            return core::make_error(core::Errc::io, "could not remove " + spec.path_as_written +
                                                        ": " + ec.message());
        }
    }
    return store.remove();
}

int run_destroy(const DestroyCommandOptions& options, const GlobalOptions& global) {
    apply::PrepareOptions prepare_options;
    prepare_options.take_lock = true;
    prepare_options.plan.destroy = true;
    prepare_options.plan.override_protect = options.override_protect;
    auto opened = open_session(options.manifest, global, prepare_options);
    if (auto* code = std::get_if<int>(&opened)) {
        return *code;
    }
    Session& session = std::get<Session>(opened);
    if (const int refused = refuse_blocked(session.plan); refused != k_exit_ok) {
        return refused;
    }
    if (global.output != "json") {
        print_plan(session.plan, global);
    }
    const std::size_t count =
        session.plan.count(plan::ActionKind::remove) + session.plan.count(plan::ActionKind::retire);
    const std::string keys = std::to_string(count) + " keys";
    if (const int approved = approval(global,
                                      "destroy needs confirmation: not on a terminal, so pass "
                                      "--auto-approve to delete " +
                                          keys,
                                      "Type 'yes' to destroy " + keys + ": ",
                                      "destroy cancelled; nothing was deleted");
        approved != k_exit_ok) {
        return approved;
    }
    // The outputs are removed, not rewritten, unless a deletion fails (below).
    const auto report = execute_plan(session, global, /*leave_outputs=*/true);
    const int code = exit_code_of(report);
    if (code == k_exit_ok) {
        if (auto removed = remove_outputs_and_state(session.manifest, *session.world.store);
            !removed.ok()) {
            return report_error(removed.error());
        }
    } else if (report.outputs_dirty) {
        if (auto written = apply::write_all_outputs(session.manifest, session.world);
            !written.ok()) {
            report_error(written.error());
        }
    }
    print_report(report, global, session.plan, "Destroy");
    if (global.output != "json") {
        std::cout << destroy_outcome_text(code == k_exit_ok, session.world.store->location());
    }
    return code;
}

}  // namespace

void add_destroy_command(CLI::App& root, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<DestroyCommandOptions>();
    CLI::App* cmd =
        root.add_subcommand("destroy", "Delete every managed key, its outputs and the state");
    cmd->add_option("manifest", options->manifest, "the manifest file")->required();
    cmd->add_flag("-y,--auto-approve", global.auto_approve, "do not ask for confirmation (CI)");
    cmd->add_flag("--override-protect", options->override_protect,
                  "also destroy entries marked protect: true");
    cmd->add_option("--lock-timeout", global.lock_timeout,
                    "seconds to wait for another run's lock (default: fail at once)");
    cmd->add_option("--output", global.output, "text or json")
        ->check(CLI::IsMember({"text", "json"}));
    add_plan_display_options(*cmd, global);
    add_network_options(*cmd, global);
    add_state_options(*cmd, global);
    add_execution_options(*cmd, global);
    cmd->footer("Examples:\n"
                "  provision destroy manifests/bots.yaml\n"
                "  provision destroy manifests/bots.yaml --auto-approve");
    cmd->callback([options, &global, &exit_code] { exit_code = run_destroy(*options, global); });
}

}  // namespace provision::cli
