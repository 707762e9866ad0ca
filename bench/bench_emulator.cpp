// Emulator throughput: k_clients parallel clients (one thread and one keep-alive
// httplib::Client each) send GET /api/2.0/keys with the owner token as fast as answers come,
// for k_duration per configuration: --threads 4 and 16, with no added latency and with a
// 20 ms `latency` fault on every API request. Reports requests per second over the whole
// window and the p50/p99 of per-request latency as the client sees it. Clients and server
// share this machine's cores, so the 0 ms rows measure the pair, not the server alone.

#include "bench_support.hpp"

#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int k_clients = 16;
constexpr auto k_duration = std::chrono::seconds(3);

struct Result {
    double seconds = 0.0;
    std::vector<double> latencies_ms;
    long failures = 0;
};

Result run_load(const bench::Emulator& emu) {
    std::vector<std::vector<double>> per_client(k_clients);
    std::vector<long> failures(k_clients, 0);
    const auto start = bench::Clock::now();
    const auto deadline = start + k_duration;
    std::vector<std::thread> threads;
    for (int c = 0; c < k_clients; ++c) {
        threads.emplace_back([&, c] {
            const auto index = static_cast<std::size_t>(c);
            httplib::Client client("127.0.0.1", emu.port());
            client.set_keep_alive(true);
            client.set_read_timeout(10, 0);
            const httplib::Headers headers{{"Authorization", emu.owner_token()}};
            while (bench::Clock::now() < deadline) {
                const auto t0 = bench::Clock::now();
                const auto r = client.Get("/api/2.0/keys", headers);
                const auto ms =
                    std::chrono::duration<double, std::milli>(bench::Clock::now() - t0).count();
                if (r && r->status == 200) {
                    per_client[index].push_back(ms);
                } else {
                    ++failures[index];
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    Result result;
    result.seconds = bench::seconds_since(start);
    for (std::size_t c = 0; c < per_client.size(); ++c) {
        result.latencies_ms.insert(result.latencies_ms.end(), per_client[c].begin(),
                                   per_client[c].end());
        result.failures += failures[c];
    }
    return result;
}

}  // namespace

int main() {
    std::printf(
        "## 5. Emulator throughput: %d keep-alive clients, GET /api/2.0/keys, %lld s each\n\n",
        k_clients, static_cast<long long>(k_duration.count()));
    std::printf("| --threads | added latency | requests | requests/s | p50 | p99 | failed |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const int threads : {4, 16}) {
        for (const int latency : {0, 20}) {
            bench::Emulator emu({"--threads", std::to_string(threads)});
            if (latency > 0) {
                bench::add_latency(emu, latency);
            }
            const auto r = run_load(emu);
            const auto n = r.latencies_ms.size();
            std::printf("| %d | %d ms | %zu | %.0f | %.2f ms | %.2f ms | %ld |\n", threads, latency,
                        n, static_cast<double>(n) / r.seconds, bench::quantile(r.latencies_ms, 0.5),
                        bench::quantile(r.latencies_ms, 0.99), r.failures);
            std::fflush(stdout);
        }
    }
    std::printf("\n");
    return 0;
}
