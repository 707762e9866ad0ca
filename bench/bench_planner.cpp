// Planner benchmark: make_plan + render_text for manifests of 10, 100 and 1000 entries against a
// state and observed keys that already match (every action a noop, the steady state of a
// scheduled re-apply). Inputs are plain values built in memory, as in the planner's unit tests;
// no I/O is timed. Each size runs until 2000 plans or 2 s, whichever comes first, and reports
// the median time per plan; the ratio 1000/10 shows how planning scales with manifest size.
//
// Then the read of the key list that `plan` starts from: a GET /api/2.0/keys answer of 10,000
// keys, printed in memory as docspace-emulator prints it (src/emulator/keys_routes.cpp), parsed
// five ways, median of 7 runs each: nlohmann::json::parse into a tree (the yardstick), the DOM
// path (parse_envelope + parse_key_list), the callback parser parse_key_list_envelope used
// before it became a SAX handler (a copy kept here only to be timed), json::accept (nlohmann's
// SAX parse with a handler that keeps nothing: the floor of any SAX reader), and
// parse_key_list_envelope itself.

#include "api/key_fields.hpp"
#include "api/response_parser.hpp"
#include "provision/plan/plan.hpp"
#include "provision/plan/render.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
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

/// GET /api/2.0/keys with `n` keys, as docspace-emulator prints it: each key on its own, the
/// texts joined, the envelope around them.
std::string key_list_body(int n) {
    const std::string avatar = "/static/images/default_user_photo_size_";
    std::string list = "[";
    for (int i = 0; i < n; ++i) {
        const std::string id = key_id(i);
        const nlohmann::ordered_json creator{
            {"id", k_me},
            {"displayName", "Jane Doe"},
            {"avatar", avatar + "82-82.png"},
            {"avatarOriginal", avatar + "200-200.png"},
            {"avatarMax", avatar + "200-200.png"},
            {"avatarMedium", avatar + "48-48.png"},
            {"avatarSmall", avatar + "32-32.png"},
            {"profileUrl", "http://127.0.0.1:8092/accounts/people/filter?search=jane@example.com"},
            {"hasAvatar", false},
            {"isAnonim", false}};
        const nlohmann::ordered_json key{{"id", id},
                                         {"name", "Bench Key " + std::to_string(i)},
                                         {"key", "sk-***" + id.substr(id.size() - 4)},
                                         {"keyPostfix", id.substr(id.size() - 4)},
                                         {"permissions", {"files:read", "rooms:read"}},
                                         {"createOn", "2026-06-29T12:00:00.0000000Z"},
                                         {"createBy", creator},
                                         {"expiresAt", "2026-07-29T12:00:00.0000000Z"},
                                         {"isActive", true}};
        list += (i == 0 ? "" : ",") + key.dump();
    }
    return R"({"response":)" + list +
           R"(],"count":1,"links":[{"href":"http://127.0.0.1:8092/api/2.0/keys","action":"GET"}],)"
           R"("status":0,"statusCode":200})";
}

/// parse_key_list_envelope as it was before the SAX handler (nlohmann's callback parser, a
/// small tree per key handed to parse_key), kept only to be timed; errors give nullopt.
std::optional<std::vector<api::ApiKey>> callback_parse(std::string_view body) {
    using nlohmann::json;
    if (!api::detail::nesting_ok(body)) {
        return std::nullopt;
    }
    std::vector<api::ApiKey> keys;
    bool failed = false;
    std::string member_name;
    bool in_list = false;
    const json::parser_callback_t callback = [&](int depth, json::parse_event_t event,
                                                 json& parsed) {
        if (event == json::parse_event_t::key && depth == 1) {
            member_name = parsed.get<std::string>();
        } else if (event == json::parse_event_t::array_start && depth == 1) {
            in_list = member_name == "response";
            if (in_list) {
                keys.clear();
                failed = false;
            }
        } else if (event == json::parse_event_t::array_end && depth == 1) {
            in_list = false;
        } else if (event == json::parse_event_t::object_end && depth == 2 && in_list) {
            if (!failed) {
                auto key = api::detail::parse_key(parsed);
                failed = !key.ok();
                if (key) {
                    keys.push_back(std::move(*key));
                }
            }
            return false;
        }
        return true;
    };
    const json envelope = json::parse(body, callback, false);
    const auto status = envelope.is_object() ? envelope.find("status") : envelope.end();
    if (envelope.is_discarded() || !envelope.is_object() ||
        (status != envelope.end() && !status->is_null() && *status != 0) ||
        !envelope.contains("response") || !envelope["response"].is_array() || failed ||
        !envelope["response"].empty()) {
        return std::nullopt;
    }
    return keys;
}

/// Median milliseconds of `runs` calls of `parse`, each of which must find `expected` keys.
double median_ms(const std::function<std::size_t()>& parse, std::size_t expected, int runs) {
    std::vector<double> samples;
    for (int i = 0; i < runs; ++i) {
        const auto t0 = Clock::now();
        const std::size_t found = parse();
        samples.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (found != expected) {
            std::fprintf(stderr, "bench_planner: a parse found %zu keys, not %zu\n", found,
                         expected);
            std::exit(1);
        }
    }
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
}

void bench_key_list_parse() {
    constexpr int k_keys = 10000;
    constexpr int k_runs = 7;
    const std::string body = key_list_body(k_keys);
    const auto expected = static_cast<std::size_t>(k_keys);
    struct Way {
        const char* name;
        std::function<std::size_t()> parse;
    };
    const std::vector<Way> ways{
        {"nlohmann::json::parse into a tree",
         [&] { return nlohmann::json::parse(body).at("response").size(); }},
        {"DOM path: parse_envelope + parse_key_list",
         [&] { return api::detail::parse_key_list(*api::detail::parse_envelope(body))->size(); }},
        {"callback parser (before)", [&] { return callback_parse(body).value().size(); }},
        {"json::accept (the SAX parse alone, a handler that keeps nothing)",
         [&] { return nlohmann::json::accept(body) ? expected : 0; }},
        {"parse_key_list_envelope, SAX (now)",
         [&] { return api::detail::parse_key_list_envelope(body)->size(); }},
    };
    std::printf("## 2. Key list parse: GET /api/2.0/keys, %d keys, %.1f MB, median of %d\n\n",
                k_keys, static_cast<double>(body.size()) / 1e6, k_runs);
    std::printf("| parse | median | vs json::parse |\n|---|---:|---:|\n");
    double yardstick = 0.0;
    for (const auto& way : ways) {
        const double ms = median_ms(way.parse, expected, k_runs);
        yardstick = yardstick > 0.0 ? yardstick : ms;
        std::printf("| %s | %.1f ms | %.2fx |\n", way.name, ms, ms / yardstick);
    }
    std::printf("\n");
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
    bench_key_list_parse();
    return 0;
}
