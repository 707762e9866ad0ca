#include "api/rate_gate.hpp"

#include <algorithm>

namespace provision::api::detail {

RateGate::RateGate(int ceiling) : m_ceiling(std::max(1, ceiling)), m_limit(m_ceiling) {}

void RateGate::enter() {
    std::unique_lock lock(m_mutex);
    m_slot_freed.wait(lock, [this] { return m_in_flight < m_limit; });
    ++m_in_flight;
}

void RateGate::leave(bool rate_limited, std::chrono::milliseconds pause) {
    {
        const std::lock_guard lock(m_mutex);
        --m_in_flight;
        if (rate_limited) {
            m_limit = std::max(1, m_limit / 2);
            m_paused_until = std::max(m_paused_until, Clock::now() + pause);
        } else {
            m_limit = std::min(m_ceiling, m_limit + 1);
        }
    }
    m_slot_freed.notify_all();
}

RateGate::Clock::time_point RateGate::paused_until() const {
    const std::lock_guard lock(m_mutex);
    return m_paused_until;
}

int RateGate::limit() const {
    const std::lock_guard lock(m_mutex);
    return m_limit;
}

}  // namespace provision::api::detail
