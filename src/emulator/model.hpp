#pragma once
/// The portal's data: users, API keys, rooms and files, tenant settings. Plain values; the
/// Portal class owns one PortalState and guards it with its mutex.

#include "behavior.hpp"
#include "clock.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace emulator {

using Json = nlohmann::ordered_json;

/// DocSpace roles. The owner counts as an admin.
enum class Role { owner, docspace_admin, room_admin, user, guest };

/// "Owner", "DocSpaceAdmin", "RoomAdmin", "User", "Guest".
std::string role_name(Role role);
/// Accepts the names above (case-insensitive) and DocSpace's `EmployeeType` numbers
/// (1 RoomAdmin, 2 Guest, 3 DocSpaceAdmin, 4 User); nullopt otherwise.
std::optional<Role> parse_role(const Json& value);

struct User {
    std::string id;
    std::string email;
    std::string password;
    std::string first_name;
    std::string last_name;
    Role role = Role::user;
    bool active = true;
    std::vector<std::string> tokens;  ///< session tokens issued to this user

    std::string display_name() const { return first_name + " " + last_name; }
    bool is_admin() const { return role == Role::owner || role == Role::docspace_admin; }
};

struct ApiKey {
    std::string id;
    std::string name;
    std::string secret;                                   ///< the full `sk-` secret
    std::optional<std::vector<std::string>> permissions;  ///< nullopt = stored null
    Ticks create_on = 0;
    std::optional<Ticks> expires_at;
    std::optional<Ticks> last_used;
    bool is_active = true;
    std::string create_by;  ///< user id
    std::uint64_t seq = 0;  ///< creation order, breaks `createOn` ties

    std::string postfix() const { return secret.substr(secret.size() - 4); }
    /// True when the stored list grants everything (null, empty, or containing "*").
    bool unrestricted() const;
};

struct Room {
    std::int64_t id = 0;
    std::string title;
    int room_type = 0;
    std::string created_by;
};

struct FileItem {
    std::int64_t id = 0;
    std::int64_t folder_id = 0;
    std::string title;
    std::string created_by;
};

struct Settings {
    bool limited_access_for_users = false;
    int utc_offset_minutes = 0;
    ServerBehavior server_behavior = k_default_server_behavior;
};

/// The tenant `GET /api/2.0/portal` describes (contract Appendix B).
struct Tenant {
    std::int64_t id = 1;
    std::string alias;
    std::string name;
    Ticks created = 0;
};

struct PortalState {
    std::vector<User> users;
    std::vector<ApiKey> keys;  ///< in creation order
    std::vector<Room> rooms;
    std::vector<FileItem> files;
    Settings settings;
    Tenant tenant;
    /// The id the next `portal/register` gets; only grows, so a new tenant's id is never one
    /// this emulator reported before.
    std::int64_t next_tenant_id = 2;
    std::int64_t next_item_id = 1;
    std::uint64_t next_seq = 1;
};

/// The test-control dump (`GET /__emulator/state`), which is also the persistence format.
Json state_to_json(const PortalState& state);
Json key_to_state_json(const ApiKey& key);
/// Reads what state_to_json wrote; throws std::runtime_error when malformed. `behavior_given`
/// is set when the dump names a server behaviour (older dumps do not).
PortalState state_from_json(const Json& json, bool* behavior_given = nullptr);

}  // namespace emulator
