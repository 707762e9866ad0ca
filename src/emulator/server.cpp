// The request pipeline: test controls bypass everything; any other request is matched against
// the fault rules first, then handed to the Portal (or not, depending on the rule's action), and
// finally recorded in the request log with the status the client actually saw (0 = dropped).
// Sleeps for latency faults never hold the portal's mutex, and wake early on shutdown.
#include "server.hpp"

#include "connection.hpp"
#include "controls.hpp"
#include "faults.hpp"
#include "ids.hpp"
#include "portal.hpp"

#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <thread>

namespace emulator {
namespace {

ApiRequest to_api_request(const httplib::Request& request, const std::string& scheme,
                          const std::string& fallback_host) {
    ApiRequest api;
    api.method = request.method;
    api.path = request.path;
    if (api.path.size() > 1 && api.path.back() == '/') {
        api.path.pop_back();
    }
    const auto question = request.target.find('?');
    if (question != std::string::npos) {
        api.query = request.target.substr(question + 1);
    }
    for (const auto& [name, value] : request.headers) {
        api.headers[to_lower(name)] = value;
    }
    api.body = request.body;
    const std::string host = request.get_header_value("Host");
    api.base_url = scheme + "://" + (host.empty() ? fallback_host : host);
    return api;
}

void write_response(const ApiResponse& response, httplib::Response& out) {
    out.status = response.status;
    for (const auto& [name, value] : response.headers) {
        out.set_header(name, value);
    }
    if (!response.body.empty()) {
        out.set_content(response.body, response.content_type.empty()
                                           ? "application/json; charset=utf-8"
                                           : response.content_type.c_str());
    }
}

std::string guess_content_type(const std::string& body) {
    if (!body.empty() && (body.front() == '{' || body.front() == '[')) {
        return "application/json; charset=utf-8";
    }
    if (!body.empty() && body.front() == '<') {
        return "text/html; charset=utf-8";
    }
    return "text/plain; charset=utf-8";
}

std::string auth_name(AuthKind kind) {
    switch (kind) {
    case AuthKind::session:
        return "session";
    case AuthKind::apikey:
        return "apikey";
    case AuthKind::none:
        return "none";
    }
    return "none";
}

/// True when a request announces a body the HTTP/1.1 way: Content-Length or chunked encoding.
bool has_body_framing(const httplib::Request& request) {
    return request.has_header("Content-Length") ||
           to_lower(request.get_header_value("Transfer-Encoding")).find("chunked") !=
               std::string::npos;
}

/// The methods cpp-httplib reads a body for.
bool reads_body(const std::string& method) {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

/// The real body padded with a "padding" string so that it is exactly `size` bytes of JSON.
std::string oversized_body(const std::string& real, std::size_t size) {
    const std::string head = "{\"padding\":\"";
    std::string rest = "\"}";
    if (!real.empty() && real.front() == '{' && real.size() > 2) {
        rest = "\"," + real.substr(1);
    }
    const std::size_t fixed = head.size() + rest.size();
    const std::size_t fill = size > fixed ? size - fixed : 0;
    return head + std::string(fill, 'x') + rest;
}

}  // namespace

struct Server::Impl {
    explicit Impl(const Options& opts) : options(opts), portal(opts) {}

    Options options;
    Portal portal;
    FaultSet faults;
    RequestLog log;
    std::unique_ptr<httplib::Server> http;
    std::string scheme = "http";
    int port = 0;
    std::mutex stop_mutex;
    std::condition_variable stop_cv;
    bool stopping = false;

    /// Sleeps up to `ms`, waking early when the server stops.
    void pause(int ms) {
        std::unique_lock lock(stop_mutex);
        stop_cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping; });
    }

    ApiResponse apply_fault(const FaultRule& rule, const ApiRequest& request, AuthKind& auth,
                            bool& dropped);
    void handle(const httplib::Request& request, httplib::Response& response);
    void sweep_loop();
};

ApiResponse Server::Impl::apply_fault(const FaultRule& rule, const ApiRequest& request,
                                      AuthKind& auth, bool& dropped) {
    // commit_silent holds the connection after processing; every other action waits first.
    if (rule.latency_ms > 0 && rule.action != FaultAction::commit_silent) {
        pause(rule.latency_ms);
    }
    ApiResponse answer;
    switch (rule.action) {
    case FaultAction::status:
        answer.status = rule.status;
        answer.body = rule.body;
        answer.content_type =
            rule.content_type.empty() ? guess_content_type(rule.body) : rule.content_type;
        if (rule.retry_after) {
            answer.headers.push_back({"Retry-After", std::to_string(*rule.retry_after)});
        }
        return answer;
    case FaultAction::latency:
        return portal.handle(request, auth);
    case FaultAction::drop:
    case FaultAction::silent:
        dropped = true;
        return answer;
    case FaultAction::commit_drop:
        portal.handle(request, auth);
        dropped = true;
        return answer;
    case FaultAction::commit_silent:
        portal.handle(request, auth);
        pause(rule.latency_ms);
        dropped = true;
        return answer;
    case FaultAction::commit_500:
        portal.handle(request, auth);
        answer.status = 500;
        answer.body = "<html><head><title>500 Internal Server Error</title></head><body>"
                      "<center><h1>500 Internal Server Error</h1></center></body></html>";
        answer.content_type = "text/html";
        return answer;
    case FaultAction::malformed: {
        const ApiResponse real = portal.handle(request, auth);
        const std::string body = real.body.size() > 2 ? real.body : "{\"response\":{\"id\":";
        answer.body = body.substr(0, body.size() / 2);
        answer.content_type = "application/json; charset=utf-8";
        return answer;
    }
    case FaultAction::oversized: {
        const ApiResponse real = portal.handle(request, auth);
        answer.body = oversized_body(real.body, rule.body_bytes);
        answer.content_type = "application/json; charset=utf-8";
        return answer;
    }
    case FaultAction::rate_limit:
        answer.status = 429;
        answer.headers.push_back({"Retry-After", std::to_string(rule.retry_after.value_or(1))});
        answer.headers.push_back(
            {"X-RateLimit-Limit", std::to_string(rule.limit.value_or(options.rate_limit_count))});
        answer.headers.push_back({"X-RateLimit-Remaining", "0"});
        return answer;
    case FaultAction::redirect:
        answer.status = rule.status != 0 ? rule.status : 307;
        answer.headers.push_back(
            {"Location",
             rule.location + request.path + (request.query.empty() ? "" : "?" + request.query)});
        return answer;
    }
    return answer;
}

void Server::Impl::handle(const httplib::Request& request, httplib::Response& response) {
    const ApiRequest api =
        to_api_request(request, scheme, options.host + ":" + std::to_string(port));
    if (api.path.rfind("/__emulator/", 0) == 0 || api.path == "/__emulator") {
        write_response(options.test_controls ? handle_control(api, portal, faults, log)
                                             : empty_status(404),
                       response);
        return;
    }
    const auto started = std::chrono::steady_clock::now();
    LogEntry entry;
    entry.seq = log.next_seq();
    entry.method = api.method;
    entry.path = api.path;
    entry.query = api.query;
    entry.time = now_ticks();
    AuthKind auth = AuthKind::none;
    bool dropped = false;
    ApiResponse answer;
    if (const auto rule = faults.take(api.method, api.path)) {
        entry.fault = rule->id;
        answer = apply_fault(*rule, api, auth, dropped);
    } else {
        answer = portal.handle(api, auth);
    }
    entry.status = dropped ? 0 : answer.status;
    entry.auth = auth_name(auth);
    entry.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    if (options.log_requests) {
        std::fprintf(stderr, "%s %s -> %d (%.1f ms)%s\n", entry.method.c_str(), entry.path.c_str(),
                     entry.status, entry.duration_ms,
                     entry.fault.empty() ? "" : (" fault " + entry.fault).c_str());
    }
    // The entry is logged before the client can see anything (a response or a closed
    // connection), so a client that reads the log right after its request finds it there.
    log.add(std::move(entry));
    if (dropped) {
        shut_down_connection(request.remote_addr, request.remote_port, request.local_port);
        response.status = 200;
    } else {
        write_response(answer, response);
    }
}

void Server::Impl::sweep_loop() {
    if (options.sweep_interval_seconds <= 0) {
        return;
    }
    const auto interval = std::chrono::duration<double>(options.sweep_interval_seconds);
    std::unique_lock lock(stop_mutex);
    while (!stop_cv.wait_for(lock, interval, [this] { return stopping; })) {
        lock.unlock();
        portal.sweep();
        lock.lock();
    }
}

Server::Server(const Options& options) : m_impl(std::make_unique<Impl>(options)) {}

Server::~Server() = default;

void Server::stop() {
    {
        const std::lock_guard lock(m_impl->stop_mutex);
        m_impl->stopping = true;
    }
    m_impl->stop_cv.notify_all();
    if (m_impl->http) {
        m_impl->http->stop();
    }
}

int Server::run() {
    Impl& impl = *m_impl;
    const Options& options = impl.options;
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    if (options.tls()) {
        impl.http =
            std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
        impl.scheme = "https";
    } else {
        impl.http = std::make_unique<httplib::Server>();
    }
    if (!impl.http->is_valid()) {
        std::cerr << "docspace-emulator: cannot load the TLS certificate or key\n";
        return 1;
    }
    const auto threads = static_cast<std::size_t>(options.threads);
    impl.http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    impl.http->set_payload_max_length(options.max_body);
    impl.http->set_keep_alive_timeout(2);
    // Without TCP_NODELAY, Nagle's algorithm and delayed ACKs add ~40 ms to every request on a
    // reused connection (measured by bench_emulator), far more than a real portal's overhead.
    impl.http->set_tcp_nodelay(true);
    const auto handler = [&impl](const httplib::Request& req, httplib::Response& res) {
        impl.handle(req, res);
    };
    // A request with neither Content-Length nor chunked encoding has an empty body (RFC 9112
    // §6.3, and Kestrel reads it so), but cpp-httplib would read until the client closes:
    // `curl -X POST` would hang and then get 400. Answer those before any body is read.
    impl.http->set_pre_routing_handler(
        [&impl](const httplib::Request& req, httplib::Response& res) {
            if (!reads_body(req.method) || has_body_framing(req)) {
                return httplib::Server::HandlerResponse::Unhandled;
            }
            impl.handle(req, res);
            return httplib::Server::HandlerResponse::Handled;
        });
    impl.http->Get(".*", handler);
    impl.http->Post(".*", handler);
    impl.http->Put(".*", handler);
    impl.http->Patch(".*", handler);
    impl.http->Delete(".*", handler);
    impl.http->Options(".*", handler);

    // cpp-httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, compiled into Debian's
    // library). A client opening 16 connections at once (a create per connection at
    // --concurrency 16) overflows it, and every dropped SYN costs that client a 1 s
    // retransmission: a 100-key apply at --concurrency 16 took 1.2 s instead of 0.2 s, with
    // the kernel's ListenOverflows counting the drops. A portal's server takes such bursts
    // (nginx listens with 511), so the bound socket listens again with the system's maximum.
    int listener = -1;
    impl.http->set_socket_options([&listener](int sock) {
        httplib::default_socket_options(sock);
        listener = sock;
    });
    impl.port = options.port == 0
                    ? impl.http->bind_to_any_port(options.host)
                    : (impl.http->bind_to_port(options.host, options.port) ? options.port : -1);
    if (impl.port > 0 && listener >= 0) {
        ::listen(listener, SOMAXCONN);
    }
    if (impl.port <= 0) {
        std::cerr << "docspace-emulator: cannot listen on " << options.host << ":" << options.port
                  << "\n";
        return 1;
    }
    if (!options.port_file.empty()) {
        try {
            write_file_atomically(options.port_file, std::to_string(impl.port) + "\n");
        } catch (const std::exception& e) {
            std::cerr << "docspace-emulator: " << e.what() << "\n";
            return 1;
        }
    }
    std::printf("docspace-emulator listening on %s://%s:%d\n", impl.scheme.c_str(),
                options.host.c_str(), impl.port);
    std::fflush(stdout);

    std::atomic<bool> finished{false};
    std::thread signal_thread([this, &signals, &finished] {
        int received = 0;
        sigwait(&signals, &received);
        if (!finished) {
            stop();
        }
    });
    std::thread sweeper([&impl] { impl.sweep_loop(); });
    impl.http->listen_after_bind();
    finished = true;
    {
        const std::lock_guard lock(impl.stop_mutex);
        impl.stopping = true;
    }
    impl.stop_cv.notify_all();
    pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
    sweeper.join();
    return 0;
}

}  // namespace emulator
