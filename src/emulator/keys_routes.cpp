// The six keys routes of DocSpace v3.7.2 (contract §2-§8), including the quirks that differ from
// the published docs: `count: 1` on the list, 200 `false` (not 403) for another user's key,
// 500 for unknown ids, `[]` on PUT meaning "no change" and exactly ["*"] stored as null.
// With `--server-behavior latest` the rows of Appendix B change instead (later_server()):
// guests get 403 on list, permissions and create (with the guest-role message), a create with
// `permissions: []` is 400, and PUT/DELETE of another user's key is 403 "Access denied". Those
// 403 answers come from the API layer and carry the ErrorApiResponse body.
#include "ids.hpp"
#include "key_requests.hpp"
#include "portal.hpp"

#include <algorithm>

namespace emulator {
namespace {

const std::string k_keys = "/api/2.0/keys";

ApiResponse rate_limited(const RateDecision& decision) {
    ApiResponse response = empty_status(429);
    response.headers.push_back({"Retry-After", std::to_string(decision.retry_after_seconds)});
    response.headers.push_back({"X-RateLimit-Limit", std::to_string(decision.limit)});
    response.headers.push_back({"X-RateLimit-Remaining", "0"});
    return response;
}

ServerException guest_role() {
    return {403, "System.InvalidOperationException",
            "This operation unavailable for user with guest role", -2146233079};
}

ServerException unstorable_name() {
    return {500, "MySqlConnector.MySqlException",
            "Incorrect string value for column 'name' at row 1", -2147467259};
}

}  // namespace

std::optional<ApiResponse> Portal::route_keys(const ApiRequest& request, AuthKind& auth) {
    const std::string& path = request.path;
    if (path != k_keys && path.rfind(k_keys + "/", 0) != 0) {
        return std::nullopt;
    }
    const std::string rest = path == k_keys ? "" : path.substr(k_keys.size() + 1);
    const std::string& method = request.method;
    enum class Route { list, create, permissions, self, update, remove } route{};
    if (rest.empty() && method == "GET") {
        route = Route::list;
    } else if (rest.empty() && method == "POST") {
        route = Route::create;
    } else if (rest == "permissions" && method == "GET") {
        route = Route::permissions;
    } else if (rest == "@self" && method == "GET") {
        route = Route::self;
    } else if (is_guid(rest) && method == "PUT") {
        route = Route::update;
    } else if (is_guid(rest) && method == "DELETE") {
        route = Route::remove;
    } else {
        return empty_status(404);
    }

    auto caller = authenticate(request);
    if (!caller) {
        return empty_status(401);
    }
    auth = caller->kind;
    if (route == Route::create && m_options.rate_limit) {
        const RateDecision decision =
            m_limiter.acquire("sensitive_api_" + caller->user_id + "|" + k_keys, now_ticks());
        if (!decision.allowed) {
            return rate_limited(decision);
        }
    }
    if (!scope_allows(*caller, method, path)) {
        return empty_status(403);
    }
    if (later_server() && caller->role == Role::guest &&
        (route == Route::list || route == Route::permissions)) {
        return error_response(access_denied());
    }
    switch (route) {
    case Route::list:
        return list_keys(request, *caller);
    case Route::create:
        return create_key(request, *caller);
    case Route::permissions:
        return envelope(request, Json(scope_catalogue()),
                        static_cast<std::int64_t>(scope_catalogue().size()));
    case Route::self:
        return self_key(request, *caller);
    case Route::update:
        return update_key(request, *caller, normalize_guid(rest));
    case Route::remove:
        return delete_key(request, *caller, normalize_guid(rest));
    }
    return empty_status(404);
}

Json Portal::key_json(const ApiRequest& request, const ApiKey& key, bool reveal,
                      std::optional<Ticks> create_on, std::optional<Ticks> expires_at) const {
    const int offset = m_state.settings.utc_offset_minutes;
    Json json{{"id", key.id},
              {"name", key.name},
              {"key", reveal ? key.secret : "sk-***" + key.postfix()},
              {"keyPostfix", key.postfix()}};
    if (key.permissions) {
        json["permissions"] = *key.permissions;
    }
    if (key.last_used) {
        json["lastUsed"] = format_api_date(*key.last_used, offset);
    }
    json["createOn"] = format_api_date(create_on.value_or(key.create_on), offset);
    json["createBy"] = employee_json(request, key.create_by);
    if (expires_at || key.expires_at) {
        json["expiresAt"] = format_api_date(expires_at.value_or(*key.expires_at), offset);
    }
    json["isActive"] = key.is_active;
    return json;
}

ApiResponse Portal::list_keys(const ApiRequest& request, const Caller& caller) {
    std::vector<const ApiKey*> visible;
    for (const ApiKey& key : m_state.keys) {
        if (caller.admin || key.create_by == caller.user_id) {
            visible.push_back(&key);
        }
    }
    std::sort(visible.begin(), visible.end(), [](const ApiKey* a, const ApiKey* b) {
        return a->create_on != b->create_on ? a->create_on > b->create_on : a->seq > b->seq;
    });
    // Each key is printed on its own and the texts joined: a portal of 10,000 keys answers in a
    // fraction of the time that building, printing and freeing one document of them all takes.
    std::string list = "[";
    for (const ApiKey* key : visible) {
        if (list.size() > 1) {
            list += ',';
        }
        list += key_json(request, *key, false).dump();
    }
    list += ']';
    // The payload is an IAsyncEnumerable, so the envelope's count falls through to 1.
    return envelope_text(request, list, 1);
}

ApiResponse Portal::create_key(const ApiRequest& request, const Caller& caller) {
    if (!is_json_content_type(request.header("content-type"))) {
        return empty_status(415);
    }
    CreateKeyInput input;
    const ValidationErrors errors = bind_create(request.body, input);
    if (!errors.empty()) {
        return validation_problem(request, errors);
    }
    if (later_server() && caller.role == Role::guest) {
        return error_response(guest_role());
    }
    if ((m_state.settings.limited_access_for_users && !caller.admin) ||
        caller.role == Role::guest) {
        return error_response(access_denied());
    }
    // v3.7.2 reads an explicit `[]` as unrestricted; later servers refuse it.
    const bool empty_list = input.permissions && input.permissions->empty();
    if (input.permissions &&
        (!valid_scopes(*input.permissions) || (empty_list && later_server()))) {
        return error_response(invalid_permissions());
    }
    if (has_four_byte_character(input.name)) {
        return error_response(unstorable_name());
    }
    ApiKey key;
    key.id = new_guid();
    key.name = input.name;
    key.secret = "sk-" + random_hex(32);
    std::vector<std::string> permissions = input.permissions.value_or(std::vector<std::string>{});
    if (std::find(permissions.begin(), permissions.end(), "*") != permissions.end()) {
        permissions.clear();
    }
    key.permissions = permissions;
    const Ticks now = now_ticks();
    std::optional<Ticks> exact_expiry;
    if (input.expires_in_days) {
        exact_expiry = now + *input.expires_in_days * k_ticks_per_day;
        key.expires_at = round_to_seconds(*exact_expiry);
    }
    key.create_on = round_to_seconds(now);
    key.is_active = true;
    key.create_by = caller.user_id;
    key.seq = m_state.next_seq++;
    m_state.keys.push_back(key);
    remember_issued(key);
    save();
    return envelope(request, key_json(request, key, true, now, exact_expiry));
}

ApiResponse Portal::update_key(const ApiRequest& request, const Caller& caller,
                               const std::string& id) {
    if (!is_json_content_type(request.header("content-type"))) {
        return empty_status(415);
    }
    UpdateKeyInput input;
    const ValidationErrors errors = bind_update(request.body, input);
    if (!errors.empty()) {
        return validation_problem(request, errors);
    }
    ApiKey* key = find_key(id);
    if (key == nullptr) {
        return error_response(null_reference());
    }
    const bool foreign = !caller.admin && key->create_by != caller.user_id;
    if (foreign && later_server()) {
        return error_response(access_denied());
    }
    if (key->expires_at && *key->expires_at < now_ticks()) {
        return envelope(request, false);
    }
    if (foreign) {
        return envelope(request, false);
    }
    if (input.permissions && !valid_scopes(*input.permissions)) {
        return error_response(invalid_permissions());
    }
    if (input.name && !input.name->empty()) {
        if (has_four_byte_character(*input.name)) {
            return error_response(unstorable_name());
        }
        key->name = *input.name;
    }
    if (input.permissions && !input.permissions->empty()) {
        if (*input.permissions == std::vector<std::string>{"*"}) {
            key->permissions.reset();
        } else {
            key->permissions = *input.permissions;
        }
    }
    if (input.is_active) {
        key->is_active = *input.is_active;
    }
    save();
    return envelope(request, true);
}

ApiResponse Portal::delete_key(const ApiRequest& request, const Caller& caller,
                               const std::string& id) {
    ApiKey* key = find_key(id);
    if (key == nullptr) {
        return error_response(null_reference());
    }
    if (!caller.admin && key->create_by != caller.user_id) {
        return later_server() ? error_response(access_denied()) : envelope(request, false);
    }
    std::erase_if(m_state.keys, [&](const ApiKey& k) { return k.id == id; });
    save();
    return envelope(request, true);
}

ApiResponse Portal::self_key(const ApiRequest& request, const Caller& caller) {
    if (caller.kind != AuthKind::apikey || !caller.key_id) {
        // The server slices off "Bearer " and looks the rest up as a key: a short header
        // throws ArgumentOutOfRangeException, anything else finds nothing and dereferences null.
        if (request.header("authorization").size() < 7) {
            return error_response(argument_out_of_range());
        }
        return error_response(null_reference());
    }
    const ApiKey* key = find_key(*caller.key_id);
    if (key == nullptr) {
        return error_response(null_reference());
    }
    return envelope(request, key_json(request, *key, false));
}

}  // namespace emulator
