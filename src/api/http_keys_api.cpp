// KeysApi over HTTP. Every call goes through HttpKeysApi::execute, which sends the request,
// judges the answer and decides whether another attempt is safe (docs/network.md, "Retries"):
//
// - GET, PUT and DELETE are idempotent, so they are retried after connect failures,
//   timeouts, dropped connections and 408/429/500/502/503/504, with capped exponential
//   backoff and full jitter, honouring Retry-After (clamped), within max_attempts and an
//   overall waiting budget.
// - POST /keys is not idempotent: it is retried only when the server provably did not process
//   it (not_sent, or 429 from the rate limiter, which runs before the controller). Any other
//   failure comes back at once as an unknown outcome for the caller to reconcile.
// - PUT/DELETE of an unknown id make DocSpace throw a NullReferenceException (HTTP 500); that
//   answer is definitive, not transient, so it is returned without retrying.
//
// Error messages never contain the credential: server text is redacted by the parser and the
// final message is scrubbed of the credential's value as well.

#include "provision/api/http_keys_api.hpp"

#include "provision/core/interrupt.hpp"

#include "api/rate_gate.hpp"
#include "api/response_parser.hpp"
#include "provision/core/secret.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <random>
#include <thread>

namespace provision::api {

namespace {

using nlohmann::json;

constexpr std::string_view k_unknown_id_type = "System.NullReferenceException";
/// 256 MiB: about 300,000 keys.
constexpr std::size_t k_max_list_bytes = std::size_t{256} * 1024 * 1024;

struct Call {
    HttpRequest request;
    std::string what;                ///< "listing keys", "creating 'Integration Bot'"
    bool is_create = false;          ///< POST: retried only when provably not processed
    bool unknown_id_is_500 = false;  ///< PUT/DELETE: a 500 NullReferenceException is final
    /// PUT/DELETE: an API-layer 403 (with an ErrorApiResponse body) is the answer `false`.
    bool api_403_is_refusal = false;
    /// Said after an API-layer 403 (with an ErrorApiResponse body), when not a refusal.
    std::string api_403_reason;
    /// GET /api/2.0/keys: a success answer is read straight into this list, and the verdict
    /// holds null instead of the envelope's `response`.
    std::vector<ApiKey>* key_list = nullptr;
};

/// The judgement of one attempt: the envelope's `response`, or an error and whether a retry
/// is safe.
struct Verdict {
    core::Result<json> result;
    bool retryable = false;
};

bool is_transient_status(int status) {
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
           status == 504;
}

/// Every wait in one style, seconds with one decimal: "0.3 s", "9.9 s", "847.0 s".
std::string format_wait(std::chrono::milliseconds delay) {
    const long long tenths = (delay.count() + 50) / 100;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

bool is_guid_like(std::string_view id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
               c == '-';
    });
}

std::string quoted_name(std::string_view name) {
    return "'" + core::redact_secrets(name) + "'";
}

class HttpKeysApi final : public KeysApi {
public:
    HttpKeysApi(HttpKeysApiOptions options, std::shared_ptr<HttpTransport> transport)
        : m_options(std::move(options)), m_transport(std::move(transport)),
          m_create_gate(m_options.concurrency), m_general_gate(m_options.concurrency),
          m_random_engine(std::random_device{}()) {
        while (m_options.base_url.ends_with('/')) {
            m_options.base_url.pop_back();
        }
        if (!m_options.sleep) {
            // Sleeps in slices so a SIGINT/SIGTERM during a long Retry-After wait ends it.
            m_options.sleep = [](std::chrono::milliseconds d) {
                const auto until = std::chrono::steady_clock::now() + d;
                while (!core::stop_requested() && std::chrono::steady_clock::now() < until) {
                    std::this_thread::sleep_for(
                        std::min<std::chrono::milliseconds>(d, std::chrono::milliseconds(100)));
                }
            };
        }
        if (!m_options.clock) {
            m_options.clock = [] { return core::now_utc(); };
        }
        if (!m_options.on_rate_limit_wait) {
            m_options.on_rate_limit_wait = [](const RateLimitWait& wait) {
                spdlog::info("{}", describe(wait));
            };
        }
        if (!m_options.random) {
            m_options.random = [this] {
                const std::lock_guard lock(m_random_mutex);
                return std::uniform_real_distribution<double>(0.0, 1.0)(m_random_engine);
            };
        }
    }

    core::Result<std::vector<ApiKey>> list() override {
        Call call = make_call("GET", "/api/2.0/keys", "listing keys");
        call.api_403_reason = "this account may not list API keys (servers after v3.7.2 refuse "
                              "guests); use an admin's session token or an unrestricted API key "
                              "of an admin";
        // A portal's whole list comes in one answer (about 800 bytes a key); the limit only
        // bounds what a broken or hostile server can make the run hold.
        call.request.max_response_bytes = k_max_list_bytes;
        std::vector<ApiKey> keys;
        call.key_list = &keys;
        auto response = execute(std::move(call));
        if (!response) {
            return response.error();
        }
        return keys;
    }

    core::Result<CreatedKey> create(const CreateRequest& request) override {
        json body = {{"name", request.name}, {"permissions", request.permissions.to_request()}};
        if (request.expires_in_days) {
            body["expiresInDays"] = *request.expires_in_days;
        }
        Call call = make_call("POST", "/api/2.0/keys", "creating " + quoted_name(request.name));
        call.request.body = body.dump();
        call.is_create = true;
        auto response = execute(std::move(call));
        if (!response) {
            return response.error();
        }
        auto created = detail::parse_created_key(*response);
        if (!created) {
            return with_message(created.error(),
                                "creating " + quoted_name(request.name) + ": " +
                                    created.error().message +
                                    "; the key may exist on the portal (unknown outcome)");
        }
        return created;
    }

    core::Result<bool> update(const std::string& id, const UpdateRequest& request) override {
        if (!is_guid_like(id)) {
            return bad_id(id);
        }
        json body = json::object();
        if (request.name) {
            body["name"] = *request.name;
        }
        if (request.permissions) {
            body["permissions"] = request.permissions->to_request();
        }
        if (request.is_active) {
            body["isActive"] = *request.is_active;
        }
        Call call = make_call("PUT", "/api/2.0/keys/" + id, "updating key " + id);
        call.request.body = body.dump();
        call.unknown_id_is_500 = true;
        call.api_403_is_refusal = true;
        auto response = execute(std::move(call));
        if (!response) {
            return response.error();
        }
        return prefixed(detail::parse_bool(*response), "updating key " + id);
    }

    core::Result<bool> remove(const std::string& id) override {
        if (!is_guid_like(id)) {
            return bad_id(id);
        }
        Call call = make_call("DELETE", "/api/2.0/keys/" + id, "deleting key " + id);
        call.unknown_id_is_500 = true;
        call.api_403_is_refusal = true;
        auto response = execute(std::move(call));
        if (!response) {
            return response.error();
        }
        return prefixed(detail::parse_bool(*response), "deleting key " + id);
    }

    core::Result<std::vector<std::string>> permissions() override {
        const std::string what = "reading the permission catalogue";
        auto response = execute(make_call("GET", "/api/2.0/keys/permissions", what));
        if (!response) {
            return response.error();
        }
        return prefixed(detail::parse_string_list(*response), what);
    }

    core::Result<ApiKey> self(const core::Secret& key) override {
        const std::string what = "checking key " + key.redacted();
        Call call = make_call("GET", "/api/2.0/keys/@self", what);
        call.request.authorization = authorization_for(key);
        auto response = execute(std::move(call), &key);
        if (!response) {
            return response.error();
        }
        return prefixed(detail::parse_key(*response), what);
    }

    core::Result<User> current_user() override {
        const std::string what = "reading the current user";
        auto response = execute(make_call("GET", "/api/2.0/people/@self", what));
        if (!response) {
            return response.error();
        }
        return prefixed(detail::parse_user(*response), what);
    }

    core::Result<PortalIdentity> portal() override {
        const std::string what = "reading the portal's identity";
        auto response = execute(make_call("GET", "/api/2.0/portal", what));
        if (!response) {
            const auto& e = response.error();
            if (e.code == core::Errc::unauthorized || e.code == core::Errc::forbidden ||
                (e.code == core::Errc::http_status && e.http_status == 404)) {
                return PortalIdentity{};
            }
            return e;
        }
        return prefixed(detail::parse_portal(*response), what);
    }

private:
    Call make_call(std::string method, const std::string& path, std::string what) const {
        Call call;
        call.request.method = std::move(method);
        call.request.url = m_options.base_url + path;
        call.request.authorization = authorization_for(m_options.credential);
        call.what = std::move(what);
        return call;
    }

    /// Sends `call` until it succeeds, fails for good, or no retry is safe or affordable.
    core::Result<json> execute(Call call, const core::Secret* extra_secret = nullptr) {
        if (auto url = check_portal_url(m_options.base_url); !url) {
            return url.error();
        }
        detail::RateGate& gate = call.is_create ? m_create_gate : m_general_gate;
        std::chrono::milliseconds waited{0};
        // The end of a pause this call has already waited out itself (after its own 429).
        detail::RateGate::Clock::time_point waited_out{};
        const int max_attempts = std::max(1, m_options.retry.max_attempts);
        for (int attempt = 1;; ++attempt) {
            if (auto passed = wait_for_gate(gate, call, waited_out); !passed) {
                return passed.error();
            }
            gate.enter();
            call.request.timeout = time_left();
            HttpResponse response = m_transport->send(call.request);
            if (response.status < 200 || response.status >= 300) {
                response.body = scrub_text(std::move(response.body), extra_secret);
            }
            Verdict verdict = judge(response, call);
            const bool rate_limited = response.status == 429;
            if (verdict.result) {
                gate.leave(false, {});
                return verdict.result;
            }
            core::Error error = scrub(verdict.result.error(), extra_secret);
            // A stopping run starts no new attempt.
            const bool retry =
                verdict.retryable && attempt < max_attempts && !core::stop_requested();
            const std::chrono::milliseconds delay =
                retry || rate_limited ? next_delay(error, attempt) : std::chrono::milliseconds{0};
            gate.leave(rate_limited, delay);
            if (rate_limited) {
                waited_out = gate.paused_until();
            }
            if (!retry || waited + delay > m_options.retry.max_total_wait) {
                return error;
            }
            if (const auto left = time_left(); left && delay >= *left) {
                return beyond_deadline(call, delay, *left);
            }
            if (error.code == core::Errc::rate_limited) {
                m_options.on_rate_limit_wait({delay, call.what, call.is_create, true});
            } else {
                spdlog::info("{}; retrying in {} (attempt {} of {})", error.message,
                             format_wait(delay), attempt + 1, max_attempts);
            }
            m_options.sleep(delay);
            waited += delay;
            if (core::stop_requested()) {
                return error;
            }
        }
    }

    /// Waits out a pause the portal imposed on `gate`'s class of requests (unless it ends no
    /// later than `waited_out`), unless the run's deadline would pass first or a stop is
    /// requested.
    core::Status wait_for_gate(const detail::RateGate& gate, const Call& call,
                               detail::RateGate::Clock::time_point waited_out) const {
        const auto left = time_left();
        if (left && left->count() <= 0) {
            return core::make_error(core::Errc::deadline,
                                    call.what + ": not sent: the run's deadline has passed");
        }
        const auto until = gate.paused_until();
        const auto pause =
            std::chrono::ceil<std::chrono::milliseconds>(until - detail::RateGate::Clock::now());
        if (until <= waited_out || pause.count() <= 0) {
            return core::ok_status();
        }
        if (left && pause >= *left) {
            return beyond_deadline(call, pause, *left);
        }
        if (pause >= std::chrono::seconds{1}) {
            m_options.on_rate_limit_wait({pause, call.what, call.is_create, false});
        }
        m_options.sleep(pause);
        if (core::stop_requested()) {
            return core::make_error(core::Errc::cancelled,
                                    call.what + ": not sent: the run is stopping");
        }
        return core::ok_status();
    }

    /// Time until the run's deadline (possibly negative); nullopt without one.
    std::optional<std::chrono::milliseconds> time_left() const {
        if (!m_options.deadline) {
            return std::nullopt;
        }
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            *m_options.deadline - std::chrono::steady_clock::now());
    }

    static core::Error beyond_deadline(const Call& call, std::chrono::milliseconds wait,
                                       std::chrono::milliseconds left) {
        return core::make_error(core::Errc::deadline,
                                call.what + ": not sent: the portal asks to wait " +
                                    format_wait(wait) + ", and only " +
                                    format_wait(std::max(left, std::chrono::milliseconds{0})) +
                                    " are left before the run's deadline");
    }

    Verdict judge(const HttpResponse& response, const Call& call) const {
        if (response.transport_error) {
            const core::Error& cause = *response.transport_error;
            const bool retryable = cause.code == core::Errc::not_sent ||
                                   (!call.is_create && (cause.code == core::Errc::timeout ||
                                                        cause.code == core::Errc::connection_lost));
            return {with_message(cause, call.what + ": " + cause.message), retryable};
        }
        if (response.status >= 200 && response.status < 300 && call.key_list != nullptr) {
            auto keys = detail::parse_key_list_envelope(response.body);
            if (!keys) {
                return {with_message(keys.error(), call.what + ": " + keys.error().message), false};
            }
            *call.key_list = std::move(*keys);
            return {json(nullptr), false};
        }
        if (response.status >= 200 && response.status < 300) {
            auto envelope = detail::parse_envelope(response.body);
            if (!envelope) {
                return {with_message(envelope.error(), call.what + ": " + envelope.error().message),
                        false};
            }
            return {std::move(envelope), false};
        }
        // An empty 403 is the auth layer's scope gate; one with an ErrorApiResponse comes from
        // the keys controller: later servers (contract Appendix B) answer so where v3.7.2 said
        // 200 `false` (another user's key), and refuse guests the list.
        const bool api_403 = response.status == 403 && !detail::error_type(response.body).empty();
        if (api_403 && call.api_403_is_refusal) {
            spdlog::debug("{}: HTTP 403 from the keys controller, read as a refusal", call.what);
            return {json(false), false};
        }
        core::Error error = detail::error_from_response(response, call.what, m_options.clock());
        if (api_403 && !call.api_403_reason.empty()) {
            error.message = call.what + ": the portal answered HTTP 403 (" +
                            detail::describe_error_body(response.body) +
                            "): " + call.api_403_reason;
        }
        if (call.unknown_id_is_500 && response.status == 500 &&
            detail::error_type(response.body) == k_unknown_id_type) {
            error.message = call.what + ": the portal has no key with this id (HTTP 500, " +
                            std::string(k_unknown_id_type) + ")";
            error.unknown_id = true;
            return {error, false};
        }
        const bool retryable =
            call.is_create ? response.status == 429 : is_transient_status(response.status);
        return {error, retryable};
    }

    std::chrono::milliseconds next_delay(const core::Error& error, int attempt) const {
        const RetryPolicy& retry = m_options.retry;
        if (error.retry_after) {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                std::min(*error.retry_after, retry.max_retry_after));
        }
        // Full jitter: uniform in [0, min(max_delay, base * 2^(attempt-1))].
        const int doublings = std::min(attempt - 1, 30);
        const double ceiling = std::min(static_cast<double>(retry.max_delay.count()),
                                        static_cast<double>(retry.base_delay.count()) *
                                            static_cast<double>(1LL << doublings));
        const double factor = std::clamp(m_options.random(), 0.0, 1.0);
        return std::chrono::milliseconds{static_cast<long long>(factor * ceiling)};
    }

    /// Replaces the credential (and `extra_secret`) wherever they occur in `text`, so that a
    /// server echoing them cannot leak them, even truncated, into a message.
    std::string scrub_text(std::string text, const core::Secret* extra_secret) const {
        for (const core::Secret* secret : {&m_options.credential, extra_secret}) {
            if (secret == nullptr || secret->reveal().size() < 6) {
                continue;
            }
            const std::string& value = secret->reveal();
            for (auto at = text.find(value); at != std::string::npos; at = text.find(value, at)) {
                text.replace(at, value.size(), "***");
            }
        }
        return core::redact_secrets(text);
    }

    core::Error scrub(core::Error error, const core::Secret* extra_secret) const {
        error.message = scrub_text(std::move(error.message), extra_secret);
        return error;
    }

    template <class T>
    static core::Result<T> prefixed(core::Result<T> result, const std::string& what) {
        if (result) {
            return result;
        }
        return with_message(result.error(), what + ": " + result.error().message);
    }

    static core::Error with_message(core::Error error, std::string message) {
        error.message = std::move(message);
        return error;
    }

    static core::Error bad_id(const std::string& id) {
        return core::make_error(core::Errc::invalid_input,
                                "'" + core::redact_secrets(id) + "' is not a DocSpace key id");
    }

    HttpKeysApiOptions m_options;
    std::shared_ptr<HttpTransport> m_transport;
    detail::RateGate m_create_gate;   ///< POST /keys: the portal's 5-per-15-minutes bucket
    detail::RateGate m_general_gate;  ///< everything else: the portal's global limits
    std::mutex m_random_mutex;
    std::mt19937_64 m_random_engine;
};

}  // namespace

std::string describe(const RateLimitWait& wait) {
    return "waiting " + format_wait(wait.length) + " for the rate limit" +
           (wait.refused ? " (429) before " + wait.what + " again" : " before " + wait.what);
}

core::Secret authorization_for(const core::Secret& credential) {
    const std::string& value = credential.reveal();
    if (value.starts_with("sk-")) {
        return core::Secret{"Bearer " + value};
    }
    return credential;
}

std::unique_ptr<KeysApi> make_http_keys_api(HttpKeysApiOptions options,
                                            std::shared_ptr<HttpTransport> transport) {
    return std::make_unique<HttpKeysApi>(std::move(options), std::move(transport));
}

}  // namespace provision::api
