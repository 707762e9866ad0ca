// The in-memory KeysApi. It follows the v3.7.2 server semantics of the contract closely
// enough that planner and executor tests exercise the same edge cases a portal produces
// (expired keys refusing PUT, 500 for unknown ids, names that repeat), and its errors carry
// the same codes and http_status values as HttpKeysApi's, so callers cannot tell them apart.

#include "fake_keys_api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

namespace provision::api {

namespace {

constexpr std::size_t k_max_name = 30;

core::Error http_error(int status, std::string message) {
    core::Error error = core::make_error(core::Errc::http_status, std::move(message));
    error.http_status = status;
    return error;
}

std::size_t utf16_length(std::string_view text) {
    std::size_t units = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if ((c & 0xC0U) != 0x80U) {
            units += (c >= 0xF0U) ? 2 : 1;  // 4-byte sequences are surrogate pairs
        }
    }
    return units;
}

bool blank(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

}  // namespace

FakeKeysApi::FakeKeysApi()
    : m_now(core::Timestamp{std::chrono::sys_days{std::chrono::year{2026} / 7 / 1}} +
            std::chrono::hours{12}),
      m_user{"aa11bb22-cc33-dd44-ee55-ff6677889900", "Jane Doe", true} {}

core::Result<std::vector<ApiKey>> FakeKeysApi::list() {
    const std::lock_guard lock(m_mutex);
    record("list", "");
    if (auto injected = take_injection("list")) {
        return injected->error;
    }
    return newest_first(/*visible_only=*/true);
}

FakeKeysApi::InFlight::InFlight(FakeKeysApi& api) : m_api(api) {
    const int now = ++m_api.m_in_flight;
    int seen = m_api.m_most_in_flight.load();
    while (now > seen && !m_api.m_most_in_flight.compare_exchange_weak(seen, now)) {
    }
    if (const long long ms = m_api.m_latency_ms.load(); ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
}

FakeKeysApi::InFlight::~InFlight() {
    --m_api.m_in_flight;
}

void FakeKeysApi::set_latency(std::chrono::milliseconds latency) {
    m_latency_ms = latency.count();
}

int FakeKeysApi::most_in_flight() const {
    return m_most_in_flight.load();
}

core::Result<CreatedKey> FakeKeysApi::create(const CreateRequest& request) {
    const InFlight flight(*this);
    const std::lock_guard lock(m_mutex);
    record("create", request.name);
    const std::string what = "creating '" + request.name + "'";
    auto injected = take_injection("create");
    if (injected && injected->when == Inject::instead) {
        return injected->error;
    }
    if (request.name.empty() || blank(request.name)) {
        return http_error(400, what + ": the portal answered HTTP 400: Name: The Name field is "
                                      "required.");
    }
    if (utf16_length(request.name) > k_max_name) {
        return http_error(400, what + ": the portal answered HTTP 400: Name: Incorrect name. "
                                      "Length must be less than 30");
    }
    if (request.expires_in_days &&
        (*request.expires_in_days < 1 || *request.expires_in_days > 365)) {
        return http_error(400, what + ": the portal answered HTTP 400: ExpiresInDays: Incorrect "
                                      "number of days. Value must be between 1 and 365");
    }
    for (const auto& scope : request.permissions.to_request()) {
        if (!core::is_known_scope(scope)) {
            return http_error(400, what + ": the portal answered HTTP 400: Permissions are not "
                                          "valid.");
        }
    }
    CreatedKey created = store_new(request.name, request.permissions, request.expires_in_days);
    if (injected) {
        return injected->error;
    }
    return created;
}

core::Result<bool> FakeKeysApi::update(const std::string& id, const UpdateRequest& request) {
    const InFlight flight(*this);
    const std::lock_guard lock(m_mutex);
    record("update", id);
    auto injected = take_injection("update");
    if (injected && injected->when == Inject::instead) {
        return injected->error;
    }
    const auto it = m_keys.find(id);
    if (it == m_keys.end()) {
        return unknown_id("updating", id);
    }
    ApiKey& key = it->second.key;
    if ((key.expires_at && *key.expires_at < m_now) || !may_manage(key)) {
        return injected ? core::Result<bool>(injected->error) : core::Result<bool>(false);
    }
    if (request.name && utf16_length(*request.name) > k_max_name) {
        return http_error(400, "updating key " + id +
                                   ": the portal answered HTTP 400: Name: "
                                   "Incorrect name. Length must be less than 30");
    }
    if (request.permissions) {
        const auto list = request.permissions->to_request();
        if (std::any_of(list.begin(), list.end(),
                        [](const std::string& s) { return !core::is_known_scope(s); })) {
            return http_error(400,
                              "updating key " + id +
                                  ": the portal answered HTTP 400: Permissions are not valid.");
        }
        if (!list.empty()) {  // [] means "no change" on PUT
            key.permissions = core::Scopes::from_list(list);
        }
    }
    if (request.name && !request.name->empty()) {
        key.name = *request.name;
    }
    if (request.is_active) {
        key.is_active = *request.is_active;
    }
    if (injected) {
        return injected->error;
    }
    return true;
}

core::Result<bool> FakeKeysApi::remove(const std::string& id) {
    const InFlight flight(*this);
    const std::lock_guard lock(m_mutex);
    record("remove", id);
    auto injected = take_injection("remove");
    if (injected && injected->when == Inject::instead) {
        return injected->error;
    }
    const auto it = m_keys.find(id);
    if (it == m_keys.end()) {
        return unknown_id("deleting", id);
    }
    if (!may_manage(it->second.key)) {
        return injected ? core::Result<bool>(injected->error) : core::Result<bool>(false);
    }
    m_keys.erase(it);
    if (injected) {
        return injected->error;
    }
    return true;
}

core::Result<std::vector<std::string>> FakeKeysApi::permissions() {
    const std::lock_guard lock(m_mutex);
    record("permissions", "");
    if (auto injected = take_injection("permissions")) {
        return injected->error;
    }
    return core::scope_catalogue();
}

core::Result<ApiKey> FakeKeysApi::self(const core::Secret& secret) {
    const std::lock_guard lock(m_mutex);
    record("self", secret.redacted());
    if (auto injected = take_injection("self")) {
        return injected->error;
    }
    for (auto& [id, stored] : m_keys) {
        if (stored.secret == secret && !secret.empty()) {
            if (!stored.key.is_active ||
                (stored.key.expires_at && *stored.key.expires_at <= m_now)) {
                break;
            }
            stored.key.last_used = m_now;
            return stored.key;
        }
    }
    core::Error error = core::make_error(core::Errc::unauthorized,
                                         "checking key " + secret.redacted() +
                                             ": the portal answered HTTP 401 (the credential is "
                                             "missing, invalid, expired or deactivated)");
    error.http_status = 401;
    return error;
}

core::Result<User> FakeKeysApi::current_user() {
    const std::lock_guard lock(m_mutex);
    record("current_user", "");
    if (auto injected = take_injection("current_user")) {
        return injected->error;
    }
    return m_user;
}

void FakeKeysApi::advance(std::chrono::seconds by) {
    const std::lock_guard lock(m_mutex);
    m_now += by;
}

core::Timestamp FakeKeysApi::now() const {
    const std::lock_guard lock(m_mutex);
    return m_now;
}

core::Result<PortalIdentity> FakeKeysApi::portal() {
    const std::lock_guard lock(m_mutex);
    return m_portal;
}

void FakeKeysApi::set_portal(PortalIdentity identity) {
    const std::lock_guard lock(m_mutex);
    m_portal = std::move(identity);
}

void FakeKeysApi::set_current_user(User user) {
    const std::lock_guard lock(m_mutex);
    m_user = std::move(user);
}

CreatedKey FakeKeysApi::seed(const std::string& name, core::Scopes permissions,
                             std::optional<int> expires_in_days) {
    const std::lock_guard lock(m_mutex);
    return store_new(name, permissions, expires_in_days);
}

void FakeKeysApi::put_key(const ApiKey& key, std::optional<core::Secret> secret) {
    const std::lock_guard lock(m_mutex);
    Stored& stored = m_keys[key.id];
    stored.key = key;
    stored.secret = secret ? std::move(*secret) : core::Secret{};
    stored.sequence = ++m_sequence;
}

std::vector<ApiKey> FakeKeysApi::keys() const {
    const std::lock_guard lock(m_mutex);
    return newest_first(/*visible_only=*/false);
}

std::vector<ApiKey> FakeKeysApi::newest_first(bool visible_only) const {
    std::vector<const Stored*> chosen;
    for (const auto& [id, stored] : m_keys) {
        if (!visible_only || m_user.is_admin || stored.key.created_by_id == m_user.id) {
            chosen.push_back(&stored);
        }
    }
    std::sort(chosen.begin(), chosen.end(), [](const Stored* a, const Stored* b) {
        return a->key.create_on != b->key.create_on ? a->key.create_on > b->key.create_on
                                                    : a->sequence > b->sequence;
    });
    std::vector<ApiKey> out;
    for (const Stored* stored : chosen) {
        out.push_back(stored->key);
    }
    return out;
}

std::optional<ApiKey> FakeKeysApi::key(const std::string& id) const {
    const std::lock_guard lock(m_mutex);
    const auto it = m_keys.find(id);
    return it == m_keys.end() ? std::nullopt : std::optional<ApiKey>(it->second.key);
}

std::optional<core::Secret> FakeKeysApi::secret_of(const std::string& id) const {
    const std::lock_guard lock(m_mutex);
    const auto it = m_keys.find(id);
    return it == m_keys.end() ? std::nullopt : std::optional<core::Secret>(it->second.secret);
}

void FakeKeysApi::fail_next(const std::string& method, core::Error error, Inject when) {
    const std::lock_guard lock(m_mutex);
    m_injections[method].push_back(Injection{std::move(error), when});
}

std::vector<FakeKeysApi::Call> FakeKeysApi::calls() const {
    const std::lock_guard lock(m_mutex);
    return m_calls;
}

std::size_t FakeKeysApi::count(std::string_view method) const {
    const std::lock_guard lock(m_mutex);
    return static_cast<std::size_t>(std::count_if(
        m_calls.begin(), m_calls.end(), [&](const Call& call) { return call.method == method; }));
}

void FakeKeysApi::clear_calls() {
    const std::lock_guard lock(m_mutex);
    m_calls.clear();
}

std::optional<FakeKeysApi::Injection> FakeKeysApi::take_injection(const std::string& method) {
    const auto it = m_injections.find(method);
    if (it == m_injections.end() || it->second.empty()) {
        return std::nullopt;
    }
    Injection injection = std::move(it->second.front());
    it->second.pop_front();
    return injection;
}

void FakeKeysApi::record(std::string method, std::string target) {
    m_calls.push_back(Call{std::move(method), std::move(target)});
}

core::Error FakeKeysApi::unknown_id(const std::string& what, const std::string& id) const {
    core::Error error = http_error(500, what + " key " + id +
                                            ": the portal has no key with this id (HTTP 500, "
                                            "System.NullReferenceException)");
    error.unknown_id = true;
    return error;
}

CreatedKey FakeKeysApi::store_new(const std::string& name, const core::Scopes& permissions,
                                  std::optional<int> expires_in_days) {
    Stored stored;
    stored.secret = next_secret();
    stored.sequence = ++m_sequence;
    ApiKey& key = stored.key;
    key.id = next_id();
    key.name = name;
    const std::string& text = stored.secret.reveal();
    key.postfix = text.substr(text.size() - 4);
    key.permissions = core::Scopes::from_list(permissions.to_request());
    key.create_on = m_now;
    if (expires_in_days) {
        key.expires_at = m_now + std::chrono::hours{24 * *expires_in_days};
    }
    key.is_active = true;
    key.created_by_id = m_user.id;
    key.created_by_name = m_user.display_name;
    CreatedKey created{key, stored.secret};
    m_keys[key.id] = std::move(stored);
    return created;
}

std::string FakeKeysApi::next_id() {
    return fmt::format("{:08x}-0000-4000-8000-{:012x}", m_sequence, m_sequence * 7919);
}

core::Secret FakeKeysApi::next_secret() {
    // splitmix64: deterministic, so test runs are reproducible.
    std::string hex = "sk-";
    for (int i = 0; i < 4; ++i) {
        std::uint64_t z = (m_random_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
        hex += fmt::format("{:016x}", z ^ (z >> 31U));
    }
    return core::Secret{hex};
}

bool FakeKeysApi::may_manage(const ApiKey& key) const {
    return m_user.is_admin || key.created_by_id == m_user.id;
}

}  // namespace provision::api
