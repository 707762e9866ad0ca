// Planner benchmark: make_plan + render_text for manifests of 10, 100 and 1000 entries against a
// state and observed keys that already match (every action a noop, the steady state of a
// scheduled re-apply). Inputs are plain values built in memory, as in the planner's unit tests;
// no I/O is timed. Each size runs until 2000 plans or 2 s, whichever comes first, and reports
// the median time per plan; the ratio 1000/10 shows how planning scales with manifest size.

#include "provision/plan/plan.hpp"
#include "provision/plan/render.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace provision;

namespace {

using Clock = std::chrono::steady_clock;

const std::string k_me = "aa11bb22-cc33-dd44-ee55-ff6677889900";
constexpr int k_max_iterations = 2000;
constexpr double k_max_seconds = 2.0;

struct World {
    manifest::Manifest manifest;
    state::State state;
    std::vector<api::ApiKey> observed;
    plan::OutputsView outputs;
    core::Timestamp now{};
};

/// A 12-hex-digit GUID tail from `i`, so every key id is distinct and well formed.
std::string key_id(int i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "0000%04x-0000-4000-8000-%012x", i, i);
    return buf;
}

/// `n` entries, each managed, present on the portal as the manifest says and its secret held.
World build_world(int n) {
    World w;
    w.now = *core::parse_iso8601("2026-07-01T12:00:00Z");
    const auto created = w.now - std::chrono::hours(24 * 2);
    w.state.owner_id = k_me;
    for (int i = 0; i < n; ++i) {
        manifest::KeySpec k;
        k.name = "Bench Key " + std::to_string(i);
        k.permissions = core::Scopes::from_list({"files:read", "rooms:read"});
        k.expires_in_days = 30;
        k.env = manifest::default_env_name(k.name);
        w.manifest.keys.push_back(k);

        state::ManagedKey r;
        r.entry = k.name;
        r.id = key_id(i);
        r.name = k.name;
        r.postfix = r.id.substr(r.id.size() - 4);
        r.permissions = k.permissions;
        r.expires_in_days = k.expires_in_days;
        r.created_at = created;
        r.expires_at = created + std::chrono::hours(24 * 30);
        r.fingerprint = "sha256:00";
        w.state.upsert(r);
        w.outputs.entries_with_secret.insert(k.name);

        api::ApiKey key;
        key.id = r.id;
        key.name = k.name;
        key.postfix = r.postfix;
        key.permissions = k.permissions;
        key.create_on = created;
        key.expires_at = r.expires_at;
        key.created_by_id = k_me;
        w.observed.push_back(key);
    }
    return w;
}

struct Sample {
    double median_us = 0.0;
    int iterations = 0;
    std::size_t actions = 0;
    std::size_t noops = 0;
    std::size_t text_bytes = 0;
};

Sample measure(const World& w) {
    std::vector<double> samples;
    Sample s;
    const auto start = Clock::now();
    while (static_cast<int>(samples.size()) < k_max_iterations &&
           std::chrono::duration<double>(Clock::now() - start).count() < k_max_seconds) {
        const auto t0 = Clock::now();
        const auto p = plan::make_plan(
            plan::PlanInput{w.manifest, w.state, w.observed, w.outputs, k_me, w.now, {}});
        const auto text = plan::render_text(p);
        samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        s.actions = p.actions.size();
        s.noops = p.count(plan::ActionKind::noop);
        s.text_bytes = text.size();
    }
    std::sort(samples.begin(), samples.end());
    s.median_us = samples[samples.size() / 2];
    s.iterations = static_cast<int>(samples.size());
    return s;
}

}  // namespace

int main() {
    std::printf("## 1. Planner: make_plan + render_text, matching state (all noop)\n\n");
    std::printf("| entries | iterations | median per plan | actions (noop) | text bytes |\n");
    std::printf("|---:|---:|---:|---:|---:|\n");
    double first = 0.0;
    double last = 0.0;
    for (const int n : {10, 100, 1000}) {
        const auto world = build_world(n);
        const auto s = measure(world);
        std::printf("| %d | %d | %.1f us | %zu (%zu) | %zu |\n", n, s.iterations, s.median_us,
                    s.actions, s.noops, s.text_bytes);
        if (n == 10) {
            first = s.median_us;
        }
        last = s.median_us;
    }
    std::printf("\nratio 1000/10 entries: %.1fx (100x the entries; 100x = linear)\n\n",
                first > 0.0 ? last / first : 0.0);
    return 0;
}
