#include "rate_limiter.hpp"

#include <algorithm>

namespace emulator {

RateLimiter::RateLimiter(int limit, double window_seconds)
    : m_limit(limit),
      m_window(static_cast<Ticks>(window_seconds * static_cast<double>(k_ticks_per_second))) {}

RateDecision RateLimiter::acquire(const std::string& partition, Ticks now) {
    const std::lock_guard lock(m_mutex);
    auto& window = m_windows[partition];
    while (!window.empty() && window.front() + m_window <= now) {
        window.pop_front();
    }
    RateDecision decision;
    decision.limit = m_limit;
    if (static_cast<int>(window.size()) >= m_limit) {
        decision.allowed = false;
        decision.remaining = 0;
        const Ticks wait = window.front() + m_window - now;
        const Ticks seconds = (wait + k_ticks_per_second - 1) / k_ticks_per_second;
        decision.retry_after_seconds = static_cast<int>(std::max<Ticks>(1, seconds));
        return decision;
    }
    window.push_back(now);
    decision.remaining = m_limit - static_cast<int>(window.size());
    return decision;
}

void RateLimiter::clear() {
    const std::lock_guard lock(m_mutex);
    m_windows.clear();
}

}  // namespace emulator
