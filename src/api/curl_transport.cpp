// The libcurl transport: the only file that makes transfers. (The api module's other libcurl
// users are its URL parser, in portal_url.cpp, and its date parser, in retry_after.cpp.)
//
// Each request runs on its own easy handle: configure_easy() turns an HttpRequest and the
// TransportOptions into handle settings, and finish_transfer() turns the CURLcode plus what the
// callbacks collected into an HttpResponse. In between, the handle belongs to one multi handle
// driven by a dedicated thread (CurlTransport::drive): any number of threads may call send()
// at once, their transfers run in parallel, and the multi handle's connection cache lets each
// transfer reuse a connection an earlier one left open. Failures are classified by what they
// say about the request's fate:
// not_sent when it provably never left (resolve/connect failures, a timeout before the
// request was written), timeout/connection_lost when the server may have processed it.

#include "provision/api/http_transport.hpp"
#include "provision/core/interrupt.hpp"

#include "api/text.hpp"
#include "api/url_parts.hpp"
#include "provision/core/secret.hpp"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace provision::api {

namespace {

using detail::lower;
using detail::trim;

/// Per-transfer state the callbacks fill in; lives as long as its easy handle is in use.
struct Transfer {
    explicit Transfer(const TransportOptions& transport_options) : options(transport_options) {}
    Transfer(const Transfer&) = delete;
    Transfer& operator=(const Transfer&) = delete;
    ~Transfer() {
        // The list holds a copy of the Authorization header: wipe it before freeing.
        for (curl_slist* item = headers; item != nullptr; item = item->next) {
            OPENSSL_cleanse(item->data, std::strlen(item->data));
        }
        curl_slist_free_all(headers);
    }

    const TransportOptions& options;
    HttpResponse response;
    std::size_t max_bytes = 0;  ///< the request's own limit, else the transport's
    bool too_large = false;
    curl_slist* headers = nullptr;
    std::array<char, CURL_ERROR_SIZE> error_buffer{};
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    if (transfer.response.body.size() + bytes > transfer.max_bytes) {
        transfer.too_large = true;
        return 0;  // makes curl abort with CURLE_WRITE_ERROR
    }
    transfer.response.body.append(data, bytes);
    return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    const std::string_view line(data, bytes);
    if (line.starts_with("HTTP/")) {
        transfer.response.headers.clear();  // a new response (after 100 Continue, say)
        return bytes;
    }
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
        const std::string name = lower(trim(line.substr(0, colon)));
        const std::string value(trim(line.substr(colon + 1)));
        if (name == "content-length") {
            // One allocation of the announced size instead of doubling up to it (a key list of
            // 10,000 keys is about 8 MB); a body larger than announced still grows as needed.
            std::size_t length = 0;
            const auto [end, ec] =
                std::from_chars(value.data(), value.data() + value.size(), length);
            if (ec == std::errc{} && end == value.data() + value.size() &&
                length <= transfer.max_bytes) {
                transfer.response.body.reserve(length);
            }
        }
        auto [it, inserted] = transfer.response.headers.emplace(name, value);
        if (!inserted) {
            it->second += ", " + value;
        }
    }
    return bytes;
}

/// A second SIGINT/SIGTERM aborts transfers in flight (the first lets them finish).
int on_progress(void* /*data*/, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/,
                curl_off_t /*ultotal*/, curl_off_t /*ulnow*/) {
    return core::abort_requested() ? 1 : 0;
}

template <class T> void set(CURL* easy, CURLoption option, T value) {
    curl_easy_setopt(easy, option, value);
}

/// Applies every setting of a request to a fresh easy handle.
void configure_easy(CURL* easy, const HttpRequest& request, Transfer& transfer) {
    const TransportOptions& options = transfer.options;
    transfer.max_bytes = request.max_response_bytes.value_or(options.max_response_bytes);
    set(easy, CURLOPT_URL, request.url.c_str());
    set(easy, CURLOPT_ERRORBUFFER, transfer.error_buffer.data());
    set(easy, CURLOPT_NOSIGNAL, 1L);
    set(easy, CURLOPT_FOLLOWLOCATION, 0L);
    set(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    set(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    set(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options.ca_bundle.empty()) {
        set(easy, CURLOPT_CAINFO, options.ca_bundle.c_str());
    }
    set(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
    const auto timeout = request.timeout ? std::min(*request.timeout, options.request_timeout)
                                         : options.request_timeout;
    set(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<long long>(1, timeout.count())));
    set(easy, CURLOPT_LOW_SPEED_LIMIT, options.low_speed_limit);
    set(easy, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.low_speed_time.count()));
    // Proxies come from the environment (libcurl's default), except for loopback portals,
    // which a proxy could not reach.
    if (const auto parts = detail::split_url(request.url);
        parts && detail::is_loopback_host(parts->host)) {
        set(easy, CURLOPT_PROXY, "");
    }

    set(easy, CURLOPT_NOPROGRESS, 0L);
    set(easy, CURLOPT_XFERINFOFUNCTION, &on_progress);

    set(easy, CURLOPT_WRITEFUNCTION, &on_body);
    set(easy, CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
    set(easy, CURLOPT_HEADERFUNCTION, &on_header);
    set(easy, CURLOPT_HEADERDATA, static_cast<void*>(&transfer));

    transfer.headers = curl_slist_append(transfer.headers, "Accept: application/json");
    transfer.headers = curl_slist_append(transfer.headers, "Expect:");
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
        transfer.headers = curl_slist_append(transfer.headers, "Content-Type: application/json");
    }
    if (!request.authorization.empty()) {
        std::string header = "Authorization: " + request.authorization.reveal();
        transfer.headers = curl_slist_append(transfer.headers, header.c_str());
        OPENSSL_cleanse(header.data(), header.size());
    }
    set(easy, CURLOPT_HTTPHEADER, transfer.headers);

    if (request.method == "GET") {
        set(easy, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "POST") {
        set(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
        set(easy, CURLOPT_POSTFIELDS, request.body.c_str());
        // libcurl silently resends a request whose reused connection closes before any answer
        // (Curl_retry_request takes that for a stale keep-alive; 7.88 has no option against
        // it). For a create that would be a blind retry of a POST the portal may have
        // processed, so a POST opens its own connection (TransportOptions), and closes it
        // after its answer: idle in the cache it would only hold one of the portal's workers
        // until its keep-alive ran out, since no later POST may use it.
        const long own = options.post_on_fresh_connection ? 1L : 0L;
        set(easy, CURLOPT_FRESH_CONNECT, own);
        set(easy, CURLOPT_FORBID_REUSE, own);
    } else {
        set(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        if (!request.body.empty() || request.method == "PUT") {
            set(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
            set(easy, CURLOPT_POSTFIELDS, request.body.c_str());
        }
    }
}

core::Errc classify(CURLcode code, bool request_started, bool too_large) {
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return core::Errc::not_sent;
    case CURLE_OPERATION_TIMEDOUT:
        return request_started ? core::Errc::timeout : core::Errc::not_sent;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
        return core::Errc::tls;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
        return core::Errc::connection_lost;
    case CURLE_WRITE_ERROR:
        return too_large ? core::Errc::protocol : core::Errc::connection_lost;
    case CURLE_WEIRD_SERVER_REPLY:
        return core::Errc::protocol;
    case CURLE_ABORTED_BY_CALLBACK:
        // Aborted by a second signal: once sent, the request may have been processed.
        return request_started ? core::Errc::connection_lost : core::Errc::cancelled;
    default:
        return request_started ? core::Errc::connection_lost : core::Errc::not_sent;
    }
}

std::string describe(core::Errc code) {
    switch (code) {
    case core::Errc::not_sent:
        return "the request was not sent";
    case core::Errc::timeout:
        return "no complete answer before the timeout";
    case core::Errc::connection_lost:
        return "the connection was lost after sending";
    case core::Errc::tls:
        return "the TLS handshake or certificate check failed";
    default:
        return "the transfer failed";
    }
}

void trace_exchange(const HttpRequest& request, const HttpResponse& response) {
    if (!spdlog::should_log(spdlog::level::trace)) {
        return;
    }
    const std::string& auth = request.authorization.reveal();
    std::string shown_auth = "***";
    if (auth.starts_with("Bearer ")) {
        shown_auth = "Bearer " + core::Secret{auth.substr(7)}.redacted();
    }
    spdlog::trace("http > {} {}", request.method, core::redact_secrets(request.url));
    spdlog::trace("http > Authorization: {}",
                  request.authorization.empty() ? "(none)" : shown_auth);
    if (!request.body.empty()) {
        spdlog::trace("http > {}", core::redact_secrets(request.body));
    }
    if (response.transport_error) {
        spdlog::trace("http < ({}) {}", core::to_string(response.transport_error->code),
                      response.transport_error->message);
        return;
    }
    spdlog::trace("http < {}", response.status);
    for (const auto& [name, value] : response.headers) {
        const bool sensitive = name == "set-cookie" || name == "authorization";
        spdlog::trace("http < {}: {}", name, sensitive ? "***" : core::redact_secrets(value));
    }
    if (!response.body.empty()) {
        spdlog::trace("http < {}", core::redact_secrets(response.body));
    }
}

/// Turns the outcome of a finished transfer into an HttpResponse.
HttpResponse finish_transfer(CURL* easy, CURLcode code, Transfer& transfer,
                             const HttpRequest& request) {
    HttpResponse response = std::move(transfer.response);
    const std::string where = request.method + " " + core::redact_secrets(request.url);
    if (code != CURLE_OK) {
        curl_off_t pretransfer = 0;
        curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
        const core::Errc errc = classify(code, pretransfer > 0, transfer.too_large);
        std::string message;
        if (errc == core::Errc::protocol && transfer.too_large) {
            message =
                where + ": response larger than " + std::to_string(transfer.max_bytes) + " bytes";
        } else {
            const char* detail = transfer.error_buffer[0] != '\0' ? transfer.error_buffer.data()
                                                                  : curl_easy_strerror(code);
            const std::string what =
                code == CURLE_OPERATION_TIMEDOUT && errc == core::Errc::not_sent
                    ? "timed out before the request was sent"
                    : describe(errc);
            message = where + ": " + what + " (" + core::redact_secrets(detail) + ")";
        }
        response.status = 0;
        response.transport_error = core::make_error(errc, std::move(message));
        return response;
    }
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    if (status >= 300 && status < 400) {
        const auto location = response.headers.find("location");
        const std::string target = location == response.headers.end()
                                       ? "no Location header"
                                       : "Location " + core::redact_secrets(location->second);
        response.transport_error = core::make_error(
            core::Errc::redirect, where + ": the server answered HTTP " + std::to_string(status) +
                                      " redirecting to " + target +
                                      "; redirects are never followed (check the portal URL)");
    }
    return response;
}

class CurlTransport final : public HttpTransport {
public:
    explicit CurlTransport(const TransportOptions& options)
        : m_options(options), m_multi(curl_multi_init()) {
        if (m_multi != nullptr) {
            curl_multi_setopt(m_multi, CURLMOPT_MAXCONNECTS, std::max(1L, options.max_connections));
            m_driver = std::thread([this] { drive(); });
        }
    }

    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    ~CurlTransport() override {
        if (m_multi == nullptr) {
            return;
        }
        {
            const std::lock_guard lock(m_mutex);
            m_closing = true;
        }
        curl_multi_wakeup(m_multi);
        m_driver.join();
        curl_multi_cleanup(m_multi);
    }

    HttpResponse send(const HttpRequest& request) override {
        CURL* easy = m_multi != nullptr ? curl_easy_init() : nullptr;
        if (easy == nullptr) {
            HttpResponse response;
            response.transport_error =
                core::make_error(core::Errc::not_sent, "could not create a libcurl handle");
            return response;
        }
        Transfer transfer(m_options);
        configure_easy(easy, request, transfer);
        Job job{easy, &transfer, &request, HttpResponse{}, false};
        {
            std::unique_lock lock(m_mutex);
            m_incoming.push_back(&job);
            curl_multi_wakeup(m_multi);
            m_finished.wait(lock, [&] { return job.done; });
        }
        curl_easy_cleanup(easy);
        if (m_options.trace) {
            trace_exchange(request, job.response);
        }
        return std::move(job.response);
    }

private:
    /// One send() waiting for its transfer. The sending thread owns it; the driver touches it
    /// only between taking it from m_incoming and setting `done`.
    struct Job {
        CURL* easy;
        Transfer* transfer;
        const HttpRequest* request;
        HttpResponse response;
        bool done = false;
    };

    /// The driver thread: adds new transfers, runs the multi handle, completes finished ones.
    void drive() {
        std::map<CURL*, Job*> running;
        for (;;) {
            {
                const std::lock_guard lock(m_mutex);
                for (Job* job : m_incoming) {
                    curl_multi_add_handle(m_multi, job->easy);
                    running.emplace(job->easy, job);
                }
                m_incoming.clear();
                if (m_closing && running.empty()) {
                    return;
                }
            }
            int still_running = 0;
            curl_multi_perform(m_multi, &still_running);
            int queued = 0;
            while (CURLMsg* message = curl_multi_info_read(m_multi, &queued)) {
                if (message->msg != CURLMSG_DONE) {
                    continue;
                }
                CURL* easy = message->easy_handle;
                const CURLcode code = message->data.result;
                const auto found = running.find(easy);
                Job* job = found->second;
                running.erase(found);
                curl_multi_remove_handle(m_multi, easy);
                job->response = finish_transfer(easy, code, *job->transfer, *job->request);
                const std::lock_guard lock(m_mutex);
                job->done = true;  // after this the sender may free the job
                m_finished.notify_all();
            }
            // Wakes for socket activity, curl's own timers, a new job (curl_multi_wakeup), or
            // after 100 ms, so that a second signal's abort is seen by the progress callback.
            curl_multi_poll(m_multi, nullptr, 0, 100, nullptr);
        }
    }

    TransportOptions m_options;
    CURLM* m_multi;
    std::thread m_driver;
    std::mutex m_mutex;  ///< guards m_incoming, m_closing and every Job::done
    std::condition_variable m_finished;
    std::vector<Job*> m_incoming;
    bool m_closing = false;
};

}  // namespace

std::unique_ptr<HttpTransport> make_curl_transport(const TransportOptions& options) {
    static std::once_flag k_init;
    std::call_once(k_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    return std::make_unique<CurlTransport>(options);
}

}  // namespace provision::api
