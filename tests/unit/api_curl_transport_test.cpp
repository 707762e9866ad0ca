// The libcurl transport against tiny in-process servers on 127.0.0.1 (OS-chosen ports): the
// behaviours that only a real socket can show (redirects, size caps, timeouts, refusals).

#include "api_test_support.hpp"
#include "emulator_fixture.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

using namespace provision;
using namespace std::chrono_literals;

namespace {

/// An httplib server on 127.0.0.1 with a port chosen by the OS, stopped on destruction.
class LocalServer {
public:
    LocalServer() {
        m_port = m_server.bind_to_any_port("127.0.0.1");
        REQUIRE(m_port > 0);
        m_thread = std::thread([this] { m_server.listen_after_bind(); });
    }
    ~LocalServer() {
        m_server.stop();
        m_thread.join();
    }
    LocalServer(const LocalServer&) = delete;
    LocalServer& operator=(const LocalServer&) = delete;

    httplib::Server& server() { return m_server; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

private:
    httplib::Server m_server;
    int m_port = 0;
    std::thread m_thread;
};

/// A TCP socket bound to 127.0.0.1 with an OS-chosen port; listening or not.
class RawSocket {
public:
    explicit RawSocket(bool listening) : m_fd(::socket(AF_INET, SOCK_STREAM, 0)) {
        REQUIRE(m_fd >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        socklen_t length = sizeof address;
        REQUIRE(::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
        m_port = ntohs(address.sin_port);
        if (listening) {
            REQUIRE(::listen(m_fd, 8) == 0);
        }
    }
    ~RawSocket() { ::close(m_fd); }
    RawSocket(const RawSocket&) = delete;
    RawSocket& operator=(const RawSocket&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

private:
    int m_fd;
    int m_port = 0;
};

api::HttpRequest get(const std::string& url) {
    return api::HttpRequest{"GET",        url,         "", core::Secret{"Bearer session-abcdef"},
                            std::nullopt, std::nullopt};
}

api::TransportOptions fast_options() {
    api::TransportOptions options;
    options.connect_timeout = 2000ms;
    options.request_timeout = 300ms;
    return options;
}

}  // namespace

TEST_CASE("curl: a 307 redirect is not followed and names the Location", "[api]") {
    LocalServer target;
    std::atomic<int> target_hits{0};
    target.server().Get(".*", [&](const httplib::Request&, httplib::Response& res) {
        ++target_hits;
        res.set_content("{}", "application/json");
    });
    LocalServer portal;
    const std::string location = target.url() + "/api/2.0/keys";
    portal.server().Post("/api/2.0/keys", [&](const httplib::Request&, httplib::Response& res) {
        res.status = 307;
        res.set_header("Location", location);
    });
    auto transport = api::make_curl_transport(fast_options());
    const auto response = transport->send(
        api::HttpRequest{"POST", portal.url() + "/api/2.0/keys", R"({"name":"x"})",
                         core::Secret{"Bearer session-abcdef"}, std::nullopt, std::nullopt});
    REQUIRE(response.transport_error.has_value());
    CHECK(response.transport_error->code == core::Errc::redirect);
    CHECK_THAT(response.transport_error->message, Catch::Contains(location));
    CHECK(target_hits == 0);
}

TEST_CASE("curl: a response larger than the cap is a protocol error", "[api]") {
    LocalServer portal;
    portal.server().Get("/big", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(std::string(64 * 1024, 'x'), "application/json");
    });
    auto options = fast_options();
    options.request_timeout = 5000ms;
    options.max_response_bytes = 1024;
    const auto response = api::make_curl_transport(options)->send(get(portal.url() + "/big"));
    REQUIRE(response.transport_error.has_value());
    CHECK(response.transport_error->code == core::Errc::protocol);
    CHECK_THAT(response.transport_error->message,
               Catch::Contains("response larger than 1024 bytes"));

    // A request may allow more than the transport's cap (the key list does), and still has a cap.
    auto bigger = get(portal.url() + "/big");
    bigger.max_response_bytes = 64 * 1024;
    const auto allowed = api::make_curl_transport(options)->send(bigger);
    REQUIRE_FALSE(allowed.transport_error.has_value());
    CHECK(allowed.body.size() == 64 * 1024);
    bigger.max_response_bytes = 64 * 1024 - 1;
    const auto refused = api::make_curl_transport(options)->send(bigger);
    REQUIRE(refused.transport_error.has_value());
    CHECK_THAT(refused.transport_error->message,
               Catch::Contains("response larger than 65535 bytes"));
}

TEST_CASE("curl: a server that accepts and stays silent times out", "[api]") {
    RawSocket silent(true);
    const auto response = api::make_curl_transport(fast_options())->send(get(silent.url() + "/"));
    REQUIRE(response.transport_error.has_value());
    CHECK(response.transport_error->code == core::Errc::timeout);
}

TEST_CASE("curl: a refused connection is reported as not sent", "[api]") {
    RawSocket closed(false);
    const auto response = api::make_curl_transport(fast_options())->send(get(closed.url() + "/"));
    REQUIRE(response.transport_error.has_value());
    CHECK(response.transport_error->code == core::Errc::not_sent);
}

TEST_CASE("curl: the keys client sends JSON with the Bearer header and parses the answer",
          "[api]") {
    LocalServer portal;
    std::string authorization;
    std::string content_type;
    std::string body;
    portal.server().Post("/api/2.0/keys", [&](const httplib::Request& req, httplib::Response& res) {
        authorization = req.get_header_value("Authorization");
        content_type = req.get_header_value("Content-Type");
        body = req.body;
        res.status = 429;
        res.set_header("Retry-After", "7");
    });
    const std::string key = "sk-" + std::string(64, 'b');
    api::HttpKeysApiOptions options;
    options.base_url = portal.url() + "/";
    options.credential = core::Secret{key};
    options.retry.max_attempts = 1;
    auto keys =
        api::make_http_keys_api(std::move(options), api::make_curl_transport(fast_options()));
    const auto created = keys->create(api::CreateRequest{"bot", core::Scopes::all(), 5});
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().code == core::Errc::rate_limited);
    CHECK(created.error().retry_after == std::optional{7s});
    CHECK(authorization == "Bearer " + key);
    CHECK(content_type == "application/json");
    CHECK(nlohmann::json::parse(body) ==
          nlohmann::json{{"name", "bot"}, {"permissions", {"*"}}, {"expiresInDays", 5}});
}

TEST_CASE("curl: a timeout before the connection is established is reported as not sent", "[api]") {
    // A listening socket whose accept queue is full: the kernel ignores further SYNs, so the
    // connect phase cannot finish.
    RawSocket full(true);
    std::vector<int> fillers;
    const auto url = full.url();
    const auto port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
    for (int i = 0; i < 16; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(port);
        (void)::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        fillers.push_back(fd);
    }
    auto options = fast_options();
    options.connect_timeout = 300ms;
    options.request_timeout = 2000ms;
    const auto response = api::make_curl_transport(options)->send(get(url + "/"));
    for (int fd : fillers) {
        ::close(fd);
    }
    REQUIRE(response.transport_error.has_value());
    CHECK(response.transport_error->code == core::Errc::not_sent);
    CHECK_THAT(response.transport_error->message,
               Catch::Contains("timed out before the request was sent"));
}

TEST_CASE("curl: trace logging shows requests and answers with every secret redacted", "[api]") {
    const std::string key = "sk-" + std::string(60, 'c') + "9f3a";
    LocalServer portal;
    portal.server().Get("/echo", [&](const httplib::Request& req, httplib::Response& res) {
        res.set_header("Set-Cookie", "asc_auth_key=" + key);
        res.set_content(R"({"echo":")" + req.get_header_value("Authorization") + R"("})",
                        "application/json");
    });
    auto stream = std::make_shared<std::ostringstream>();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*stream);
    auto previous = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("trace-test", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    auto options = fast_options();
    options.request_timeout = 5000ms;
    options.trace = true;
    const auto response = api::make_curl_transport(options)->send(
        api::HttpRequest{"GET", portal.url() + "/echo", "", core::Secret{"Bearer " + key},
                         std::nullopt, std::nullopt});
    spdlog::set_default_logger(previous);

    REQUIRE_FALSE(response.transport_error.has_value());
    CHECK(response.status == 200);
    CHECK_THAT(response.body, Catch::Contains(key));  // the transport itself hides nothing
    const std::string log = stream->str();
    CHECK_THAT(log, Catch::Contains("GET " + portal.url() + "/echo"));
    CHECK_THAT(log, Catch::Contains("Authorization: Bearer sk-***9f3a"));
    CHECK_THAT(log, Catch::Contains("200"));
    CHECK(log.find(key) == std::string::npos);
    CHECK(log.find(std::string(20, 'c')) == std::string::npos);
}

TEST_CASE("sequential requests reuse one connection", "[api][curl]") {
    LocalServer local;
    std::mutex mutex;
    std::set<int> client_ports;
    local.server().Get("/ping", [&](const httplib::Request& req, httplib::Response& res) {
        const std::lock_guard lock(mutex);
        client_ports.insert(req.remote_port);
        res.set_content("{}", "application/json");
    });
    auto transport = api::make_curl_transport(api::TransportOptions{});
    for (int i = 0; i < 5; ++i) {
        const auto response = transport->send(get(local.url() + "/ping"));
        REQUIRE_FALSE(response.transport_error.has_value());
        CHECK(response.status == 200);
    }
    CHECK(client_ports.size() == 1);
}

TEST_CASE("requests sent from several threads run at the same time", "[api][curl]") {
    LocalServer local;
    std::atomic<int> in_flight{0};
    std::atomic<int> most_in_flight{0};
    local.server().new_task_queue = [] { return new httplib::ThreadPool(8); };
    local.server().Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
        const int now = ++in_flight;
        int seen = most_in_flight.load();
        while (now > seen && !most_in_flight.compare_exchange_weak(seen, now)) {
        }
        // Held until every request has arrived (or 5 s pass): only parallel transfers get here
        // together.
        const auto until = std::chrono::steady_clock::now() + 5s;
        while (most_in_flight.load() < 4 && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(5ms);
        }
        --in_flight;
        res.set_content("{}", "application/json");
    });
    auto transport = api::make_curl_transport(api::TransportOptions{});
    std::vector<std::thread> senders;
    std::atomic<int> ok{0};
    for (int i = 0; i < 4; ++i) {
        senders.emplace_back([&] {
            const auto response = transport->send(get(local.url() + "/slow"));
            ok += (!response.transport_error && response.status == 200) ? 1 : 0;
        });
    }
    for (auto& sender : senders) {
        sender.join();
    }
    CHECK(ok == 4);
    CHECK(most_in_flight == 4);
}

TEST_CASE("a request's own timeout cuts the transfer short of request_timeout", "[api][curl]") {
    LocalServer local;
    local.server().Get("/slow", [](const httplib::Request&, httplib::Response& res) {
        std::this_thread::sleep_for(2s);
        res.set_content("{}", "application/json");
    });
    api::TransportOptions options;
    options.request_timeout = 30s;
    auto request = get(local.url() + "/slow");
    request.timeout = 200ms;
    const auto response = api::make_curl_transport(options)->send(request);
    REQUIRE(response.transport_error.has_value());
    CHECK(response.transport_error->code == core::Errc::timeout);
}

TEST_CASE("a create on a reused connection that dies after the portal processed it is resent by "
          "libcurl, unless the POST has its own connection",
          "[api][curl]") {
    // The emulator's commit_drop fault: the portal makes the key, then closes the connection
    // without an answer. On a reused connection libcurl takes that for a stale keep-alive and
    // sends the request again on a new one (docs/network.md#connections).
    test_support::Emulator emu;
    const core::Secret token{test_support::Emulator::owner_token()};
    const api::HttpRequest list{"GET",       emu.url() + "/api/2.0/keys", "", token, std::nullopt,
                                std::nullopt};
    const api::HttpRequest create{"POST",
                                  emu.url() + "/api/2.0/keys",
                                  R"({"name": "Probe", "permissions": ["files:read"]})",
                                  token,
                                  std::nullopt,
                                  std::nullopt};
    const auto drop_next_create = [&] {
        REQUIRE(
            emu.request("POST", "/__emulator/faults", "",
                        R"({"method": "POST", "path": "/api/2.0/keys", "action": "commit_drop"})")
                .status == 200);
    };

    SECTION("with the POST on a reused connection, the portal gets it twice and makes two keys") {
        api::TransportOptions options;
        options.post_on_fresh_connection = false;
        auto transport = api::make_curl_transport(options);
        REQUIRE(transport->send(list).status == 200);  // opens the connection the POST reuses
        drop_next_create();
        const auto response = transport->send(create);
        CHECK_FALSE(response.transport_error.has_value());
        CHECK(response.status / 100 == 2);
        CHECK(emu.count_requests("POST", "/api/2.0/keys") == 2);
        CHECK(emu.state().at("keys").size() == 2);  // the first key's secret was never seen
    }

    SECTION("with the POST on a connection of its own, the lost answer is the caller's to settle") {
        auto transport = api::make_curl_transport(api::TransportOptions{});
        REQUIRE(transport->send(list).status == 200);
        drop_next_create();
        const auto response = transport->send(create);
        REQUIRE(response.transport_error.has_value());
        CHECK(response.transport_error->code == core::Errc::connection_lost);
        CHECK(emu.count_requests("POST", "/api/2.0/keys") == 1);
        CHECK(emu.state().at("keys").size() == 1);
    }
}
