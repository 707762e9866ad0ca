#pragma once
/// Shared pieces of the benchmarks: statistics over samples, a wall clock, a timed run of a
/// child process, and a manifest of N keys. Child processes, temporary directories and the
/// docspace-emulator child (127.0.0.1, OS-chosen port, test controls) are the tests' own
/// helpers from tests/support (library process_support, which has no Catch2), so the
/// benchmarks start and stop them exactly as the tests do.

#include "emulator_fixture.hpp"
#include "process.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using test_support::Emulator;
using test_support::TempDir;

/// Seconds elapsed since `start`.
inline double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The value at quantile q (0..1) of `samples` by nearest rank; 0 for no samples.
inline double quantile(std::vector<double> samples, double q) {
    if (samples.empty()) {
        return 0.0;
    }
    std::sort(samples.begin(), samples.end());
    const double rank = q * static_cast<double>(samples.size() - 1);
    return samples[static_cast<std::size_t>(rank + 0.5)];
}

inline double median(std::vector<double> samples) {
    return quantile(std::move(samples), 0.5);
}

struct Timed {
    int exit_code = -1;
    double seconds = 0.0;
    std::string output;  ///< stdout and stderr, one after the other
};

/// Runs argv to completion with `env` added to the environment and measures its wall time
/// (fork to reap).
inline Timed run_timed(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env) {
    test_support::RunOptions options;
    options.env = env;
    options.timeout = std::chrono::minutes(10);
    const auto start = Clock::now();
    const auto result = test_support::run_process(argv, options);
    return {result.exit_code, seconds_since(start), result.out + result.err};
}

/// A manifest of `count` keys named `prefix` plus a two-digit 1-based index ("Bench Key 01"..),
/// each [files:read] for 30 days, with one dotenv output.
inline std::string keys_manifest(int count, const std::string& prefix) {
    std::string text = "version: 1\n"
                       "portal:\n"
                       "  url: ${DOCSPACE_URL}\n"
                       "  token: ${DOCSPACE_TOKEN}\n"
                       "outputs:\n"
                       "  - path: ../secrets/bench.env\n"
                       "    format: dotenv\n"
                       "keys:\n";
    for (int i = 1; i <= count; ++i) {
        const std::string index = (i < 10 ? "0" : "") + std::to_string(i);
        text += "  - name: " + prefix + " " + index + "\n" +
                "    permissions: [files:read]\n"
                "    expiresInDays: 30\n";
    }
    return text;
}

/// Adds `latency_ms` to every API request of `emu` (not to the control routes).
inline void add_latency(const Emulator& emu, int latency_ms) {
    emu.add_fault({{"method", "*"},
                   {"path", "/api/2.0/*"},
                   {"action", "latency"},
                   {"latencyMs", latency_ms},
                   {"times", 0}});
}

/// Keys on the portal, and how many distinct names they carry.
inline std::pair<std::size_t, std::size_t> key_counts(const Emulator& emu) {
    const auto keys = emu.state().at("keys");
    std::vector<std::string> names;
    for (const auto& k : keys) {
        names.push_back(k.at("name").get<std::string>());
    }
    std::sort(names.begin(), names.end());
    const auto distinct =
        static_cast<std::size_t>(std::unique(names.begin(), names.end()) - names.begin());
    return {keys.size(), distinct};
}

}  // namespace bench
