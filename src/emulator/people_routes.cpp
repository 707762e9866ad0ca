// Appendix A routes around the keys API: portal registration (a fresh tenant), log-in, people,
// portal deletion and the dev-tools access setting.
#include "ids.hpp"
#include "portal.hpp"

#include <algorithm>

namespace emulator {
namespace {

const char* const k_lost_user_id = "4a515a15-d4d6-4b8e-828e-e0586f18f3a3";

/// The value of a property matched case-insensitively (last one wins), or null.
Json property(const Json& object, const std::string& name) {
    Json found;
    if (!object.is_object()) {
        return found;
    }
    const std::string wanted = to_lower(name);
    for (const auto& [key, value] : object.items()) {
        if (to_lower(key) == wanted) {
            found = value;
        }
    }
    return found;
}

std::string string_property(const Json& object, const std::string& name) {
    const Json value = property(object, name);
    return value.is_string() ? value.get<std::string>() : std::string();
}

Json parse_body_or_null(const std::string& body) {
    try {
        return Json::parse(body);
    } catch (const nlohmann::json::exception&) {
        return Json();
    }
}

ServerException bad_argument(const std::string& message) {
    return {400, "System.ArgumentException", message, -2147024809};
}

}  // namespace

Json Portal::employee_json(const ApiRequest& request, const std::string& user_id) const {
    const User* user = find_user(user_id);
    const std::string id = user != nullptr ? user->id : k_lost_user_id;
    const std::string avatar = "/static/images/default_user_photo_size_";
    return Json{{"id", id},
                {"displayName", user != nullptr ? user->display_name() : "Profile Removed"},
                {"avatar", avatar + "82-82.png"},
                {"avatarOriginal", avatar + "200-200.png"},
                {"avatarMax", avatar + "200-200.png"},
                {"avatarMedium", avatar + "48-48.png"},
                {"avatarSmall", avatar + "32-32.png"},
                {"profileUrl", request.base_url + "/accounts/people/filter?search=" +
                                   (user != nullptr ? user->email : id)},
                {"hasAvatar", false},
                {"isAnonim", false}};
}

Json Portal::profile_json(const ApiRequest& request, const User& user) const {
    Json json = employee_json(request, user.id);
    json["firstName"] = user.first_name;
    json["lastName"] = user.last_name;
    json["userName"] = user.email;
    json["email"] = user.email;
    json["status"] = user.active ? 1 : 2;
    json["activationStatus"] = 1;
    json["isAdmin"] = user.is_admin();
    json["isOwner"] = user.role == Role::owner;
    json["isRoomAdmin"] = user.role == Role::room_admin;
    json["isCollaborator"] = user.role == Role::user;
    json["isVisitor"] = user.role == Role::guest;
    return json;
}

std::optional<ApiResponse> Portal::route_people(const ApiRequest& request, AuthKind& auth) {
    const std::string& path = request.path;
    const std::string& method = request.method;
    if (path == "/apisystem/portal/register" && method == "POST") {
        return register_portal(request);
    }
    if ((path == "/api/2.0/authentication" || path == "/api/2.0/authentication.json") &&
        method == "POST") {
        return log_in(request);
    }
    const bool people = path == "/api/2.0/people" && (method == "GET" || method == "POST");
    const bool active = path == "/api/2.0/people/active" && method == "POST";
    const bool self = path == "/api/2.0/people/@self" && method == "GET";
    const bool remove = path == "/api/2.0/portal/deleteportalimmediately" && method == "DELETE";
    const bool devtools =
        path == "/api/2.0/settings/devtoolsaccess" && (method == "GET" || method == "POST");
    if (!people && !active && !self && !remove && !devtools) {
        return std::nullopt;
    }
    std::optional<ApiResponse> denied;
    const auto caller = admit(request, auth, denied);
    if (!caller) {
        return denied;
    }
    if (people && method == "GET") {
        Json list = Json::array();
        for (const User& user : m_state.users) {
            list.push_back(profile_json(request, user));
        }
        const auto count = static_cast<std::int64_t>(list.size());
        return envelope(request, list, count);
    }
    if (people || active) {
        return create_person(request, *caller, active);
    }
    if (self) {
        return envelope(request, profile_json(request, *find_user(caller->user_id)));
    }
    if (remove) {
        return delete_portal(request, *caller);
    }
    return dev_tools_access(request, *caller);
}

ApiResponse Portal::register_portal(const ApiRequest& request) {
    const Json body = parse_body_or_null(request.body);
    const std::string email = string_property(body, "email");
    const std::string password = string_property(body, "password");
    if (email.empty() || password.empty()) {
        return json_response(400, Json{{"error", "email and password are required"}});
    }
    const Settings settings{m_options.limited_access_for_users, m_state.settings.utc_offset_minutes,
                            m_behavior};
    const std::int64_t tenant_id = m_state.next_tenant_id;
    std::string portal_name = string_property(body, "portalName");
    if (portal_name.empty()) {
        portal_name = "portal" + std::to_string(tenant_id);
    }
    m_state = PortalState{};
    m_state.settings = settings;
    m_state.tenant =
        Tenant{tenant_id, to_lower(portal_name), portal_name, round_to_seconds(now_ticks())};
    m_state.next_tenant_id = tenant_id + 1;
    User owner;
    owner.id = new_guid();
    owner.email = email;
    owner.password = password;
    owner.first_name = string_property(body, "firstName");
    owner.last_name = string_property(body, "lastName");
    owner.role = Role::owner;
    m_state.users.push_back(owner);
    m_limiter.clear();
    save();
    const std::string host = request.base_url.substr(request.base_url.find("://") + 3);
    return json_response(200, Json{{"reference", new_guid()},
                                   {"tenant",
                                    {{"tenantId", m_state.tenant.id},
                                     {"tenantAlias", m_state.tenant.alias},
                                     {"name", m_state.tenant.name},
                                     {"domain", host},
                                     {"ownerId", owner.id},
                                     {"language", string_property(body, "language")},
                                     {"status", "Active"}}}});
}

ApiResponse Portal::log_in(const ApiRequest& request) {
    const Json body = parse_body_or_null(request.body);
    const std::string email = to_lower(string_property(body, "userName"));
    const std::string password = string_property(body, "password");
    for (User& user : m_state.users) {
        if (user.active && !email.empty() && to_lower(user.email) == email &&
            user.password == password) {
            const std::string token = "emu-" + random_hex(32);
            user.tokens.push_back(token);
            remember_issued(token);
            save();
            const Ticks expires = now_ticks() + 365 * k_ticks_per_day;
            return envelope(request,
                            Json{{"token", token},
                                 {"expires", format_api_date(round_to_seconds(expires),
                                                             m_state.settings.utc_offset_minutes)},
                                 {"sms", false},
                                 {"tfa", false}});
        }
    }
    return error_response(authentication_failed());
}

ApiResponse Portal::create_person(const ApiRequest& request, const Caller& caller,
                                  bool guest_route) {
    if (!caller.admin) {
        return error_response(access_denied());
    }
    const Json body = parse_body_or_null(request.body);
    const std::string email = string_property(body, "email");
    if (email.find('@') == std::string::npos) {
        return error_response(bad_argument("Incorrect email"));
    }
    const bool taken = std::any_of(m_state.users.begin(), m_state.users.end(), [&](const User& u) {
        return to_lower(u.email) == to_lower(email);
    });
    if (taken) {
        return error_response(bad_argument("The email address is already in use"));
    }
    const Json type = property(body, "type");
    std::optional<Role> role =
        type.is_null() ? std::optional(guest_route ? Role::guest : Role::user) : parse_role(type);
    if (!role || *role == Role::owner) {
        return error_response(bad_argument("Incorrect user type"));
    }
    User user;
    user.id = new_guid();
    user.email = email;
    user.password = string_property(body, "password");
    user.first_name = string_property(body, "firstName");
    user.last_name = string_property(body, "lastName");
    user.role = *role;
    m_state.users.push_back(user);
    save();
    return envelope(request, profile_json(request, user));
}

ApiResponse Portal::delete_portal(const ApiRequest& request, const Caller& caller) {
    if (caller.role != Role::owner) {
        return error_response(access_denied());
    }
    const Settings settings = m_state.settings;
    const Tenant tenant = m_state.tenant;
    const std::int64_t next_tenant_id = m_state.next_tenant_id;
    m_state = PortalState{};
    m_state.settings = settings;
    m_state.tenant = tenant;
    m_state.next_tenant_id = next_tenant_id;
    m_limiter.clear();
    save();
    return envelope(request, Json{{"deleted", true}});
}

ApiResponse Portal::dev_tools_access(const ApiRequest& request, const Caller& caller) {
    if (request.method == "POST") {
        if (!caller.admin) {
            return error_response(access_denied());
        }
        const Json value = property(parse_body_or_null(request.body), "limitedAccessForUsers");
        if (!value.is_boolean()) {
            return error_response(bad_argument("limitedAccessForUsers must be a boolean"));
        }
        m_state.settings.limited_access_for_users = value.get<bool>();
        save();
    }
    return envelope(request,
                    Json{{"limitedAccessForUsers", m_state.settings.limited_access_for_users}});
}

}  // namespace emulator
