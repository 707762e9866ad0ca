#include "model.hpp"

#include "ids.hpp"

#include <algorithm>
#include <stdexcept>

namespace emulator {
namespace {

Json optional_time(const std::optional<Ticks>& value) {
    return value ? Json(format_utc(*value)) : Json(nullptr);
}

std::optional<Ticks> read_time(const Json& json, const char* field) {
    if (!json.contains(field) || json.at(field).is_null()) {
        return std::nullopt;
    }
    const auto parsed = parse_iso(json.at(field).get<std::string>());
    if (!parsed) {
        throw std::runtime_error(std::string("malformed date in field ") + field);
    }
    return parsed;
}

}  // namespace

std::string role_name(Role role) {
    switch (role) {
    case Role::owner:
        return "Owner";
    case Role::docspace_admin:
        return "DocSpaceAdmin";
    case Role::room_admin:
        return "RoomAdmin";
    case Role::user:
        return "User";
    case Role::guest:
        return "Guest";
    }
    return "User";
}

std::optional<Role> parse_role(const Json& value) {
    if (value.is_number_integer()) {
        switch (value.get<int>()) {
        case 1:
            return Role::room_admin;
        case 2:
            return Role::guest;
        case 3:
            return Role::docspace_admin;
        case 4:
            return Role::user;
        default:
            return std::nullopt;
        }
    }
    if (!value.is_string()) {
        return std::nullopt;
    }
    const std::string name = to_lower(value.get<std::string>());
    for (const Role role :
         {Role::owner, Role::docspace_admin, Role::room_admin, Role::user, Role::guest}) {
        if (to_lower(role_name(role)) == name) {
            return role;
        }
    }
    if (name == "collaborator") {
        return Role::user;
    }
    return std::nullopt;
}

bool ApiKey::unrestricted() const {
    return !permissions || permissions->empty() ||
           std::find(permissions->begin(), permissions->end(), "*") != permissions->end();
}

Json key_to_state_json(const ApiKey& key) {
    return Json{{"id", key.id},
                {"name", key.name},
                {"secret", key.secret},
                {"keyPostfix", key.postfix()},
                {"permissions", key.permissions ? Json(*key.permissions) : Json(nullptr)},
                {"createOn", format_utc(key.create_on)},
                {"expiresAt", optional_time(key.expires_at)},
                {"lastUsed", optional_time(key.last_used)},
                {"isActive", key.is_active},
                {"createBy", key.create_by}};
}

Json state_to_json(const PortalState& state) {
    Json users = Json::array();
    for (const User& user : state.users) {
        users.push_back(Json{{"id", user.id},
                             {"email", user.email},
                             {"displayName", user.display_name()},
                             {"role", role_name(user.role)},
                             {"tokens", user.tokens},
                             {"firstName", user.first_name},
                             {"lastName", user.last_name},
                             {"password", user.password},
                             {"active", user.active}});
    }
    Json keys = Json::array();
    for (const ApiKey& key : state.keys) {
        keys.push_back(key_to_state_json(key));
    }
    Json rooms = Json::array();
    for (const Room& room : state.rooms) {
        rooms.push_back(Json{{"id", room.id},
                             {"title", room.title},
                             {"roomType", room.room_type},
                             {"createdBy", room.created_by}});
    }
    Json files = Json::array();
    for (const FileItem& file : state.files) {
        files.push_back(Json{{"id", file.id},
                             {"folderId", file.folder_id},
                             {"title", file.title},
                             {"createdBy", file.created_by}});
    }
    return Json{{"users", users},
                {"keys", keys},
                {"settings",
                 {{"limitedAccessForUsers", state.settings.limited_access_for_users},
                  {"utcOffset", format_utc_offset(state.settings.utc_offset_minutes)},
                  {"serverBehavior", server_behavior_name(state.settings.server_behavior)}}},
                {"tenant",
                 {{"id", state.tenant.id},
                  {"alias", state.tenant.alias},
                  {"name", state.tenant.name},
                  {"creationDateTime", format_utc(state.tenant.created)}}},
                {"nextTenantId", state.next_tenant_id},
                {"rooms", rooms},
                {"files", files},
                {"nextItemId", state.next_item_id}};
}

PortalState state_from_json(const Json& json, bool* behavior_given) {
    try {
        PortalState state;
        for (const Json& u : json.at("users")) {
            User user;
            user.id = u.at("id").get<std::string>();
            user.email = u.at("email").get<std::string>();
            user.password = u.value("password", "");
            user.first_name = u.value("firstName", "");
            user.last_name = u.value("lastName", "");
            user.role = parse_role(u.at("role")).value_or(Role::user);
            user.active = u.value("active", true);
            user.tokens = u.value("tokens", std::vector<std::string>{});
            state.users.push_back(user);
        }
        for (const Json& k : json.at("keys")) {
            ApiKey key;
            key.id = k.at("id").get<std::string>();
            key.name = k.at("name").get<std::string>();
            key.secret = k.at("secret").get<std::string>();
            if (k.contains("permissions") && !k.at("permissions").is_null()) {
                key.permissions = k.at("permissions").get<std::vector<std::string>>();
            }
            key.create_on = read_time(k, "createOn").value_or(0);
            key.expires_at = read_time(k, "expiresAt");
            key.last_used = read_time(k, "lastUsed");
            key.is_active = k.value("isActive", true);
            key.create_by = k.at("createBy").get<std::string>();
            key.seq = state.next_seq++;
            state.keys.push_back(key);
        }
        for (const Json& r : json.value("rooms", Json::array())) {
            state.rooms.push_back(Room{r.at("id").get<std::int64_t>(), r.value("title", ""),
                                       r.value("roomType", 0), r.value("createdBy", "")});
        }
        for (const Json& f : json.value("files", Json::array())) {
            state.files.push_back(FileItem{f.at("id").get<std::int64_t>(),
                                           f.value("folderId", std::int64_t{0}),
                                           f.value("title", ""), f.value("createdBy", "")});
        }
        const Json settings = json.value("settings", Json::object());
        state.settings.limited_access_for_users = settings.value("limitedAccessForUsers", false);
        state.settings.utc_offset_minutes =
            parse_utc_offset(settings.value("utcOffset", "+00:00")).value_or(0);
        if (settings.contains("serverBehavior")) {
            const auto behavior =
                parse_server_behavior(settings.at("serverBehavior").get<std::string>());
            if (!behavior) {
                throw std::runtime_error("settings.serverBehavior must be \"3.7.2\" or \"latest\"");
            }
            state.settings.server_behavior = *behavior;
            if (behavior_given != nullptr) {
                *behavior_given = true;
            }
        }
        if (json.contains("tenant")) {
            const Json& tenant = json.at("tenant");
            state.tenant.id = tenant.at("id").get<std::int64_t>();
            state.tenant.alias = tenant.value("alias", "");
            state.tenant.name = tenant.value("name", state.tenant.alias);
            state.tenant.created = read_time(tenant, "creationDateTime").value_or(0);
        }
        state.next_tenant_id =
            std::max(json.value("nextTenantId", std::int64_t{2}), state.tenant.id + 1);
        state.next_item_id = json.value("nextItemId", std::int64_t{1});
        return state;
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("malformed state: ") + e.what());
    }
}

}  // namespace emulator
