// Carrying out a prepared session (apply_run.hpp): the outputs preflight, the executor, the
// report and the exit code, shared by apply, rotate, destroy, import and saved plans.

#include "cli/apply_run.hpp"

#include "provision/apply/preflight.hpp"
#include "provision/core/interrupt.hpp"
#include "provision/plan/render.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <iostream>

namespace provision::cli {

void print_report(const apply::ApplyReport& report, const GlobalOptions& global,
                  const plan::Plan& plan, const std::string& verb) {
    if (global.output == "json") {
        nlohmann::json out = {{"formatVersion", plan::k_json_format_version},
                              {"plan", nlohmann::json::parse(plan::render_json(plan))},
                              {"result",
                               {{"created", report.created},
                                {"updated", report.updated},
                                {"replaced", report.replaced},
                                {"deleted", report.deleted},
                                {"forgotten", report.forgotten},
                                {"adopted", report.adopted},
                                {"imported", report.imported},
                                {"unchanged", report.unchanged},
                                {"failed", report.failed},
                                {"blocked", report.blocked},
                                {"outputsWritten", report.outputs_written},
                                {"messages", report.messages}}}};
        print_json(out.dump(2));
        return;
    }
    std::cout << "\n"
              << verb << " complete: " << report.created << " created, " << report.updated
              << " updated, " << report.replaced << " replaced, " << report.deleted << " deleted, "
              << report.unchanged << " unchanged";
    if (report.adopted > 0) {
        std::cout << ", " << report.adopted << " adopted";
    }
    if (report.imported > 0) {
        std::cout << ", " << report.imported << " imported";
    }
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

namespace {

/// Keys this plan deletes, revokes or replaces: what a person at a terminal confirms first.
std::size_t destructive(const plan::Plan& plan) {
    return plan.count(plan::ActionKind::remove) + plan.count(plan::ActionKind::retire) +
           plan.count(plan::ActionKind::replace) + plan.count(plan::ActionKind::settle);
}

bool approved(const plan::Plan& plan, const GlobalOptions& global) {
    const std::size_t count = destructive(plan);
    if (count == 0 || global.auto_approve || ::isatty(0) == 0 || global.output == "json") {
        return true;
    }
    return confirmed("\nThis deletes, revokes or replaces " + std::to_string(count) +
                     " key(s). Type 'yes' to go on: ");
}

}  // namespace

apply::ApplyReport execute_plan(Session& session, const GlobalOptions& global, bool leave_outputs) {
    apply::ApplyOptions apply_options;
    apply_options.journal = session.journal ? &*session.journal : nullptr;
    apply_options.concurrency = global.concurrency;
    apply_options.leave_outputs = leave_outputs;
    Progress& progress = *session.progress;
    apply_options.progress = [&progress](const plan::Action& action, bool done) {
        progress.update(action, done);
    };
    progress.start(session.plan);
    auto report = apply::apply_plan(session.manifest, session.plan, session.world, *session.api,
                                    apply_options);
    progress.finish();
    if (session.journal) {
        [[maybe_unused]] auto compacted = session.journal->compact();
    }
    return report;
}

int exit_code_of(const apply::ApplyReport& report) {
    if (const auto failure = failure_of(report.outcome)) {
        return exit_code_for(*failure);
    }
    return report.interrupted ? exit_code_for(core::Errc::cancelled) : k_exit_ok;
}

int execute_session(Session& session, const GlobalOptions& global) {
    if (global.output != "json") {
        print_plan(session.plan, global);
    }
    if (!session.plan.has_changes() && !session.plan.has_blocked()) {
        if (global.output == "json") {
            print_report(apply::ApplyReport{}, global, session.plan);
        }
        return k_exit_ok;
    }
    if (!approved(session.plan, global)) {
        std::cerr << "apply cancelled; nothing was changed\n";
        return exit_code_for(core::Errc::cancelled);
    }
    // Every output must accept an atomic write before the first create.
    if (const auto refusals = apply::output_refusals(session.manifest, true); !refusals.empty()) {
        for (const auto& message : refusals) {
            report_error(core::Errc::invalid_input, message);
        }
        return exit_code_for(core::Errc::invalid_input);
    }
    const auto report = execute_plan(session, global);
    print_report(report, global, session.plan);
    return exit_code_of(report);
}

}  // namespace provision::cli
