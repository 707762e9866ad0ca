#pragma once
/// The HTTP transport seam. libcurl lives only in src/api/curl_transport.cpp. Transport
/// failures are carried inside the response (as in libcpr), never thrown.

#include "provision/core/result.hpp"
#include "provision/core/secret.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace provision::api {

struct HttpRequest {
    std::string method;          ///< GET, POST, PUT, DELETE
    std::string url;             ///< absolute
    std::string body;            ///< JSON; empty for GET/DELETE
    core::Secret authorization;  ///< full Authorization header value; never logged
    /// Shorter limit for this transfer than TransportOptions::request_timeout (what is left of
    /// the run's deadline, say).
    std::optional<std::chrono::milliseconds> timeout;
    /// Larger limit for this answer than TransportOptions::max_response_bytes (the key list).
    std::optional<std::size_t> max_response_bytes;
};

struct HttpResponse {
    /// Set when no complete HTTP response was received. Its code is one of not_sent,
    /// timeout, connection_lost, tls, redirect (see core::Errc).
    std::optional<core::Error> transport_error;
    int status = 0;
    std::map<std::string, std::string> headers;  ///< names lower-cased
    std::string body;
};

struct TransportOptions {
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds request_timeout{30'000};  ///< whole transfer
    long low_speed_limit = 1;                           ///< bytes/s ...
    std::chrono::seconds low_speed_time{20};            ///< ... for this long => timeout
    std::size_t max_response_bytes = std::size_t{4} * 1024 * 1024;  ///< larger => protocol error
    std::filesystem::path ca_bundle;                                ///< empty = system store
    long max_connections = 16;                                      ///< kept open for reuse
    bool trace = false;  ///< log redacted requests/responses
    /// A POST opens a connection of its own (CURLOPT_FRESH_CONNECT): libcurl silently resends
    /// a request on a new connection when a reused one closes before any answer, so a create
    /// the portal processed on a connection that then died would make a second key, its
    /// secret never seen (docs/network.md#connections). GET, PUT and DELETE reuse connections.
    /// false only in the test and the benchmark that show what it prevents and what it costs;
    /// the product never turns it off.
    bool post_on_fresh_connection = true;
};

class HttpTransport {
public:
    virtual ~HttpTransport() = default;
    /// Sends one request; never follows redirects (a 3xx is a transport_error naming Location).
    /// Safe to call from several threads at once: each call waits for its own transfer.
    virtual HttpResponse send(const HttpRequest& request) = 0;
};

/// libcurl implementation over one multi handle, driven by its own thread: concurrent sends
/// run in parallel and share a cache of open connections. TLS verification is always on.
std::unique_ptr<HttpTransport> make_curl_transport(const TransportOptions& options);

}  // namespace provision::api
