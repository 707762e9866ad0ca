#pragma once
// A hand-written HttpTransport for the API client's unit tests: answers from a queue of
// canned responses and records every request it was given.

#include "provision/api/http_keys_api.hpp"
#include "provision/api/http_transport.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace api_test {

using namespace provision;

class FakeTransport final : public api::HttpTransport {
public:
    api::HttpResponse send(const api::HttpRequest& request) override {
        requests.push_back(request);
        if (responses.empty()) {
            api::HttpResponse none;
            none.transport_error =
                core::make_error(core::Errc::internal, "FakeTransport: no canned response left");
            return none;
        }
        api::HttpResponse response = responses.front();
        responses.pop_front();
        return response;
    }

    FakeTransport& reply(int status, std::string body,
                         std::map<std::string, std::string> headers = {}) {
        api::HttpResponse response;
        response.status = status;
        response.body = std::move(body);
        response.headers = std::move(headers);
        responses.push_back(std::move(response));
        return *this;
    }

    FakeTransport& fail(core::Errc code, std::string message = "transport failure") {
        api::HttpResponse response;
        response.transport_error = core::make_error(code, std::move(message));
        responses.push_back(std::move(response));
        return *this;
    }

    std::deque<api::HttpResponse> responses;
    std::vector<api::HttpRequest> requests;
};

/// 2026-07-01T12:00:00Z, the fixed "now" of these tests.
inline core::Timestamp test_now() {
    return core::Timestamp{std::chrono::sys_days{std::chrono::year{2026} / 7 / 1}} +
           std::chrono::hours{12};
}

struct Harness {
    explicit Harness(std::string credential = "session-token-0123456789abcdef",
                     const std::function<void(api::HttpKeysApiOptions&)>& configure = {}) {
        api::HttpKeysApiOptions options;
        options.base_url = "https://portal.example.com/";
        options.credential = core::Secret{std::move(credential)};
        options.sleep = [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
        options.clock = [] { return test_now(); };
        options.random = [] { return 0.5; };
        if (configure) {
            configure(options);
        }
        keys = api::make_http_keys_api(std::move(options), transport);
    }

    std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
    std::vector<std::chrono::milliseconds> sleeps;
    std::unique_ptr<api::KeysApi> keys;
};

inline std::string envelope(const std::string& response, const std::string& method = "GET") {
    return R"({"response":)" + response +
           R"(,"count":1,"links":[{"href":"https://portal.example.com/api/2.0/keys","action":")" +
           method + R"("}],"status":0,"statusCode":200})";
}

}  // namespace api_test
