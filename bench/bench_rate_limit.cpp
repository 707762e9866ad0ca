// Rate-limited apply benchmark: how close does an apply come to the fastest schedule the portal's
// create limit allows?
//
// docspace-emulator runs with its create limiter on, L = 5 creates per sliding window of
// W = 3 s (DocSpace's 5 per 15 minutes, with the window shortened so a run takes seconds). A
// manifest of N = 12 keys needs ceil(N / L) = 3 windows, so no client can finish sooner than
// (ceil(N / L) - 1) * W = 6 s after its first create. `provision apply` runs at --concurrency 1
// and 4 from a fresh portal each time; the table gives the median wall time, its ratio to that
// minimum, the POSTs sent (the rejected ones included) and the keys made. Retry-After is whole
// seconds, so a client that obeys it can be late by up to a second per window.

#include "bench_support.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

constexpr int k_keys = 12;
constexpr int k_limit = 5;
constexpr int k_window_s = 3;
constexpr int k_repeats = 2;

struct Row {
    std::vector<double> seconds;
    int posts = 0;
    std::size_t keys = 0;
    int exit_code = 0;
    std::string failure;
};

}  // namespace

int main() {
    const std::string provision = test_support::provision_binary();
    const double minimum = ((k_keys + k_limit - 1) / k_limit - 1) * static_cast<double>(k_window_s);
    std::map<int, Row> rows;
    bench::Emulator emu({"--threads", "16", "--rate-limit", "--rate-limit-count",
                         std::to_string(k_limit), "--rate-limit-window",
                         std::to_string(k_window_s)});
    const std::map<std::string, std::string> env{{"DOCSPACE_URL", emu.url()},
                                                 {"DOCSPACE_TOKEN", emu.owner_token()}};
    for (int rep = 0; rep < k_repeats; ++rep) {
        for (const int concurrency : {1, 4}) {
            bench::TempDir dir;
            const auto manifest = dir.path() / "manifests" / "bench.yaml";
            bench::fs::create_directories(manifest.parent_path());
            std::ofstream(manifest) << bench::keys_manifest(k_keys, "Limited Key");
            emu.reset();
            const auto t = bench::run_timed({provision, "apply", manifest.string(), "--concurrency",
                                             std::to_string(concurrency)},
                                            env);
            Row& row = rows[concurrency];
            row.seconds.push_back(t.seconds);
            row.posts = emu.count_requests("POST", "/api/2.0/keys");
            row.keys = bench::key_counts(emu).first;
            if (t.exit_code != 0) {
                row.exit_code = t.exit_code;
                row.failure = t.output;
            }
        }
    }

    std::printf("## 4. Rate-limited apply: N=%d keys, limit %d creates per %d s sliding window\n\n",
                k_keys, k_limit, k_window_s);
    std::printf("Fastest schedule the limit allows: %.1f s after the first create. Median of %d "
                "runs; POSTs and keys are from the last run.\n\n",
                minimum, k_repeats);
    std::printf("| run | wall time | / minimum | POSTs (429s included) | keys made | exit |\n");
    std::printf("|---|---:|---:|---:|---:|---:|\n");
    for (const auto& [concurrency, row] : rows) {
        const double median = bench::median(row.seconds);
        std::printf("| provision apply --concurrency %d | %.2f s | %.2fx | %d | %zu | %d |\n",
                    concurrency, median, median / minimum, row.posts, row.keys, row.exit_code);
    }
    std::printf("\n");
    for (const auto& [concurrency, row] : rows) {
        if (row.exit_code != 0) {
            std::printf("failed run output (--concurrency %d):\n%s\n", concurrency,
                        row.failure.c_str());
        }
    }
    return 0;
}
