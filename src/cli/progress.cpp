// Progress of a run's actions (progress.hpp): a watcher thread that reports long actions.

#include "cli/progress.hpp"

#include <spdlog/spdlog.h>

namespace provision::cli {

namespace {

const char* verb(plan::ActionKind kind) {
    switch (kind) {
    case plan::ActionKind::create:
        return "creating";
    case plan::ActionKind::replace:
        return "replacing";
    case plan::ActionKind::update:
    case plan::ActionKind::reactivate:
        return "updating";
    case plan::ActionKind::retire:
        return "retiring";
    case plan::ActionKind::remove:
        return "deleting";
    case plan::ActionKind::settle:
        return "settling";
    case plan::ActionKind::import_key:
        return "importing";
    case plan::ActionKind::adopt:
        return "adopting";
    case plan::ActionKind::write_outputs:
        return "writing the outputs of";
    default:
        return "working on";
    }
}

}  // namespace

Progress::Progress(std::size_t total, std::chrono::milliseconds interval)
    : m_interval(interval), m_total(total), m_thread([this] { watch(); }) {}

Progress::~Progress() {
    {
        const std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void Progress::update(const plan::Action& action, bool done) {
    if (action.kind == plan::ActionKind::noop) {
        return;
    }
    const std::lock_guard lock(m_mutex);
    if (done) {
        m_in_flight.erase(&action);
        ++m_done;
    } else {
        m_in_flight[&action] = InFlight{std::chrono::steady_clock::now(), 0};
    }
}

void Progress::watch() {
    std::unique_lock lock(m_mutex);
    const auto tick = std::min<std::chrono::milliseconds>(m_interval, std::chrono::seconds(1));
    while (!m_wake.wait_for(lock, tick, [this] { return m_stopping; })) {
        const auto now = std::chrono::steady_clock::now();
        for (auto& [action, flight] : m_in_flight) {
            const auto elapsed =
                std::chrono::duration_cast<std::chrono::milliseconds>(now - flight.started);
            const long long intervals = elapsed / m_interval;
            if (intervals > flight.reported) {
                flight.reported = intervals;
                spdlog::info(
                    "still {} '{}' ({}s elapsed; {} of {} done)", verb(action->kind),
                    action->entry.empty() ? "outputs" : action->entry,
                    std::chrono::duration_cast<std::chrono::seconds>(intervals * m_interval)
                        .count(),
                    m_done, m_total);
            }
        }
    }
}

}  // namespace provision::cli
