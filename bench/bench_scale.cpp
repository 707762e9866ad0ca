// Scale: thousands of keys in one manifest, against docspace-emulator (`--threads 32`).
//
// 6. Apply of 1000 new keys at 20 ms latency per API request, --concurrency 16, against the
//    work limit (ceil(1000/16) x 20 ms for the creates + one 20 ms round for the run's three
//    reads, which travel together) and against
//    the vendor sample's loop (bench/vendor_baseline.sh: one curl POST at a time) in the same run.
// 7. No-op plan of 10,000 managed keys (no added latency) against the yardstick of the work
//    our libraries cannot avoid, measured here in the same run: process start-up (`curl
//    --version`, which links the same libraries), yaml-cpp's LoadFile of the manifest and
//    nlohmann's parse of the key list answer; peak RSS of the plan.
// 8. validate of a 1000-entry manifest against start-up + yaml-cpp's LoadFile of it.
// 9. Scaling: apply (creates, --concurrency 16), plan and status for N = 100, 1000 and 10,000,
//    no added latency.
// 10. The same 10,000 keys as 50 manifests of 200 in one directory: one `provision apply DIR`
//    creates them, then the no-op `plan DIR` and second `apply DIR` (one run each: one key list)
//    against the yardstick (start-up + yaml-cpp's LoadFile of the 50 manifests + one parse of
//    the list) and against 50 separate `provision plan FILE` runs (50 key lists).
//
// Wall times include process start-up. Medians of k_repeats runs where a run is cheap.
//
// The yardstick is measured twice. Warm, as the issue defines it: `curl --version`'s start-up
// plus LoadFile and the list parse timed inside this process, each the median of k_repeats
// (from the second repeat on, the heap reuses the memory the first one freed). Cold: a fresh
// process of this binary (`bench_scale --cold-yardstick LIST MANIFEST...`) that does only that
// work once, like a run of provision does, and fetches the key list from the emulator itself,
// timed from outside: its start-up, the portal's time to answer, its page faults on new memory
// and the freeing of its trees included.

#include "bench_support.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace {

constexpr int k_repeats = 3;

std::map<std::string, std::string> env_for(const bench::Emulator& emu) {
    return {{"DOCSPACE_URL", emu.url()}, {"DOCSPACE_TOKEN", emu.owner_token()}};
}

/// A manifest of `count` keys ("<prefix> 00001".., five digits) with one dotenv output,
/// ../secrets/<output>.env.
std::string scale_manifest(int count, const std::string& prefix = "Scale Key",
                           const std::string& output = "scale") {
    std::string text = "version: 1\n"
                       "portal:\n"
                       "  url: ${DOCSPACE_URL}\n"
                       "  token: ${DOCSPACE_TOKEN}\n"
                       "outputs:\n"
                       "  - path: ../secrets/" +
                       output +
                       ".env\n"
                       "    format: dotenv\n"
                       "keys:\n";
    char index[16];
    for (int i = 1; i <= count; ++i) {
        std::snprintf(index, sizeof index, " %05d", i);
        text += "  - name: " + prefix + index +
                "\n    permissions: [files:read]\n    expiresInDays: 30\n";
    }
    return text;
}

/// Writes the manifest of `count` keys into `dir`/manifests and returns its path.
bench::fs::path write_manifest(const bench::TempDir& dir, int count,
                               const std::string& name = "scale") {
    const auto manifest = dir.path() / "manifests" / (name + ".yaml");
    bench::fs::create_directories(manifest.parent_path());
    std::ofstream(manifest) << (name == "scale" ? scale_manifest(count)
                                                : scale_manifest(count, name + " Key", name));
    return manifest;
}

/// Runs argv in a forked child of this process so that its peak RSS (KiB) is the child's own.
std::pair<bench::Timed, long> run_with_rss(const std::vector<std::string>& argv,
                                           const std::map<std::string, std::string>& env) {
    int fds[2];
    if (::pipe(fds) != 0) {
        return {bench::Timed{}, -1};
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        const bench::Timed t = bench::run_timed(argv, env);
        rusage usage{};
        ::getrusage(RUSAGE_CHILDREN, &usage);
        std::ostringstream out;
        out << t.exit_code << ' ' << t.seconds << ' ' << usage.ru_maxrss;
        const std::string text = out.str();
        [[maybe_unused]] const auto n = ::write(fds[1], text.data(), text.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string text;
    char buffer[256];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) {
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    bench::Timed t;
    long rss = -1;
    std::istringstream(text) >> t.exit_code >> t.seconds >> rss;
    return {t, rss};
}

struct Row {
    std::vector<double> seconds;
    int exit_code = 0;
    std::string failure;
    void add(const bench::Timed& t) {
        seconds.push_back(t.seconds);
        if (t.exit_code != 0 && t.exit_code != 2) {  // 2: plan --detailed-exitcode with changes
            exit_code = t.exit_code;
            failure = t.output;
        }
    }
    double median() const { return bench::median(seconds); }
};

void print_failure(const char* what, const Row& row) {
    if (row.exit_code != 0) {
        std::printf("\n%s failed (exit %d):\n%s\n", what, row.exit_code, row.failure.c_str());
    }
}

/// Seconds for yaml-cpp's LoadFile of `path`, median of k_repeats.
double yaml_load_seconds(const bench::fs::path& path) {
    std::vector<double> samples;
    for (int i = 0; i < k_repeats; ++i) {
        const auto start = bench::Clock::now();
        const YAML::Node node = YAML::LoadFile(path.string());
        samples.push_back(bench::seconds_since(start));
        if (!node["keys"]) {
            std::printf("(yaml-cpp read no keys from %s)\n", path.c_str());
        }
    }
    return bench::median(samples);
}

/// Seconds for nlohmann's parse of the emulator's key list answer, median of k_repeats.
double list_parse_seconds(const bench::Emulator& emu, std::size_t& bytes) {
    const std::string body = emu.get("/api/2.0/keys", emu.owner_token()).body;
    bytes = body.size();
    std::vector<double> samples;
    for (int i = 0; i < k_repeats; ++i) {
        const auto start = bench::Clock::now();
        const auto parsed = nlohmann::json::parse(body);
        samples.push_back(bench::seconds_since(start));
        if (!parsed.contains("response")) {
            std::printf("(the list answer has no response)\n");
        }
    }
    return bench::median(samples);
}

/// The cold yardstick's child: LoadFile of each manifest and one parse of the saved list answer,
/// once each, as a run of provision reads them. LIST is a portal's URL (the list is fetched
/// with $BENCH_TOKEN: the portal's time to answer counts), a saved answer, or "-" (no list:
/// validate's yardstick). Exits 1 when something did not read.
int cold_yardstick(int argc, char** argv) {
    const std::string list = argv[2];
    std::string body;
    if (list.rfind("http", 0) == 0) {
        httplib::Client portal(list);
        const char* token = std::getenv("BENCH_TOKEN");
        const auto answer = portal.Get(
            "/api/2.0/keys", {{"Authorization", std::string("Bearer ") + (token ? token : "")}});
        body = answer && answer->status == 200 ? answer->body : std::string("{}");
    } else if (list != "-") {
        std::ifstream list_file(list, std::ios::binary);
        std::stringstream text;
        text << list_file.rdbuf();
        body = text.str();
    }
    bool read = body.empty() || nlohmann::json::parse(body).contains("response");
    for (int i = 3; i < argc; ++i) {
        read = YAML::LoadFile(argv[i])["keys"].IsSequence() && read;
    }
    return read ? 0 : 1;
}

/// Seconds for the cold yardstick of `manifests` and the list `list` (see cold_yardstick),
/// median of k_repeats fresh processes.
double cold_yardstick_seconds(const std::string& self, const std::string& list,
                              const std::vector<bench::fs::path>& manifests,
                              const std::string& token = "") {
    std::vector<std::string> command = {self, "--cold-yardstick", list};
    for (const auto& manifest : manifests) {
        command.push_back(manifest.string());
    }
    Row row;
    for (int i = 0; i < k_repeats; ++i) {
        row.add(bench::run_timed(command, {{"BENCH_TOKEN", token}}));
    }
    print_failure("the cold yardstick", row);
    return row.median();
}

/// Seconds for a process start-up of the same libraries: `curl --version`, median.
double startup_seconds() {
    Row row;
    for (int i = 0; i < 5; ++i) {
        row.add(bench::run_timed({"/usr/bin/curl", "--version"}, {}));
    }
    return row.median();
}

/// 10. 50 manifests of 200 keys in one directory, run as one.
void several_manifests(const std::string& provision, const std::string& self, double startup) {
    constexpr int k_manifests = 50;
    constexpr int k_keys_each = 200;
    bench::Emulator emu({"--threads", "32"});
    bench::TempDir dir;
    std::vector<bench::fs::path> files;
    for (int m = 1; m <= k_manifests; ++m) {
        char name[16];
        std::snprintf(name, sizeof name, "team-%02d", m);
        files.push_back(write_manifest(dir, k_keys_each, name));
    }
    const std::string all = (dir.path() / "manifests").string();
    Row apply;
    apply.add(bench::run_timed({provision, "apply", all, "--concurrency", "16"}, env_for(emu)));
    emu.clear_requests();
    Row plan;
    Row again;
    long plan_rss = 0;
    long again_rss = 0;
    for (int rep = 0; rep < k_repeats; ++rep) {
        const auto [p, p_peak] = run_with_rss({provision, "plan", all}, env_for(emu));
        plan.add(p);
        plan_rss = std::max(plan_rss, p_peak);
        const auto [a, a_peak] = run_with_rss({provision, "apply", all}, env_for(emu));
        again.add(a);
        again_rss = std::max(again_rss, a_peak);
    }
    const int lists = emu.count_requests("GET", "/api/2.0/keys");
    const int posts = emu.count_requests("POST", "/api/2.0/keys");
    Row separate;
    const auto start = bench::Clock::now();
    for (const auto& file : files) {
        separate.add(bench::run_timed({provision, "plan", file.string()}, env_for(emu)));
    }
    const double separate_seconds = bench::seconds_since(start);
    double yaml = 0;
    for (const auto& file : files) {
        yaml += yaml_load_seconds(file);
    }
    std::size_t list_bytes = 0;
    const double parse = list_parse_seconds(emu, list_bytes);
    const double yardstick = startup + yaml + parse;
    const double cold = cold_yardstick_seconds(self, emu.url(), files, emu.owner_token());
    std::printf("\n## 10. %d manifests of %d keys in one directory (%d managed keys), no added "
                "latency\n\n",
                k_manifests, k_keys_each, k_manifests * k_keys_each);
    std::printf("| run | wall time | / yardstick | peak RSS |\n|---|---:|---:|---:|\n");
    std::printf("| yardstick: start-up + yaml-cpp LoadFile x %d + one list parse | %.3f s (%.3f + "
                "%.3f + %.3f) | 1.00x | |\n",
                k_manifests, yardstick, startup, yaml, parse);
    std::printf("| cold yardstick: one process fetching the list and reading it all once | %.3f s "
                "| %.2fx | |\n",
                cold, cold / yardstick);
    std::printf("| provision apply DIR (first: creates, c=16) | %.3f s | | |\n", apply.median());
    std::printf("| provision plan DIR (no-op, median of %d) | %.3f s | %.2fx | %.1f MB |\n",
                k_repeats, plan.median(), plan.median() / yardstick,
                static_cast<double>(plan_rss) / 1024.0);
    std::printf("| provision apply DIR (second: no changes, median of %d) | %.3f s | %.2fx | %.1f "
                "MB |\n",
                k_repeats, again.median(), again.median() / yardstick,
                static_cast<double>(again_rss) / 1024.0);
    std::printf("| %d separate provision plan FILE runs, in total | %.3f s | %.2fx | |\n",
                k_manifests, separate_seconds, separate_seconds / yardstick);
    std::printf("\nkey lists: %d for %d no-op runs of the directory (one each); POSTs during "
                "them: %d; list answer %.1f MB\n",
                lists, 2 * k_repeats, posts, static_cast<double>(list_bytes) / 1e6);
    std::printf(
        "no-op plan DIR / cold yardstick: %.2fx; second apply DIR / cold yardstick: %.2fx\n",
        plan.median() / cold, again.median() / cold);
    print_failure("apply DIR", apply);
    print_failure("plan DIR", plan);
    print_failure("second apply DIR", again);
    print_failure("separate plans", separate);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 3 && std::string(argv[1]) == "--cold-yardstick") {
        return cold_yardstick(argc, argv);
    }
    const std::string self = bench::fs::canonical("/proc/self/exe").string();
    const std::string provision = test_support::provision_binary();
    const std::string script = (bench::fs::path(BENCH_SOURCE_DIR) / "vendor_baseline.sh").string();

    // 6. 1000 new keys at 20 ms.
    constexpr int k_apply_keys = 1000;
    constexpr int k_latency_ms = 20;
    Row apply_1000;
    Row vendor_1000;
    {
        bench::Emulator emu({"--threads", "32"});
        for (int rep = 0; rep < k_repeats; ++rep) {
            bench::TempDir dir;
            const auto manifest = write_manifest(dir, k_apply_keys);
            emu.reset();
            bench::add_latency(emu, k_latency_ms);
            apply_1000.add(bench::run_timed(
                {provision, "apply", manifest.string(), "--concurrency", "16"}, env_for(emu)));
        }
        bench::TempDir dir;
        emu.reset();
        bench::add_latency(emu, k_latency_ms);
        vendor_1000.add(
            bench::run_timed({"/bin/bash", script, emu.url(), emu.owner_token(),
                              std::to_string(k_apply_keys), (dir.path() / "keys.env").string()},
                             {}));
    }
    const double rounds = std::ceil(k_apply_keys / 16.0);
    const double limit = (rounds + 1) * k_latency_ms / 1000.0;
    std::printf("## 6. Apply of %d new keys, %d ms latency per API request, --concurrency 16\n\n",
                k_apply_keys, k_latency_ms);
    std::printf("| run | wall time | / work limit |\n|---|---:|---:|\n");
    std::printf("| work limit: (ceil(%d/16) + 1 round of reads) x %d ms | %.3f s | 1.00x |\n",
                k_apply_keys, k_latency_ms, limit);
    std::printf("| provision apply (median of %zu) | %.3f s | %.2fx |\n", apply_1000.seconds.size(),
                apply_1000.median(), apply_1000.median() / limit);
    std::printf("| vendor-style curl loop, one POST at a time | %.3f s | %.2fx |\n",
                vendor_1000.median(), vendor_1000.median() / limit);
    std::printf("\nprovision is %.1fx faster than the one-at-a-time loop\n",
                vendor_1000.median() / apply_1000.median());
    print_failure("provision apply", apply_1000);
    print_failure("vendor loop", vendor_1000);

    // 7-9. No added latency: what provision itself costs at N = 100, 1000, 10000.
    const double startup = startup_seconds();
    std::printf("\n## 7-9. Scaling, no added latency, emulator --threads 32\n\n");
    std::printf("| N | apply (creates, c=16) | no-op plan | status | plan peak RSS | yardstick: "
                "start-up + yaml-cpp LoadFile + list parse | plan / yardstick | cold yardstick | "
                "plan / cold | list answer |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    double validate_1000 = 0;
    double yaml_1000 = 0;
    double validate_cold_1000 = 0;
    std::vector<const Row*> rows_to_check;
    std::vector<Row> keep;
    keep.reserve(30);
    for (const int n : {100, 1000, 10000}) {
        bench::Emulator emu({"--threads", "32"});
        bench::TempDir dir;
        const auto manifest = write_manifest(dir, n);
        Row& apply = keep.emplace_back();
        apply.add(bench::run_timed({provision, "apply", manifest.string(), "--concurrency", "16"},
                                   env_for(emu)));
        Row& plan = keep.emplace_back();
        Row& status = keep.emplace_back();
        long rss = 0;
        for (int rep = 0; rep < k_repeats; ++rep) {
            const auto [t, peak] =
                run_with_rss({provision, "plan", manifest.string()}, env_for(emu));
            plan.add(t);
            rss = std::max(rss, peak);
            status.add(bench::run_timed({provision, "status", manifest.string()}, env_for(emu)));
        }
        const double yaml = yaml_load_seconds(manifest);
        std::size_t list_bytes = 0;
        const double parse = list_parse_seconds(emu, list_bytes);
        const double yardstick = startup + yaml + parse;
        const double cold = cold_yardstick_seconds(self, emu.url(), {manifest}, emu.owner_token());
        std::printf("| %d | %.3f s | %.3f s | %.3f s | %.1f MB | %.3f s (%.3f + %.3f + %.3f) | "
                    "%.2fx | %.3f s | %.2fx | %.1f MB |\n",
                    n, apply.median(), plan.median(), status.median(),
                    static_cast<double>(rss) / 1024.0, yardstick, startup, yaml, parse,
                    plan.median() / yardstick, cold, plan.median() / cold,
                    static_cast<double>(list_bytes) / 1e6);
        rows_to_check.insert(rows_to_check.end(), {&apply, &plan, &status});
        if (n == 1000) {
            Row validate;
            for (int rep = 0; rep < k_repeats; ++rep) {
                validate.add(bench::run_timed({provision, "validate", manifest.string()}, {}));
            }
            validate_1000 = validate.median();
            yaml_1000 = yaml;
            validate_cold_1000 = cold_yardstick_seconds(self, "-", {manifest});
            print_failure("validate", validate);
        }
    }
    std::printf("\nvalidate, 1000 entries: %.3f s; start-up + yaml-cpp LoadFile: %.3f s (%.2fx)\n",
                validate_1000, startup + yaml_1000, validate_1000 / (startup + yaml_1000));
    std::printf("validate / cold yardstick (one process doing only the LoadFile): %.3f s, %.2fx\n",
                validate_cold_1000, validate_1000 / validate_cold_1000);
    for (const Row* row : rows_to_check) {
        print_failure("a scaling run", *row);
    }
    several_manifests(provision, self, startup);
    return 0;
}
