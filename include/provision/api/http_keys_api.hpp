#pragma once
/// KeysApi over HTTP: builds requests, parses the three error shapes of contract §6 and the
/// success envelope, converts dates to UTC. Retries only what is safe (never a POST whose
/// outcome is unknown).

#include "provision/api/http_transport.hpp"
#include "provision/api/keys_api.hpp"

#include <functional>
#include <memory>
#include <string>

namespace provision::api {

struct RetryPolicy {
    int max_attempts = 4;                               ///< for safe requests
    std::chrono::milliseconds base_delay{200};
    std::chrono::milliseconds max_delay{10'000};
    std::chrono::seconds max_retry_after{900};          ///< clamp for Retry-After
};

struct HttpKeysApiOptions {
    std::string base_url;      ///< "https://portal.example.com" (no trailing slash needed)
    core::Secret credential;   ///< admin session token or unrestricted API key ("sk-...")
    RetryPolicy retry;
    /// Sleeps between retries; replaceable so tests run instantly. Default: this_thread.
    std::function<void(std::chrono::milliseconds)> sleep;
};

/// Authorization header value for a credential: "Bearer sk-..." for API keys, the raw token
/// for session tokens (contract §5).
core::Secret authorization_for(const core::Secret& credential);

std::unique_ptr<KeysApi> make_http_keys_api(HttpKeysApiOptions options,
                                            std::shared_ptr<HttpTransport> transport);

/// Parses Retry-After: delta-seconds or an HTTP date (relative to `now`); nullopt for garbage.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      core::Timestamp now);

}  // namespace provision::api
