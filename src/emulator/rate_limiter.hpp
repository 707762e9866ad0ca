#pragma once
/// The `sensitive_api` limiter of POST /api/2.0/keys: a sliding window per user.
///
/// Each admitted request leaves a timestamp in its user's window; a request is admitted while
/// fewer than `limit` timestamps are younger than the window. A rejected request leaves nothing,
/// so it does not extend the wait. Retry-After is the time until the oldest timestamp leaves
/// the window, rounded up to whole seconds and at least 1, as RedisRateLimiting computes it.

#include "clock.hpp"

#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace emulator {

struct RateDecision {
    bool allowed = true;
    int limit = 0;
    int remaining = 0;
    int retry_after_seconds = 0;  ///< set when rejected
};

class RateLimiter {
public:
    RateLimiter(int limit, double window_seconds);

    /// Admits (and records) or rejects one request of `partition` at `now`.
    RateDecision acquire(const std::string& partition, Ticks now);
    /// Forgets every recorded request.
    void clear();
    int limit() const { return m_limit; }

private:
    std::mutex m_mutex;
    int m_limit;
    Ticks m_window;
    std::map<std::string, std::deque<Ticks>> m_windows;
};

}  // namespace emulator
