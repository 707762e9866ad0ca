#include "cli/session.hpp"

#include "provision/apply/leftovers.hpp"
#include "provision/apply/reconcile.hpp"
#include "provision/apply/sealed_outputs.hpp"
#include "provision/core/atomic_file.hpp"
#include "provision/plan/render.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

namespace provision::cli {

namespace {

/// The journal's pending intents, read without the lock and without changing the file (plan,
/// status): a read-only command shows what the next apply will settle.
core::Result<std::vector<plan::PendingCreate>> read_pending(const manifest::Manifest& manifest,
                                                            const apply::World& world) {
    auto text = core::read_file_if_exists(apply::journal_path_for(manifest.state_path),
                                          64 * 1024 * 1024);
    if (!text.ok()) {
        return text.error();
    }
    if (!text.value()) {
        return std::vector<plan::PendingCreate>{};
    }
    const auto contents = apply::parse_journal(*text.value());
    return apply::classify_pending(contents.pending, contents.done_ids, world);
}

/// Secrets the outputs hold that neither the state nor reconciliation bound to a key: the
/// outputs are rewritten without them (the plan's write_outputs), which is worth a word.
void warn_superseded(const apply::World& world) {
    for (const auto& [entry, secrets] : world.unverified) {
        if (secrets.empty()) {
            continue;
        }
        const auto* record = world.state.find(entry);
        if (record != nullptr && world.secrets.count(entry) != 0) {
            spdlog::warn("an output holds a secret for '{}' that is not the one of its key "
                         "sk-***{}; the outputs are rewritten with the key's secret",
                         entry, record->postfix);
        } else {
            spdlog::warn("an output holds a secret for '{}' that the state does not bind to a "
                         "key; it is dropped when the outputs are rewritten",
                         entry);
        }
    }
}

}  // namespace

std::variant<Session, int> open_session(const std::string& file, const GlobalOptions& global,
                                        const SessionOptions& options) {
    auto loaded = load_manifest_or_report(file);
    if (!loaded) {
        return k_exit_invalid;
    }
    Session session{std::move(*loaded), nullptr, std::nullopt, std::nullopt, {}, {}, {}};
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
    if (session.journal) {
        session.pending = apply::classify_pending(session.journal->pending(),
                                                  session.journal->done_ids(), session.world);
    } else if (auto pending = read_pending(session.manifest, session.world); pending.ok()) {
        session.pending = std::move(pending.value());
    } else {
        return report_error(pending.error());
    }
    if (session.journal) {
        warn_superseded(session.world);  // after reconciliation had its pick
    }
    const auto view = apply::outputs_view(session.manifest, session.world);
    session.plan = plan::make_plan(plan::PlanInput{session.manifest, session.world.state,
                                                   session.world.observed, view,
                                                   session.world.user.id, core::now_utc(),
                                                   options.plan, session.pending});
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
