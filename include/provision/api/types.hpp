#pragma once
/// DocSpace API key objects as the client sees them (contract §3), dates already in UTC.

#include "provision/core/scopes.hpp"
#include "provision/core/secret.hpp"
#include "provision/core/time.hpp"

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
