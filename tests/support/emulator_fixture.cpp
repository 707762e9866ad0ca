#include "emulator_fixture.hpp"

#include "leak_collect.hpp"

#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace test_support {
namespace {

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

void expect_ok(const HttpResult& result, const std::string& what) {
    if (result.status != 200) {
        throw std::runtime_error(what + " failed with HTTP " + std::to_string(result.status) +
                                 ": " + result.body.substr(0, 300));
    }
}

}  // namespace

nlohmann::json HttpResult::json() const {
    return nlohmann::json::parse(body);
}

std::string HttpResult::header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
}

Emulator::Emulator(std::vector<std::string> extra_args) {
    m_tls = std::find(extra_args.begin(), extra_args.end(), "--tls-cert") != extra_args.end();
    const auto port_file = m_dir / "port";
    std::vector<std::string> argv{emulator_binary(), "--test-controls", "--port", "0",
                                  "--port-file",     port_file.string()};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    const std::string behavior = server_behavior();
    if (!behavior.empty() &&
        std::find(extra_args.begin(), extra_args.end(), "--server-behavior") == extra_args.end()) {
        argv.push_back("--server-behavior");
        argv.push_back(behavior);
    }
    RunOptions options;
    options.unset_env.push_back("EMULATOR_OWNER_TOKEN");
    m_process = ChildProcess(argv, options, m_dir / "stdout", m_dir / "stderr");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        const std::string text = read_text(port_file);
        if (!text.empty() && text.back() == '\n') {
            m_port = std::stoi(text);
            return;
        }
        if (!m_process.running()) {
            throw std::runtime_error("docspace-emulator exited during start-up: " +
                                     read_text(m_dir / "stderr"));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("docspace-emulator did not report a port within 10 s");
}

Emulator::~Emulator() {
    keep_issued_for_leak_check();
    if (m_process.running()) {
        m_process.signal(SIGTERM);
        if (!m_process.wait(std::chrono::seconds(5))) {
            m_process.signal(SIGKILL);
            m_process.wait(std::chrono::seconds(5));
        }
    }
}

std::string Emulator::url() const {
    return std::string(m_tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(m_port);
}

std::string Emulator::owner_token() {
    return "emulator-owner-token";
}

std::string Emulator::server_behavior() {
    const char* value = std::getenv("PROVISION_E2E_SERVER_BEHAVIOR");
    return value == nullptr ? std::string() : std::string(value);
}

pid_t Emulator::pid() const {
    return m_process.pid();
}

std::string Emulator::stdout_text() const {
    return read_text(m_dir / "stdout");
}
std::string Emulator::stderr_text() const {
    return read_text(m_dir / "stderr");
}

void Emulator::keep_issued_for_leak_check() noexcept {
    if (!leak::directory() || m_issued_kept || !m_process.running()) {
        return;
    }
    try {
        leak::keep_issued(issued());
        m_issued_kept = true;
    } catch (...) {
        // An emulator a test broke on purpose; the leak check counts the dumps it got.
    }
}

std::optional<int> Emulator::stop(int sig, std::chrono::milliseconds timeout) {
    keep_issued_for_leak_check();
    m_process.signal(sig);
    return m_process.wait(timeout);
}

HttpResult Emulator::request_with(const std::string& method, const std::string& path,
                                  const std::map<std::string, std::string>& headers,
                                  const std::string& body) const {
    httplib::Client client(url());
    client.enable_server_certificate_verification(false);
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_read_timeout(m_read_timeout);
    client.set_write_timeout(std::chrono::seconds(10));
    httplib::Request request;
    request.method = method;
    request.path = path;
    for (const auto& [name, value] : headers) {
        request.headers.emplace(name, value);
    }
    request.body = body;
    HttpResult result;
    const httplib::Result response = client.send(request);
    if (!response) {
        return result;
    }
    result.status = response->status;
    result.body = response->body;
    for (const auto& [name, value] : response->headers) {
        result.headers[lower(name)] = value;
    }
    return result;
}

HttpResult Emulator::request(const std::string& method, const std::string& path,
                             const std::string& authorization, const std::string& body,
                             const std::string& content_type) const {
    std::map<std::string, std::string> headers;
    if (!authorization.empty()) {
        headers["Authorization"] = authorization;
    }
    if (!content_type.empty() &&
        (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")) {
        headers["Content-Type"] = content_type;
    }
    return request_with(method, path, headers, body);
}

HttpResult Emulator::get(const std::string& path, const std::string& authorization) const {
    return request("GET", path, authorization);
}

HttpResult Emulator::post(const std::string& path, const nlohmann::json& body,
                          const std::string& authorization) const {
    return request("POST", path, authorization, body.dump());
}

HttpResult Emulator::put(const std::string& path, const nlohmann::json& body,
                         const std::string& authorization) const {
    return request("PUT", path, authorization, body.dump());
}

HttpResult Emulator::del(const std::string& path, const std::string& authorization) const {
    return request("DELETE", path, authorization);
}

void Emulator::reset() const {
    expect_ok(request("POST", "/__emulator/reset"), "reset");
}

nlohmann::json Emulator::state() const {
    const HttpResult result = get("/__emulator/state", "");
    expect_ok(result, "GET /__emulator/state");
    return result.json();
}

nlohmann::json Emulator::issued() const {
    const HttpResult result = get("/__emulator/issued", "");
    expect_ok(result, "GET /__emulator/issued");
    return result.json();
}

nlohmann::json Emulator::requests() const {
    const HttpResult result = get("/__emulator/requests", "");
    expect_ok(result, "GET /__emulator/requests");
    return result.json();
}

void Emulator::clear_requests() const {
    expect_ok(del("/__emulator/requests", ""), "DELETE /__emulator/requests");
}

int Emulator::count_requests(const std::string& method, const std::string& path) const {
    int count = 0;
    for (const auto& entry : requests()) {
        if (entry.at("method") == method && entry.at("path") == path) {
            ++count;
        }
    }
    return count;
}

std::string Emulator::add_fault(const nlohmann::json& rule) const {
    const HttpResult result = post("/__emulator/faults", rule, "");
    expect_ok(result, "POST /__emulator/faults");
    return result.json().at("id").get<std::string>();
}

void Emulator::clear_faults() const {
    expect_ok(del("/__emulator/faults", ""), "DELETE /__emulator/faults");
}

nlohmann::json Emulator::patch_key(const std::string& id, const nlohmann::json& fields) const {
    const HttpResult result = request("PATCH", "/__emulator/keys/" + id, "", fields.dump());
    expect_ok(result, "PATCH /__emulator/keys/" + id);
    return result.json();
}

int Emulator::sweep() const {
    const HttpResult result = request("POST", "/__emulator/sweep");
    expect_ok(result, "POST /__emulator/sweep");
    return result.json().at("deactivated").get<int>();
}

std::string Emulator::create_user(const std::string& email, const std::string& type,
                                  const std::string& password) const {
    const std::string path = type == "Guest" ? "/api/2.0/people/active" : "/api/2.0/people";
    const nlohmann::json body{{"password", password},
                              {"email", email},
                              {"firstName", "Test"},
                              {"lastName", type},
                              {"type", type}};
    expect_ok(post(path, body, "Bearer " + owner_token()), "POST " + path);
    const HttpResult login =
        post("/api/2.0/authentication", {{"userName", email}, {"password", password}}, "");
    expect_ok(login, "POST /api/2.0/authentication");
    return login.json().at("response").at("token").get<std::string>();
}

nlohmann::json Emulator::create_key(const std::string& authorization,
                                    const nlohmann::json& body) const {
    const HttpResult result = post("/api/2.0/keys", body, authorization);
    expect_ok(result, "POST /api/2.0/keys");
    return result.json().at("response");
}

}  // namespace test_support
