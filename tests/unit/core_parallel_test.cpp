// core::for_each_index: every index once, bounded threads, exceptions rethrown.

#include "provision/core/parallel.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

using provision::core::for_each_index;

TEST_CASE("for_each_index visits every index exactly once with at most `concurrency` at a time",
          "[core]") {
    for (const int concurrency : {1, 3, 16}) {
        std::mutex mutex;
        std::multiset<std::size_t> seen;
        std::atomic<int> in_flight{0};
        std::atomic<int> most{0};
        for_each_index(20, concurrency, [&](std::size_t i) {
            const int now = ++in_flight;
            int prior = most.load();
            while (now > prior && !most.compare_exchange_weak(prior, now)) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            --in_flight;
            const std::lock_guard lock(mutex);
            seen.insert(i);
        });
        CHECK(seen.size() == 20);
        for (std::size_t i = 0; i < 20; ++i) {
            CHECK(seen.count(i) == 1);
        }
        CHECK(most.load() <= concurrency);
        if (concurrency == 1) {
            CHECK(most.load() == 1);
        }
    }
}

TEST_CASE("for_each_index rethrows a body's exception after every thread has stopped", "[core]") {
    std::atomic<int> ran{0};
    CHECK_THROWS_AS(for_each_index(100, 4,
                                   [&](std::size_t i) {
                                       ++ran;
                                       if (i == 3) {
                                           throw std::runtime_error("boom");
                                       }
                                       std::this_thread::sleep_for(std::chrono::milliseconds(1));
                                   }),
                    std::runtime_error);
    CHECK(ran.load() < 100);
}
