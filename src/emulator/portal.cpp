#include "portal.hpp"

#include "ids.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace emulator {

Portal::Portal(const Options& options)
    : m_options(options), m_limiter(options.rate_limit_count, options.rate_limit_window_seconds),
      m_owner_id(new_guid()),
      m_behavior(options.server_behavior.value_or(k_default_server_behavior)) {
    m_start_tenant.id = options.tenant_id;
    m_start_tenant.alias = options.tenant_alias;
    m_start_tenant.name = options.tenant_alias;
    m_start_tenant.created = round_to_seconds(now_ticks());
    if (!options.state_file.empty() && std::filesystem::exists(options.state_file)) {
        std::ifstream in(options.state_file);
        std::stringstream text;
        text << in.rdbuf();
        bool behavior_given = false;
        try {
            const Json dump = Json::parse(text.str());
            m_state = state_from_json(dump, &behavior_given);
            if (!dump.contains("tenant")) {
                m_state.tenant = m_start_tenant;
                m_state.next_tenant_id = std::max(m_state.next_tenant_id, m_start_tenant.id + 1);
            }
        } catch (const nlohmann::json::exception& e) {
            throw std::runtime_error("cannot read --state-file: " + std::string(e.what()));
        }
        m_state.settings.utc_offset_minutes = options.utc_offset_minutes;
        // An explicit --server-behavior wins; otherwise the portal keeps the profile it was
        // saved with (or the default, for a dump older than the option).
        if (options.server_behavior || !behavior_given) {
            m_state.settings.server_behavior = m_behavior;
        }
        m_behavior = m_state.settings.server_behavior;
        m_start_tenant = m_state.tenant;
        const auto owner = std::find_if(m_state.users.begin(), m_state.users.end(),
                                        [](const User& u) { return u.role == Role::owner; });
        if (owner != m_state.users.end()) {
            m_owner_id = owner->id;
        }
        for (const ApiKey& key : m_state.keys) {
            remember_issued(key);
        }
        for (const User& user : m_state.users) {
            for (const std::string& token : user.tokens) {
                remember_issued(token);
            }
        }
        return;
    }
    start_fresh();
    save();
}

void Portal::start_fresh() {
    const std::int64_t next_tenant_id = std::max(m_state.next_tenant_id, m_start_tenant.id + 1);
    m_state = PortalState{};
    m_state.settings.limited_access_for_users = m_options.limited_access_for_users;
    m_state.settings.utc_offset_minutes = m_options.utc_offset_minutes;
    m_state.settings.server_behavior = m_behavior;
    m_state.tenant = m_start_tenant;
    m_state.next_tenant_id = next_tenant_id;
    User owner;
    owner.id = m_owner_id;
    owner.email = m_options.owner_email;
    owner.password = m_options.owner_password;
    owner.first_name = m_options.owner_first_name;
    owner.last_name = m_options.owner_last_name;
    owner.role = Role::owner;
    if (!m_options.owner_token.empty()) {
        owner.tokens.push_back(m_options.owner_token);
        remember_issued(m_options.owner_token);
    }
    m_state.users.push_back(owner);
}

ApiResponse Portal::handle(const ApiRequest& request, AuthKind& auth) {
    const std::lock_guard lock(m_mutex);
    return dispatch(request, auth);
}

ApiResponse Portal::dispatch(const ApiRequest& request, AuthKind& auth) {
    auth = AuthKind::none;
    if (auto answer = route_keys(request, auth)) {
        return *answer;
    }
    if (auto answer = route_people(request, auth)) {
        return *answer;
    }
    if (auto answer = route_files(request, auth)) {
        return *answer;
    }
    if (auto answer = route_tenant(request, auth)) {
        return *answer;
    }
    return empty_status(404);
}

User* Portal::find_user(const std::string& id) {
    const auto it = std::find_if(m_state.users.begin(), m_state.users.end(),
                                 [&](const User& u) { return u.id == id; });
    return it == m_state.users.end() ? nullptr : &*it;
}

const User* Portal::find_user(const std::string& id) const {
    const auto it = std::find_if(m_state.users.begin(), m_state.users.end(),
                                 [&](const User& u) { return u.id == id; });
    return it == m_state.users.end() ? nullptr : &*it;
}

ApiKey* Portal::find_key(const std::string& id) {
    const auto it = std::find_if(m_state.keys.begin(), m_state.keys.end(),
                                 [&](const ApiKey& k) { return k.id == id; });
    return it == m_state.keys.end() ? nullptr : &*it;
}

Json Portal::state_json() const {
    const std::lock_guard lock(m_mutex);
    return state_to_json(m_state);
}

Json Portal::issued_json() const {
    const std::lock_guard lock(m_mutex);
    return Json{{"keys", m_issued_keys}, {"tokens", m_issued_tokens}};
}

void Portal::remember_issued(const ApiKey& key) {
    m_issued_keys.push_back(Json{{"id", key.id}, {"name", key.name}, {"secret", key.secret}});
}

void Portal::remember_issued(const std::string& token) {
    if (std::find(m_issued_tokens.begin(), m_issued_tokens.end(), token) == m_issued_tokens.end()) {
        m_issued_tokens.push_back(token);
    }
}

void Portal::reset() {
    const std::lock_guard lock(m_mutex);
    start_fresh();
    m_limiter.clear();
    save();
}

Json Portal::seed_keys(const Json& fields) {
    const std::lock_guard lock(m_mutex);
    if (!fields.is_object() || !fields.contains("count") ||
        !fields.at("count").is_number_integer()) {
        throw std::invalid_argument("count must be an integer from 1 to 100000");
    }
    const auto count = fields.at("count").get<long long>();
    if (count < 1 || count > 100'000) {
        throw std::invalid_argument("count must be an integer from 1 to 100000");
    }
    std::string prefix = "Seeded key ";
    long long first = 1;
    std::optional<std::vector<std::string>> permissions;
    std::optional<long long> days;
    std::string owner = m_owner_id;
    try {
        prefix = fields.value("namePrefix", prefix);
        first = fields.value("first", first);
        if (fields.contains("permissions") && !fields.at("permissions").is_null()) {
            permissions = fields.at("permissions").get<std::vector<std::string>>();
        }
        if (fields.contains("expiresInDays") && !fields.at("expiresInDays").is_null()) {
            days = fields.at("expiresInDays").get<long long>();
        }
        if (fields.contains("createBy")) {
            owner = normalize_guid(fields.at("createBy").get<std::string>());
        }
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(e.what());
    }
    if (days && (*days < 1 || *days > 365)) {
        throw std::invalid_argument("expiresInDays must be from 1 to 365");
    }
    if (find_user(owner) == nullptr) {
        throw std::invalid_argument("createBy must be the id of a user of this portal");
    }
    const Ticks now = now_ticks();
    Json made = Json::array();
    m_state.keys.reserve(m_state.keys.size() + static_cast<std::size_t>(count));
    for (long long i = 0; i < count; ++i) {
        ApiKey key;
        key.id = new_guid();
        key.name = prefix + std::to_string(first + i);
        key.secret = "sk-" + random_hex(32);
        key.permissions = permissions.value_or(std::vector<std::string>{});
        key.create_on = round_to_seconds(now);
        if (days) {
            key.expires_at = round_to_seconds(now + *days * k_ticks_per_day);
        }
        key.create_by = owner;
        key.seq = m_state.next_seq++;
        made.push_back(Json{{"id", key.id}, {"name", key.name}});
        remember_issued(key);
        m_state.keys.push_back(std::move(key));
    }
    save();
    return Json{{"keys", std::move(made)}};
}

std::optional<Json> Portal::patch_key(const std::string& id, const Json& fields) {
    const std::lock_guard lock(m_mutex);
    ApiKey* key = find_key(normalize_guid(id));
    if (key == nullptr) {
        return std::nullopt;
    }
    ApiKey updated = *key;
    auto read_time = [&](const char* field) -> std::optional<Ticks> {
        const Json& value = fields.at(field);
        if (value.is_null()) {
            return std::nullopt;
        }
        const auto parsed = value.is_string() ? parse_iso(value.get<std::string>()) : std::nullopt;
        if (!parsed) {
            throw std::invalid_argument(std::string(field) + " must be an ISO-8601 date or null");
        }
        return parsed;
    };
    try {
        if (fields.contains("createOn")) {
            const auto value = read_time("createOn");
            if (!value) {
                throw std::invalid_argument("createOn cannot be null");
            }
            updated.create_on = *value;
        }
        if (fields.contains("expiresAt")) {
            updated.expires_at = read_time("expiresAt");
        }
        if (fields.contains("lastUsed")) {
            updated.last_used = read_time("lastUsed");
        }
        if (fields.contains("isActive")) {
            updated.is_active = fields.at("isActive").get<bool>();
        }
        if (fields.contains("createBy")) {
            // The id of a user of this portal: the key then lists as made by that user.
            const std::string user = normalize_guid(fields.at("createBy").get<std::string>());
            if (find_user(user) == nullptr) {
                throw std::invalid_argument("createBy must be the id of a user of this portal");
            }
            updated.create_by = user;
        }
        if (fields.contains("name")) {
            updated.name = fields.at("name").get<std::string>();
        }
        if (fields.contains("permissions")) {
            const Json& value = fields.at("permissions");
            updated.permissions = value.is_null()
                                      ? std::nullopt
                                      : std::optional(value.get<std::vector<std::string>>());
        }
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(e.what());
    }
    *key = updated;
    save();
    return key_to_state_json(*key);
}

bool Portal::remove_key(const std::string& id) {
    const std::lock_guard lock(m_mutex);
    const std::string wanted = normalize_guid(id);
    const auto before = m_state.keys.size();
    std::erase_if(m_state.keys, [&](const ApiKey& k) { return k.id == wanted; });
    const bool removed = m_state.keys.size() != before;
    if (removed) {
        save();
    }
    return removed;
}

std::optional<Json> Portal::patch_user(const std::string& id, const Json& fields) {
    const std::lock_guard lock(m_mutex);
    User* user = find_user(normalize_guid(id));
    if (user == nullptr) {
        return std::nullopt;
    }
    try {
        if (fields.contains("active")) {
            user->active = fields.at("active").get<bool>();
        }
        if (fields.contains("role")) {
            const auto role = parse_role(fields.at("role"));
            if (!role) {
                throw std::invalid_argument("unknown role");
            }
            user->role = *role;
        }
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(e.what());
    }
    save();
    const Json dump = state_to_json(m_state);
    for (const Json& entry : dump.at("users")) {
        if (entry.at("id") == user->id) {
            return entry;
        }
    }
    return std::nullopt;
}

int Portal::sweep() {
    const std::lock_guard lock(m_mutex);
    const Ticks now = now_ticks();
    int deactivated = 0;
    for (ApiKey& key : m_state.keys) {
        if (key.is_active && key.expires_at && *key.expires_at < now) {
            key.is_active = false;
            ++deactivated;
        }
    }
    if (deactivated > 0) {
        save();
    }
    return deactivated;
}

void Portal::save() const {
    if (m_options.state_file.empty()) {
        return;
    }
    try {
        write_file_atomically(m_options.state_file, state_to_json(m_state).dump(2) + "\n");
    } catch (const std::exception& e) {
        std::cerr << "docspace-emulator: cannot save state: " << e.what() << "\n";
    }
}

void write_file_atomically(const std::string& path, const std::string& text) {
    const std::string temp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw std::runtime_error("cannot create " + temp);
    }
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n <= 0) {
            ::close(fd);
            std::remove(temp.c_str());
            throw std::runtime_error("cannot write " + temp);
        }
        written += static_cast<std::size_t>(n);
    }
    ::fsync(fd);
    ::close(fd);
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
        std::remove(temp.c_str());
        throw std::runtime_error("cannot rename " + temp + " to " + path);
    }
}

}  // namespace emulator
