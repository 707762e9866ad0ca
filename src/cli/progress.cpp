// Progress of a run's actions (progress.hpp): a watcher thread that redraws the terminal's
// status line, or reports long actions every interval where there is none.

#include "cli/progress.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

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

bool is_create(plan::ActionKind kind) {
    return kind == plan::ActionKind::create || kind == plan::ActionKind::replace;
}

std::string name_of(const plan::Action& action) {
    return "'" + (action.entry.empty() ? std::string("outputs") : action.entry) + "'";
}

/// "4s", "3m 5s", "1h 2m": whole seconds, the two largest units.
std::string format_elapsed(std::chrono::steady_clock::duration elapsed) {
    const long long s = std::chrono::duration_cast<std::chrono::seconds>(elapsed).count();
    if (s < 60) {
        return std::to_string(s) + "s";
    }
    if (s < 3600) {
        return std::to_string(s / 60) + "m " + std::to_string(s % 60) + "s";
    }
    return std::to_string(s / 3600) + "h " + std::to_string(s % 3600 / 60) + "m";
}

}  // namespace

Progress::Progress(std::chrono::milliseconds interval) : m_interval(interval) {}

Progress::~Progress() {
    finish();
}

void Progress::start(const plan::Plan& plan) {
    finish();
    const Lock lock(m_mutex);
    m_started = true;
    m_stopping = false;
    m_start = Clock::now();
    m_total = m_done = m_creates = m_created = 0;
    for (const auto& action : plan.actions) {
        if (action.kind != plan::ActionKind::noop) {
            ++m_total;
            m_creates += is_create(action.kind) ? 1U : 0U;
        }
    }
    m_in_flight.clear();
    m_waiting_until.reset();
    m_line = spdlog::default_logger()->should_log(spdlog::level::info) ? terminal_status_line()
                                                                       : nullptr;
    m_thread = std::thread([this] { watch(); });
}

void Progress::finish() {
    {
        const Lock lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();
    }
    const Lock lock(m_mutex);
    if (m_line) {
        m_line->show("");
        m_line.reset();
    }
    m_started = false;
}

void Progress::update(const plan::Action& action, bool done) {
    if (action.kind == plan::ActionKind::noop) {
        return;
    }
    const Lock lock(m_mutex);
    const auto now = Clock::now();
    if (done) {
        m_in_flight.erase(&action);
        ++m_done;
        m_created += is_create(action.kind) ? 1U : 0U;
    } else {
        m_in_flight[&action] = InFlight{now, 0};
    }
    draw(lock, now);
}

void Progress::rate_limit_wait(const api::RateLimitWait& wait) {
    const Lock lock(m_mutex);
    std::string counts;
    if (m_started) {
        counts = wait.create ? fmt::format(", {} of {} created", m_created, m_creates)
                             : fmt::format(", {} of {} done", m_done, m_total);
    }
    spdlog::info("{}{}", api::describe(wait), counts);
    const auto now = Clock::now();
    m_waiting_until = std::max(m_waiting_until.value_or(now), now + wait.length);
    draw(lock, now);
}

void Progress::watch() {
    Lock lock(m_mutex);
    // A live line follows the seconds; the periodic report needs no finer tick than a second.
    const auto tick =
        m_line ? std::chrono::milliseconds(250)
               : std::min<std::chrono::milliseconds>(m_interval, std::chrono::seconds(1));
    while (!m_wake.wait_for(lock, tick, [this] { return m_stopping; })) {
        const auto now = Clock::now();
        if (m_line) {
            draw(lock, now);
        } else {
            report_long_actions(lock, now);
        }
    }
}

void Progress::report_long_actions(const Lock& /*lock*/, Clock::time_point now) {
    for (auto& [action, flight] : m_in_flight) {
        const auto elapsed =
            std::chrono::duration_cast<std::chrono::milliseconds>(now - flight.started);
        const long long intervals = elapsed / m_interval;
        if (intervals > flight.reported) {
            flight.reported = intervals;
            spdlog::info(
                "still {} {} ({}s elapsed; {} of {} done)", verb(action->kind), name_of(*action),
                std::chrono::duration_cast<std::chrono::seconds>(intervals * m_interval).count(),
                m_done, m_total);
        }
    }
}

void Progress::draw(const Lock& /*lock*/, Clock::time_point now) {
    if (!m_line || !m_started || m_stopping) {
        return;
    }
    std::string text =
        fmt::format("{} of {} done, {} elapsed", m_done, m_total, format_elapsed(now - m_start));
    std::string separator = ": ";
    if (m_waiting_until && *m_waiting_until > now) {
        const auto left = std::chrono::ceil<std::chrono::seconds>(*m_waiting_until - now);
        text += separator + "waiting " + std::to_string(left.count()) + " s for the rate limit";
        separator = "; ";
    }
    // In the plan's order (the actions are the plan's, so their addresses follow it).
    for (const auto& [action, flight] : m_in_flight) {
        text += separator + verb(action->kind) + " " + name_of(*action) + " (" +
                format_elapsed(now - flight.started) + ")";
        separator = ", ";
    }
    m_line->show(text);
}

}  // namespace provision::cli
