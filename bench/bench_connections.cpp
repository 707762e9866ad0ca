// What a connection of its own per create costs (docs/network.md#connections): provision's HTTP
// client (api::make_http_keys_api over the libcurl transport) creates keys one at a time
// against docspace-emulator over HTTPS (a certificate made with openssl for 127.0.0.1) and
// over plain HTTP, once with every POST on a fresh connection (what provision does) and once
// with the POSTs reusing the connection a GET opened (what it must not do, see
// tests/unit/api_curl_transport_test.cpp). The two run in alternating rounds of
// k_per_round creates in the same process, so a busy machine slows both alike; the table gives
// the median and 90th percentile of the per-create time, and the difference of the medians is
// the price of the connection setup (TCP, and over HTTPS the TLS handshake). Loopback has no
// round-trip time: against a remote portal each fresh connection also costs the round trips
// of the TCP and TLS handshakes (two with TLS 1.3), which this does not show.

#include "bench_support.hpp"
#include "provision/api/http_keys_api.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr int k_rounds = 4;
constexpr int k_per_round = 40;

struct Mode {
    const char* name;
    bool fresh;
    std::vector<double> ms;  ///< per-create wall time
    int failures = 0;
};

std::unique_ptr<provision::api::KeysApi> client(const bench::Emulator& emu, bool fresh,
                                                const std::string& ca_bundle) {
    provision::api::TransportOptions transport;
    transport.ca_bundle = ca_bundle;
    transport.post_on_fresh_connection = fresh;
    provision::api::HttpKeysApiOptions options;
    options.base_url = emu.url();
    options.credential = provision::core::Secret{bench::Emulator::owner_token()};
    options.concurrency = 1;
    return provision::api::make_http_keys_api(std::move(options),
                                              provision::api::make_curl_transport(transport));
}

/// k_rounds rounds, alternating the modes, of k_per_round sequential creates each, every
/// client warmed by one GET (its connection open, as in a run after observing the portal).
void measure(const bench::Emulator& emu, const std::string& ca_bundle, std::vector<Mode>& modes) {
    std::vector<std::unique_ptr<provision::api::KeysApi>> clients;
    for (auto& mode : modes) {
        clients.push_back(client(emu, mode.fresh, ca_bundle));
        if (!clients.back()->current_user().ok()) {
            ++mode.failures;
        }
    }
    int serial = 0;
    for (int round = 0; round < k_rounds; ++round) {
        for (std::size_t m = 0; m < modes.size(); ++m) {
            for (int i = 0; i < k_per_round; ++i) {
                const provision::api::CreateRequest request{
                    "Bench Key " + std::to_string(++serial),
                    provision::core::Scopes::from_list({"files:read"}), 30};
                const auto start = bench::Clock::now();
                const auto created = clients[m]->create(request);
                modes[m].ms.push_back(bench::seconds_since(start) * 1000.0);
                modes[m].failures += created.ok() ? 0 : 1;
            }
        }
    }
}

void report(const char* scheme, const std::vector<Mode>& modes) {
    for (const auto& mode : modes) {
        std::printf("| %s | %s | %zu | %.2f ms | %.2f ms | %d |\n", scheme, mode.name,
                    mode.ms.size(), bench::median(mode.ms), bench::quantile(mode.ms, 0.9),
                    mode.failures);
    }
}

}  // namespace

int main() {
    bench::TempDir pki;
    const std::string key = (pki.path() / "key.pem").string();
    const std::string cert = (pki.path() / "cert.pem").string();
    const auto made = test_support::run_process(
        {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
         "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
         "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE"});
    if (made.exit_code != 0) {
        std::fprintf(stderr, "openssl could not make a certificate:\n%s\n", made.err.c_str());
        return 1;
    }
    std::printf("## Connections: per-create time, fresh connection vs reused (sequential)\n\n");
    std::printf("%d alternating rounds of %d creates per mode, one client each, emulator "
                "--threads 8, no added latency; RSA-2048 certificate.\n\n",
                k_rounds, k_per_round);
    std::printf("| scheme | POST connection | creates | median | p90 | failures |\n");
    std::printf("|---|---|---:|---:|---:|---:|\n");
    double https_cost = 0.0;
    double http_cost = 0.0;
    for (const bool tls : {true, false}) {
        const std::vector<std::string> args =
            tls ? std::vector<std::string>{"--threads", "8", "--tls-cert", cert, "--tls-key", key}
                : std::vector<std::string>{"--threads", "8"};
        bench::Emulator emu(args);
        std::vector<Mode> modes = {{"fresh (provision)", true, {}, 0},
                                   {"reused (unsafe)", false, {}, 0}};
        measure(emu, tls ? cert : "", modes);
        report(tls ? "https" : "http", modes);
        (tls ? https_cost : http_cost) = bench::median(modes[0].ms) - bench::median(modes[1].ms);
    }
    std::printf("\nfresh minus reused, medians: https %.2f ms per create, http %.2f ms per "
                "create\n",
                https_cost, http_cost);
    return 0;
}
