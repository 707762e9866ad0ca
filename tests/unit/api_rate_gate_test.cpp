// RateGate: additive increase, multiplicative decrease of the requests allowed in flight, and
// the shared pause after a 429.

#include "api/rate_gate.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using provision::api::detail::RateGate;
using namespace std::chrono_literals;

TEST_CASE("a 429 halves the requests allowed in flight, each success adds one back", "[api]") {
    RateGate gate(8);
    CHECK(gate.limit() == 8);
    gate.enter();
    gate.leave(true, 0ms);
    CHECK(gate.limit() == 4);
    for (int expected : {2, 1, 1}) {
        gate.enter();
        gate.leave(true, 0ms);
        CHECK(gate.limit() == expected);
    }
    for (int expected : {2, 3, 4, 5, 6, 7, 8, 8}) {
        gate.enter();
        gate.leave(false, 0ms);
        CHECK(gate.limit() == expected);
    }
}

TEST_CASE(
    "a 429 pauses the class until its Retry-After has passed, and a later pause never shortens it",
    "[api]") {
    RateGate gate(4);
    CHECK(gate.paused_until() <= RateGate::Clock::now());
    gate.enter();
    gate.leave(true, 10s);
    const auto until = gate.paused_until();
    CHECK(until > RateGate::Clock::now() + 9s);
    gate.enter();
    gate.leave(true, 1s);
    CHECK(gate.paused_until() == until);
}

TEST_CASE("no more than limit() requests are in flight at once", "[api]") {
    RateGate gate(2);
    std::atomic<int> in_flight{0};
    std::atomic<int> most{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) {
        threads.emplace_back([&] {
            gate.enter();
            const int now = ++in_flight;
            int seen = most.load();
            while (now > seen && !most.compare_exchange_weak(seen, now)) {
            }
            std::this_thread::sleep_for(20ms);
            --in_flight;
            gate.leave(false, 0ms);
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    CHECK(most.load() <= 2);
    CHECK(most.load() >= 1);
}
