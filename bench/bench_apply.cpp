// End-to-end apply benchmark over loopback, against docspace-emulator started with
// `--threads 16` and a fault rule adding 20 ms to every API request (a nearby portal).
//
// 2. provision: a manifest of N = 20 keys ("Bench Key 01".., [files:read], 30 days, one dotenv
//    output). `provision apply` creates them, at --concurrency 1, 4 (the default) and 8 in
//    turn, each from a fresh portal; after the default one a second `provision apply` finds
//    nothing to do (its POST count comes from the emulator's request log), then `provision plan`.
// 3. The vendor sample's approach (bench/vendor_baseline.sh: one curl POST per key, sequential)
//    on a fresh emulator with the same latency, run twice: the second run creates N duplicates.
//
// Each scenario is repeated k_repeats times from the emulator's start-up state (POST
// /__emulator/reset) and the median wall time of each step is reported, with the API requests
// and key counts of the last repetition. Wall time includes process start-up.

#include "bench_support.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

constexpr int k_keys = 20;
constexpr int k_latency_ms = 20;
constexpr int k_repeats = 3;

/// One timed step: wall time, exit code, and what the emulator saw during it.
struct Step {
    std::vector<double> seconds;
    int exit_code = 0;
    int requests = 0;
    int posts = 0;
    std::size_t keys_after = 0;
    std::size_t names_after = 0;
    std::string failure;  ///< output of a failed run, for the report
};

void record(Step& step, const bench::Timed& t, const bench::Emulator& emu) {
    step.seconds.push_back(t.seconds);
    if (t.exit_code != 0) {
        step.exit_code = t.exit_code;
        step.failure = t.output;
    }
    step.requests = static_cast<int>(emu.requests().size());
    step.posts = emu.count_requests("POST", "/api/2.0/keys");
    const auto [keys, names] = bench::key_counts(emu);
    step.keys_after = keys;
    step.names_after = names;
    emu.clear_requests();
}

void fresh_start(const bench::Emulator& emu) {
    emu.reset();
    bench::add_latency(emu, k_latency_ms);
}

void print_row(const char* what, const Step& s) {
    std::printf("| %s | %.3f s | %d | %d | %zu (%zu names) | %s |\n", what,
                bench::median(s.seconds), s.requests, s.posts, s.keys_after, s.names_after,
                s.exit_code == 0 ? "0" : std::to_string(s.exit_code).c_str());
}

void print_failures(const std::vector<const Step*>& steps) {
    for (const auto* s : steps) {
        if (s->exit_code != 0) {
            std::printf("\nfailed run output:\n%s\n", s->failure.c_str());
        }
    }
}

}  // namespace

int main() {
    const std::string provision = test_support::provision_binary();
    const std::string script = (bench::fs::path(BENCH_SOURCE_DIR) / "vendor_baseline.sh").string();

    const std::vector<int> concurrencies{1, 4, 8};
    std::map<int, Step> first_at;
    Step second;
    Step plan;
    {
        bench::Emulator emu({"--threads", "16"});
        const std::map<std::string, std::string> env{{"DOCSPACE_URL", emu.url()},
                                                     {"DOCSPACE_TOKEN", emu.owner_token()}};
        for (int rep = 0; rep < k_repeats; ++rep) {
            for (const int concurrency : concurrencies) {
                bench::TempDir dir;
                const auto manifest = dir.path() / "manifests" / "bench.yaml";
                bench::fs::create_directories(manifest.parent_path());
                std::ofstream(manifest) << bench::keys_manifest(k_keys, "Bench Key");
                fresh_start(emu);
                record(first_at[concurrency],
                       bench::run_timed({provision, "apply", manifest.string(), "--concurrency",
                                         std::to_string(concurrency)},
                                        env),
                       emu);
                if (concurrency != 4) {
                    continue;
                }
                record(second, bench::run_timed({provision, "apply", manifest.string()}, env), emu);
                record(plan, bench::run_timed({provision, "plan", manifest.string()}, env), emu);
            }
        }
    }
    const Step& first = first_at[4];

    Step naive_first;
    Step naive_second;
    {
        bench::Emulator emu({"--threads", "16"});
        for (int rep = 0; rep < k_repeats; ++rep) {
            bench::TempDir dir;
            const auto out = (dir.path() / "keys.env").string();
            const std::vector<std::string> argv{
                "/bin/bash", script, emu.url(), emu.owner_token(), std::to_string(k_keys), out};
            fresh_start(emu);
            record(naive_first, bench::run_timed(argv, {}), emu);
            record(naive_second, bench::run_timed(argv, {}), emu);
        }
    }

    std::printf("## 2-3. Apply N=%d keys, %d ms latency per API request, emulator --threads 16\n\n",
                k_keys, k_latency_ms);
    std::printf("Median of %d runs; requests, POSTs and keys are from the last run.\n\n",
                k_repeats);
    std::printf("| run | wall time | API requests | POSTs | keys on portal after | exit |\n");
    std::printf("|---|---:|---:|---:|---:|---:|\n");
    for (const int concurrency : concurrencies) {
        const std::string what =
            "provision apply (first: creates, --concurrency " + std::to_string(concurrency) + ")";
        print_row(what.c_str(), first_at[concurrency]);
    }
    print_row("provision apply (second: no changes)", second);
    print_row("provision plan", plan);
    print_row("vendor-style curl loop (first)", naive_first);
    print_row("vendor-style curl loop (second)", naive_second);
    const double ratio = bench::median(first.seconds) / bench::median(second.seconds);
    std::printf("\nfirst apply, --concurrency 1 / 4: %.2fx; 1 / 8: %.2fx\n",
                bench::median(first_at[1].seconds) / bench::median(first_at[4].seconds),
                bench::median(first_at[1].seconds) / bench::median(first_at[8].seconds));
    std::printf("provision first/second apply: %.1fx\n", ratio);
    std::printf("second run creates: provision %zu keys (%d POSTs), vendor-style loop %zu keys "
                "(%d POSTs)\n\n",
                second.keys_after - first.keys_after, second.posts,
                naive_second.keys_after - naive_first.keys_after, naive_second.posts);
    print_failures(
        {&first_at[1], &first_at[4], &first_at[8], &second, &plan, &naive_first, &naive_second});
    return 0;
}
