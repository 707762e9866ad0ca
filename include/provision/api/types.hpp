#pragma once
/// DocSpace API key objects as the client sees them (contract §3), dates already in UTC.

#include "provision/core/scopes.hpp"
#include "provision/core/secret.hpp"
#include "provision/core/time.hpp"

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace provision::api {

struct ApiKey {
    std::string id;  ///< lowercase GUID
    std::string name;
    std::string postfix;       ///< last 4 chars of the secret
    core::Scopes permissions;  ///< normalised; omitted/[]/"*" => unrestricted
    core::Timestamp create_on{};
    std::optional<core::Timestamp> expires_at;  ///< nullopt = never expires
    std::optional<core::Timestamp> last_used;
    bool is_active = true;
    std::string created_by_id;
    std::string created_by_name;

    bool operator==(const ApiKey&) const = default;
};

/// A listing of the portal's keys (GET /api/2.0/keys), immutable once made, so that the
/// manifests of one run that share a listing (api/shared_reads.hpp) hold it once, not a copy
/// each: a portal of 10,000 keys lists as a few megabytes. Reads as a const vector; assigning
/// a vector replaces the listing (never changes one another holder sees).
class KeyList {
public:
    KeyList() = default;
    KeyList(std::vector<ApiKey> keys)  // NOLINT(google-explicit-constructor): a listing is one
        : m_keys(std::make_shared<const std::vector<ApiKey>>(std::move(keys))) {}
    KeyList(std::initializer_list<ApiKey> keys) : KeyList(std::vector<ApiKey>(keys)) {}

    const std::vector<ApiKey>& keys() const { return m_keys ? *m_keys : none(); }
    operator const std::vector<ApiKey>&() const { return keys(); }  // NOLINT: read as a vector
    std::vector<ApiKey>::const_iterator begin() const { return keys().begin(); }
    std::vector<ApiKey>::const_iterator end() const { return keys().end(); }
    std::size_t size() const { return keys().size(); }
    bool empty() const { return keys().empty(); }
    const ApiKey& operator[](std::size_t i) const { return keys()[i]; }
    /// Whether `other` is this very listing (not an equal copy).
    bool shares(const KeyList& other) const { return m_keys == other.m_keys; }

private:
    static const std::vector<ApiKey>& none() {
        static const std::vector<ApiKey> nothing;
        return nothing;
    }
    std::shared_ptr<const std::vector<ApiKey>> m_keys;
};

/// The answer to a create: the key and its secret, which the server never shows again.
struct CreatedKey {
    ApiKey key;
    core::Secret secret;
};

struct CreateRequest {
    std::string name;
    core::Scopes permissions;
    std::optional<int> expires_in_days;
};

/// Only the fields set are sent (contract §2.3).
struct UpdateRequest {
    std::optional<std::string> name;
    std::optional<core::Scopes> permissions;
    std::optional<bool> is_active;
};

/// Which portal a URL reaches (GET /api/2.0/portal). The tenant id is always answered; the rest
/// only to callers with the portal-settings right. Every field is empty when the portal did not
/// say (the route refused the credential): the identity is then unknown.
struct PortalIdentity {
    std::optional<long long> tenant_id;
    std::string alias;
    std::string owner_id;
    std::optional<core::Timestamp> created;

    bool known() const { return tenant_id.has_value(); }
};

/// The user behind the credential (GET /api/2.0/people/@self).
struct User {
    std::string id;
    std::string display_name;
    bool is_admin = false;  ///< unknown from @self alone; the client may infer it
};

}  // namespace provision::api
