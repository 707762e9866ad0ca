#include "cli/apply_run.hpp"

#include "provision/core/interrupt.hpp"
#include "provision/output/output.hpp"
#include "provision/plan/render.hpp"

#include <nlohmann/json.hpp>

#include <csignal>
#include <iostream>

namespace provision::cli {

namespace {

/// Preflight: every output must accept an atomic write before the first create.
bool outputs_writable(const manifest::Manifest& manifest) {
    bool ok = true;
    for (const auto& spec : manifest.outputs) {
        if (auto checked = output::check_output_writable(spec); !checked.ok()) {
            std::cerr << "error: output " << spec.path_as_written << ": "
                      << checked.error().message << '\n';
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
              {"adopted", report.adopted},
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
    if (report.adopted > 0) {
        std::cout << ", " << report.adopted << " adopted";
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

}  // namespace

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
    if (!outputs_writable(session.manifest)) {
        return k_exit_invalid;
    }
    apply::ApplyOptions apply_options;
    apply_options.journal = session.journal ? &*session.journal : nullptr;
    apply_options.concurrency = global.concurrency;
    const auto report = apply::apply_plan(session.manifest, session.plan, session.world,
                                          *session.api, apply_options);
    if (session.journal) {
        [[maybe_unused]] auto compacted = session.journal->compact();
    }
    print_report(report, global, session.plan);
    if (report.interrupted && report.outcome == apply::Outcome::success) {
        return core::interrupt_signal() == SIGTERM ? k_exit_sigterm : k_exit_sigint;
    }
    return exit_code_for(report.outcome);
}

}  // namespace provision::cli
