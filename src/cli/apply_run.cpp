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

nlohmann::json report_json(const apply::ApplyReport& report) {
    return {{"created", report.created},
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
            {"messages", report.messages}};
}

std::string report_line(const apply::ApplyReport& report, const std::string& verb) {
    std::string line = verb + " complete: " + std::to_string(report.created) + " created, " +
                       std::to_string(report.updated) + " updated, " +
                       std::to_string(report.replaced) + " replaced, " +
                       std::to_string(report.deleted) + " deleted, " +
                       std::to_string(report.unchanged) + " unchanged";
    const auto add = [&](int count, const char* what) {
        if (count > 0) {
            line += ", " + std::to_string(count) + " " + what;
        }
    };
    add(report.adopted, "adopted");
    add(report.imported, "imported");
    add(report.failed, "failed");
    add(report.blocked, "blocked");
    return line + ".\n";
}

std::string report_text(const apply::ApplyReport& report, const std::string& verb) {
    std::string text = "\n" + report_line(report, verb);
    for (const auto& message : report.messages) {
        text += "  " + message + '\n';
    }
    return text;
}

std::string report_document(const apply::ApplyReport& report, const plan::Plan& plan) {
    const nlohmann::json out = {{"formatVersion", plan::k_json_format_version},
                                {"plan", nlohmann::json::parse(plan::render_json(plan))},
                                {"result", report_json(report)}};
    return out.dump(2);
}

void print_report(const apply::ApplyReport& report, const GlobalOptions& global,
                  const plan::Plan& plan, const std::string& verb) {
    if (global.output == "json") {
        print_json(report_document(report, plan));
        return;
    }
    std::cout << report_text(report, verb);
}

namespace {

/// Keys this plan deletes, revokes or replaces: what a person at a terminal confirms first.
std::size_t destructive(const plan::Plan& plan) {
    return plan.count(plan::ActionKind::remove) + plan.count(plan::ActionKind::retire) +
           plan.count(plan::ActionKind::replace) + plan.count(plan::ActionKind::settle);
}

/// Whether the run may delete, revoke or replace `count` keys (asked on a terminal).
bool approved(std::size_t count, const GlobalOptions& global) {
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
    if (!approved(destructive(session.plan), global)) {
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

namespace {

/// The sum of the runs' reports, for the totals.
apply::ApplyReport total_of(const std::vector<apply::ApplyReport>& reports) {
    apply::ApplyReport total;
    for (const auto& r : reports) {
        total.created += r.created;
        total.updated += r.updated;
        total.replaced += r.replaced;
        total.deleted += r.deleted;
        total.forgotten += r.forgotten;
        total.unchanged += r.unchanged;
        total.failed += r.failed;
        total.blocked += r.blocked;
        total.adopted += r.adopted;
        total.imported += r.imported;
        total.outputs_written = total.outputs_written || r.outputs_written;
    }
    return total;
}

/// Carries out one manifest's plan (it has something to do): its report; its exit code in
/// the run.
apply::ApplyReport execute_run(ManifestRun& run, const GlobalOptions& global) {
    Session& session = *run.session;
    if (const auto refusals = apply::output_refusals(session.manifest, true); !refusals.empty()) {
        for (const auto& message : refusals) {
            fail_run(run, core::Errc::invalid_input, message);
        }
        return {};
    }
    if (global.output != "json") {
        std::cout << section_header(run.file) << std::flush;
    }
    auto report = execute_plan(session, global);
    if (global.output != "json") {
        std::cout << report_line(report, "Apply");
        for (const auto& message : report.messages) {
            std::cout << "  " << message << '\n';
        }
        std::cout << '\n';
    }
    run.exit_code = exit_code_of(report);  // its report's messages say why
    return report;
}

/// Ends a manifest's part of a run of several: its journal closed, then its lock released, so
/// that another run waiting for that manifest goes on while this one carries out the others.
/// Its plan stays for the report.
void release(ManifestRun& run) {
    if (run.session) {
        run.session->journal.reset();
        run.session->lock.reset();
    }
}

}  // namespace

int execute_several(std::vector<ManifestRun>& runs, const GlobalOptions& global) {
    const auto pending = [](const ManifestRun& run) {
        return run.session && (run.session->plan.has_changes() || run.session->plan.has_blocked());
    };
    if (global.output != "json") {
        print_plan_sections(runs, global, "not applied");
    }
    std::size_t destroys = 0;
    for (const auto& run : runs) {
        destroys += run.session ? destructive(run.session->plan) : 0;
    }
    if (!approved(destroys, global)) {
        std::cerr << "apply cancelled; nothing was changed\n";
        return exit_code_for(core::Errc::cancelled);
    }
    for (auto& run : runs) {
        if (!pending(run)) {
            release(run);  // nothing to do: a run waiting for it need not wait for the others
        }
    }
    std::vector<apply::ApplyReport> reports(runs.size());
    for (std::size_t i = 0; i < runs.size(); ++i) {
        auto& run = runs[i];
        if (!pending(run)) {
            continue;
        }
        if (core::stop_requested()) {
            fail_run(run, core::Errc::cancelled,
                     run.file + ": not applied: the run was interrupted");
        } else {
            reports[i] = execute_run(run, global);
        }
        release(run);
    }
    const int exit_code = combined_exit_code(runs);
    const auto total = total_of(reports);
    if (global.output == "json") {
        nlohmann::json manifests = nlohmann::json::array();
        std::size_t failed = 0;
        for (std::size_t i = 0; i < runs.size(); ++i) {
            auto section = run_json(runs[i]);
            if (runs[i].session) {
                section["plan"] = nlohmann::json::parse(plan::render_json(runs[i].session->plan));
                section["result"] = report_json(reports[i]);
            }
            failed += runs[i].exit_code != k_exit_ok ? 1U : 0U;
            manifests.push_back(std::move(section));
        }
        auto totals = report_json(total);
        totals.erase("messages");
        totals["manifests"] = runs.size();
        totals["manifestsFailed"] = failed;
        print_json(nlohmann::json{{"formatVersion", plan::k_json_format_version},
                                  {"manifests", manifests},
                                  {"totals", totals},
                                  {"exitCode", exit_code}}
                       .dump(2));
        return exit_code;
    }
    std::size_t failed = 0;
    std::string names;
    for (const auto& run : runs) {
        if (run.exit_code != k_exit_ok) {
            ++failed;
            names += (names.empty() ? "" : ", ") + run.file + " (exit " +
                     std::to_string(run.exit_code) + ")";
        }
    }
    std::cout << section_header("totals") << runs.size() << " manifests, " << failed
              << " not applied cleanly" << (names.empty() ? "" : ": " + names) << ".\n"
              << report_line(total, "Apply");
    return exit_code;
}

}  // namespace provision::cli
