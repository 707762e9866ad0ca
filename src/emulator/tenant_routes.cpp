// The portal identity route of contract Appendix B, in every profile: `GET /api/2.0/portal`
// answers the tenant the request reached. `tenantId` is always filled; the rest only for a
// caller with the portal-settings right (an admin: the owner or a DocSpaceAdmin, also through
// their API keys). Null fields are omitted like everywhere else (§1), so for anyone else the
// object holds `tenantId` alone, with status 200, not an error. An API key passes the generic
// scope gate (`*:read` or `*:write`), since which scope the real route needs is UNCONFIRMED.
#include "portal.hpp"

#include <algorithm>

namespace emulator {

std::optional<ApiResponse> Portal::route_tenant(const ApiRequest& request, AuthKind& auth) {
    if (request.path != "/api/2.0/portal") {
        return std::nullopt;
    }
    if (request.method != "GET") {
        return empty_status(404);
    }
    std::optional<ApiResponse> denied;
    const auto caller = admit(request, auth, denied);
    if (!caller) {
        return denied;
    }
    const Tenant& tenant = m_state.tenant;
    Json json{{"tenantId", tenant.id}};
    if (caller->admin) {
        const auto owner = std::find_if(m_state.users.begin(), m_state.users.end(),
                                        [](const User& u) { return u.role == Role::owner; });
        json["tenantAlias"] = tenant.alias;
        json["name"] = tenant.name;
        if (owner != m_state.users.end()) {
            json["ownerId"] = owner->id;
        }
        json["version"] = 2;
        json["creationDateTime"] =
            format_api_date(tenant.created, m_state.settings.utc_offset_minutes);
        json["language"] = "en-US";
        json["status"] = 0;
    }
    return envelope(request, json);
}

}  // namespace emulator
