#pragma once
// RateGate: how many requests of one class (creates, or everything else) may be in flight, and
// whether the portal has asked them all to wait.
//
// Threads sending requests of the same class share one gate. A 429 halves the number allowed in
// flight (never below one) and holds every new request of the class until the portal's
// Retry-After (or the backoff chosen for it) has passed; each success allows one more again, up
// to the ceiling. This is additive-increase/multiplicative-decrease, as in TCP: a portal with
// its limiter on soon sees requests one at a time, spaced by its own Retry-After, instead of a
// burst of rejected ones; a portal with it off never slows the run down.

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace provision::api::detail {

class RateGate {
public:
    using Clock = std::chrono::steady_clock;

    explicit RateGate(int ceiling);

    /// Takes a slot, waiting while `limit()` requests are in flight. The caller first waits out
    /// pause_left() itself (it may decide the wait is too long, or be stopped).
    void enter();

    /// Gives the slot back. `rate_limited`: the answer was a 429, and `pause` how long the
    /// portal wants every request of this class to wait.
    void leave(bool rate_limited, std::chrono::milliseconds pause);

    /// When the current pause ends (a past time when there is none).
    Clock::time_point paused_until() const;

    int limit() const;

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_slot_freed;
    const int m_ceiling;
    int m_limit;
    int m_in_flight = 0;
    Clock::time_point m_paused_until{};
};

}  // namespace provision::api::detail
