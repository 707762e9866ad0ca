#pragma once
/// KeysApi over HTTP: builds requests, parses the three error shapes of contract §6 and the
/// success envelope, converts dates to UTC. Retries only what is safe (never a POST whose
/// outcome is unknown).

#include "provision/api/http_transport.hpp"
#include "provision/api/keys_api.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace provision::api {

struct RetryPolicy {
    int max_attempts = 4;  ///< for safe requests
    std::chrono::milliseconds base_delay{200};
    std::chrono::milliseconds max_delay{10'000};
    std::chrono::seconds max_retry_after{900};  ///< clamp for Retry-After
    /// Overall budget of waiting (backoff and Retry-After) for one call; a wait that would
    /// exceed it is not started and the last error is returned instead.
    std::chrono::seconds max_total_wait{1800};
};

/// A wait for the portal's rate limit, told as it starts: a 429's Retry-After (or the backoff
/// chosen for it), or the pause another request of the same class met.
struct RateLimitWait {
    std::chrono::milliseconds length{0};
    std::string what;      ///< the request that waits: "creating 'Integration Bot'"
    bool create = false;   ///< a create (creates are limited apart from everything else)
    bool refused = false;  ///< this request was just answered 429; else it waits out a pause
};

/// "waiting 9.9 s for the rate limit before creating 'Integration Bot'" ("... (429) before
/// creating 'Integration Bot' again" when the request was refused). Every wait is written in
/// seconds with one decimal.
std::string describe(const RateLimitWait& wait);

struct HttpKeysApiOptions {
    std::string base_url;     ///< "https://portal.example.com" (no trailing slash needed)
    core::Secret credential;  ///< admin session token or unrestricted API key ("sk-...")
    RetryPolicy retry;
    /// Requests of one class (creates; everything else) allowed in flight at once; a 429 halves
    /// it for the rest of the run, each success adds one back up to this ceiling.
    int concurrency = 4;
    /// No request is sent, and no wait started, that would end after this moment; a transfer's
    /// timeout is cut to the time left. Unset: no overall deadline.
    std::optional<std::chrono::steady_clock::time_point> deadline;
    /// Sleeps between retries; replaceable so tests run instantly. Default: this_thread.
    std::function<void(std::chrono::milliseconds)> sleep;
    /// Current time, for Retry-After HTTP dates. Default: core::now_utc.
    std::function<core::Timestamp()> clock;
    /// Uniform random number in [0, 1) for backoff jitter. Default: a seeded std::mt19937_64.
    std::function<double()> random;
    /// Told of each wait for the rate limit as it starts, on the thread that waits, so that the
    /// caller can report it with the run's progress. Default: logs describe(wait) at info level.
    std::function<void(const RateLimitWait&)> on_rate_limit_wait;
};

/// Authorization header value for a credential: "Bearer sk-..." for API keys, the raw token
/// for session tokens (contract §5).
core::Secret authorization_for(const core::Secret& credential);

/// KeysApi over `transport`. Every call first checks options.base_url with check_portal_url
/// and fails with Errc::invalid_input, sending nothing, when it is refused.
std::unique_ptr<KeysApi> make_http_keys_api(HttpKeysApiOptions options,
                                            std::shared_ptr<HttpTransport> transport);

/// Parses Retry-After: delta-seconds or an HTTP date (relative to `now`); nullopt for garbage.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, core::Timestamp now);

/// Accepts "https://host[:port][/path]", and "http://" only when host is a loopback address
/// (127.0.0.0/8, localhost, [::1]). Refuses user info, queries and fragments. Errors are
/// Errc::invalid_input with a message naming the URL (never its user info).
core::Status check_portal_url(std::string_view url);

/// The portal URL in one spelling, for comparing two: lower-case scheme and host, no default
/// port, no trailing slash. A URL that does not parse is returned as given.
std::string normalize_portal_url(std::string_view url);

}  // namespace provision::api
