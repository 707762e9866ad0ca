#include "cli/session.hpp"

#include "provision/apply/leftovers.hpp"
#include "provision/apply/reconcile.hpp"
#include "provision/apply/sealed_outputs.hpp"
#include "provision/plan/render.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

namespace provision::cli {

std::variant<Session, int> open_session(const std::string& file, const GlobalOptions& global,
                                        const SessionOptions& options) {
    auto loaded = load_manifest_or_report(file);
    if (!loaded) {
        return k_exit_invalid;
    }
    Session session{std::move(*loaded), nullptr, std::nullopt, std::nullopt, {}, {}};
    auto client = make_api(session.manifest, global);
    if (!client.ok()) {
        return report_error(client.error());
    }
    session.api = std::move(client.value());
    if (options.take_lock) {
        auto lock = apply::RunLock::acquire(
            apply::lock_path_for(session.manifest.state_path),
            std::chrono::milliseconds(static_cast<long long>(global.lock_timeout * 1000)));
        if (!lock.ok()) {
            return report_error(lock.error());
        }
        session.lock.emplace(std::move(lock.value()));
        auto journal = apply::Journal::open(apply::journal_path_for(session.manifest.state_path));
        if (!journal.ok()) {
            return report_error(journal.error());
        }
        session.journal.emplace(std::move(journal.value()));
        apply::remove_leftovers(*session.lock, apply::owned_files(session.manifest));
    }
    auto world = apply::observe(session.manifest, *session.api);
    if (!world.ok()) {
        return report_error(world.error());
    }
    session.world = std::move(world.value());
    if (session.journal && !session.journal->pending().empty()) {
        // An earlier run was interrupted mid-create: settle it before planning.
        const auto settled = apply::reconcile_pending(session.manifest, session.world,
                                                      *session.api, *session.journal,
                                                      core::now_utc());
        if (settled.unresolved) {
            for (const auto& message : settled.messages) {
                std::cerr << "error: " << message << '\n';
            }
            return k_exit_unknown_outcome;
        }
        auto keys = session.api->list();
        if (!keys.ok()) {
            return report_error(keys.error());
        }
        session.world.observed = std::move(keys.value());
    }
    const auto view = apply::outputs_view(session.manifest, session.world);
    session.plan = plan::make_plan(plan::PlanInput{session.manifest, session.world.state,
                                                   session.world.observed, view,
                                                   session.world.user.id, core::now_utc(),
                                                   options.plan});
    if (options.take_lock) {
        // A run that changes keys must not rewrite encrypted outputs it cannot decrypt.
        const auto refusals =
            apply::sealed_output_refusals(session.manifest, session.plan, session.world);
        for (const auto& message : refusals) {
            std::cerr << "error: " << message << '\n';
        }
        if (!refusals.empty()) {
            return k_exit_invalid;
        }
    }
    return session;
}

void print_plan(const plan::Plan& plan, const GlobalOptions& global) {
    if (global.output == "json") {
        std::cout << plan::render_json(plan).dump(2) << '\n';
    } else {
        std::cout << plan::render_text(plan);
    }
    // The plan must be on the screen before the log lines of the steps that carry it out.
    std::cout.flush();
}

}  // namespace provision::cli
