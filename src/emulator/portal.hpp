#pragma once
/// The emulated DocSpace portal: state, authentication, the keys routes and the Appendix A
/// routes. Every public member locks the one state mutex; nothing sleeps while holding it.

#include "http_types.hpp"
#include "model.hpp"
#include "options.hpp"
#include "rate_limiter.hpp"
#include "responses.hpp"

#include <mutex>
#include <optional>
#include <string>

namespace emulator {

class Portal {
public:
    /// Starts from `options.state_file` when it exists, otherwise from the owner alone.
    /// Throws std::runtime_error when the state file is unreadable.
    explicit Portal(const Options& options);

    /// Handles one request outside `/__emulator/`; `auth` reports how it authenticated.
    ApiResponse handle(const ApiRequest& request, AuthKind& auth);

    // Test controls.
    /// The full state, secrets included (docs/emulator.md).
    Json state_json() const;
    /// Every key secret and session token issued since start-up, also those of keys deleted
    /// since and of users a reset or a new registration removed (docs/emulator.md,
    /// `GET /__emulator/issued`). The list only grows.
    Json issued_json() const;
    /// Back to the start-up owner with no keys; clears the rate limiter.
    void reset();
    /// Applies control fields to a key; nullopt when the id is unknown. Throws
    /// std::invalid_argument for a malformed field.
    std::optional<Json> patch_key(const std::string& id, const Json& fields);
    /// Adds `count` keys at once, without API semantics (docs/emulator.md, `POST
    /// /__emulator/keys`); returns their ids and names. Throws std::invalid_argument for a
    /// malformed field.
    Json seed_keys(const Json& fields);
    /// Removes a key without API semantics; false when unknown.
    bool remove_key(const std::string& id);
    /// Changes a user's `active` flag or role; nullopt when unknown.
    std::optional<Json> patch_user(const std::string& id, const Json& fields);
    /// Sets every active key whose expiry has passed inactive; returns how many.
    int sweep();

private:
    struct Caller {
        std::string user_id;
        bool admin = false;
        Role role = Role::user;
        AuthKind kind = AuthKind::none;
        std::optional<std::string> key_id;
        std::vector<std::string> claims;  ///< scopes; {"*:write"} for full access
    };

    ApiResponse dispatch(const ApiRequest& request, AuthKind& auth);
    std::optional<Caller> authenticate(const ApiRequest& request);
    /// The active user holding this session token, with full scope; nullopt when none does.
    std::optional<Caller> session_caller(const std::string& token) const;
    bool scope_allows(const Caller& caller, const std::string& method,
                      const std::string& path) const;

    // keys_routes.cpp
    std::optional<ApiResponse> route_keys(const ApiRequest& request, AuthKind& auth);
    ApiResponse list_keys(const ApiRequest& request, const Caller& caller);
    ApiResponse create_key(const ApiRequest& request, const Caller& caller);
    ApiResponse update_key(const ApiRequest& request, const Caller& caller, const std::string& id);
    ApiResponse delete_key(const ApiRequest& request, const Caller& caller, const std::string& id);
    ApiResponse self_key(const ApiRequest& request, const Caller& caller);
    Json key_json(const ApiRequest& request, const ApiKey& key, bool reveal,
                  std::optional<Ticks> create_on = {}, std::optional<Ticks> expires_at = {}) const;

    // people_routes.cpp
    std::optional<ApiResponse> route_people(const ApiRequest& request, AuthKind& auth);
    ApiResponse register_portal(const ApiRequest& request);
    ApiResponse log_in(const ApiRequest& request);
    ApiResponse create_person(const ApiRequest& request, const Caller& caller, bool guest_route);
    ApiResponse delete_portal(const ApiRequest& request, const Caller& caller);
    ApiResponse dev_tools_access(const ApiRequest& request, const Caller& caller);
    Json employee_json(const ApiRequest& request, const std::string& user_id) const;
    Json profile_json(const ApiRequest& request, const User& user) const;

    // files_routes.cpp
    std::optional<ApiResponse> route_files(const ApiRequest& request, AuthKind& auth);

    // tenant_routes.cpp
    std::optional<ApiResponse> route_tenant(const ApiRequest& request, AuthKind& auth);
    /// True when the portal answers as a server released after v3.7.2 (Appendix B).
    bool later_server() const { return m_state.settings.server_behavior == ServerBehavior::latest; }

    /// Authenticates and applies the scope gate; sets `denied` to the 401/403 answer.
    std::optional<Caller> admit(const ApiRequest& request, AuthKind& auth,
                                std::optional<ApiResponse>& denied);

    User* find_user(const std::string& id);
    const User* find_user(const std::string& id) const;
    ApiKey* find_key(const std::string& id);
    void start_fresh();
    void save() const;
    /// Adds a key's secret, or a session token, to the issued list (once).
    void remember_issued(const ApiKey& key);
    void remember_issued(const std::string& token);

    mutable std::mutex m_mutex;
    Options m_options;
    PortalState m_state;
    RateLimiter m_limiter;
    std::string m_owner_id;     ///< the start-up owner's id, kept across resets
    ServerBehavior m_behavior;  ///< the start-up profile, kept across resets and registrations
    Tenant m_start_tenant;      ///< the start-up tenant, restored by a reset
    Json m_issued_keys = Json::array();    ///< {id, name, secret}, in issue order
    Json m_issued_tokens = Json::array();  ///< session tokens, in issue order
};

/// Writes `text` to `path` through a temporary file and a rename, so readers never see a
/// partial file. Throws std::runtime_error on failure.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace emulator
