// Parsing of DocSpace keys responses. The body is parsed without exceptions after a cheap
// nesting-depth scan (a hostile body cannot exhaust the stack), then every field is checked
// for presence and type: a response that does not follow the contract is a protocol error,
// never a guess. Server text that reaches an error message is redacted and shortened, since
// a server may echo what it was sent and a proxy may answer with a whole HTML page.

#include "api/response_parser.hpp"
#include "api/text.hpp"

#include "provision/api/http_keys_api.hpp"
#include "provision/core/secret.hpp"

#include <cctype>
#include <optional>

namespace provision::api::detail {

namespace {

using nlohmann::json;

constexpr std::size_t k_max_depth = 64;
constexpr std::size_t k_max_excerpt = 200;

core::Error protocol(std::string message) {
    return core::make_error(core::Errc::protocol, std::move(message));
}

/// True when no array/object nests deeper than k_max_depth (strings are skipped).
bool depth_ok(std::string_view body) {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (char c : body) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > k_max_depth) {
                return false;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return true;
}

std::optional<json> parse_json(std::string_view body) {
    if (!depth_ok(body)) {
        return std::nullopt;
    }
    json parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded()) {
        return std::nullopt;
    }
    return parsed;
}

/// Redacted, single-line, at most k_max_excerpt characters.
std::string sanitize(std::string_view text) {
    std::string out = core::redact_secrets(text);
    for (char& c : out) {
        if (std::iscntrl(static_cast<unsigned char>(c)) != 0) {
            c = ' ';
        }
    }
    if (out.size() > k_max_excerpt) {
        out.resize(k_max_excerpt);
        out += "...";
    }
    return out;
}

std::string describe_html(std::string_view body) {
    const std::string lowered = lower(body);
    const auto open = lowered.find("<title>");
    const auto close = lowered.find("</title>");
    if (open != std::string::npos && close != std::string::npos && close > open) {
        const auto start = open + 7;
        return "an HTML page titled '" + sanitize(trim(body.substr(start, close - start))) + "'";
    }
    return "an HTML page of " + std::to_string(body.size()) + " bytes";
}

std::string describe_validation(const json& errors) {
    std::string out;
    for (const auto& [field, messages] : errors.items()) {
        const std::string prefix = field.empty() ? "" : field + ": ";
        if (messages.is_array()) {
            for (const auto& message : messages) {
                if (message.is_string()) {
                    out += (out.empty() ? "" : "; ") + prefix + message.get<std::string>();
                }
            }
        } else if (messages.is_string()) {
            out += (out.empty() ? "" : "; ") + prefix + messages.get<std::string>();
        }
    }
    return out;
}

const json* member(const json& object, const char* name) {
    if (!object.is_object()) {
        return nullptr;
    }
    const auto& fields = object.get_ref<const json::object_t&>();
    const auto it = fields.find(name);
    return it == fields.end() || it->second.is_null() ? nullptr : &it->second;
}

core::Result<std::optional<core::Timestamp>> optional_date(const json& object, const char* name) {
    const json* value = member(object, name);
    if (value == nullptr) {
        return std::optional<core::Timestamp>{};
    }
    if (!value->is_string()) {
        return protocol(std::string("'") + name + "' is not a date string");
    }
    const auto parsed = core::parse_iso8601(value->get<std::string>());
    if (!parsed) {
        return protocol(std::string("'") + name + "' is not an ISO-8601 date with an offset: '" +
                        sanitize(value->get<std::string>()) + "'");
    }
    return std::optional<core::Timestamp>{*parsed};
}

core::Error in_key(const std::string& id, const core::Error& error) {
    return protocol("malformed key object" + (id.empty() ? "" : " '" + sanitize(id) + "'") +
                    " from the portal: " + error.message);
}

}  // namespace

core::Result<json> parse_envelope(std::string_view body) {
    const auto parsed = parse_json(body);
    if (!parsed) {
        return protocol("the portal's answer is not valid JSON");
    }
    if (!parsed->is_object()) {
        return protocol("the portal's answer is not a JSON object");
    }
    if (const json* status = member(*parsed, "status");
        status != nullptr && (!status->is_number_integer() || status->get<long long>() != 0)) {
        return protocol("the portal's answer has a non-zero 'status' in a success response");
    }
    const auto it = parsed->find("response");
    if (it == parsed->end()) {
        return protocol("the portal's answer has no 'response' member");
    }
    return *it;
}

core::Result<ApiKey> parse_key(const json& object) {
    if (!object.is_object()) {
        return protocol("a key in the portal's answer is not a JSON object");
    }
    ApiKey key;
    const json* id = member(object, "id");
    if (id == nullptr || !id->is_string() || id->get<std::string>().empty()) {
        return protocol("a key object from the portal has no 'id'");
    }
    key.id = id->get<std::string>();
    const json* name = member(object, "name");
    if (name == nullptr || !name->is_string()) {
        return in_key(key.id, protocol("no 'name'"));
    }
    key.name = name->get<std::string>();
    if (const json* postfix = member(object, "keyPostfix"); postfix != nullptr) {
        if (!postfix->is_string()) {
            return in_key(key.id, protocol("'keyPostfix' is not a string"));
        }
        key.postfix = postfix->get<std::string>();
    } else if (const json* masked = member(object, "key");
               masked != nullptr && masked->is_string() && masked->get<std::string>().size() >= 4) {
        const auto& text = masked->get_ref<const std::string&>();
        key.postfix = text.substr(text.size() - 4);
    }
    key.permissions = core::Scopes::all();
    if (const json* permissions = member(object, "permissions"); permissions != nullptr) {
        if (!permissions->is_array()) {
            return in_key(key.id, protocol("'permissions' is not an array"));
        }
        std::vector<std::string> list;
        for (const auto& scope : *permissions) {
            if (!scope.is_string()) {
                return in_key(key.id, protocol("'permissions' holds a non-string"));
            }
            list.push_back(scope.get<std::string>());
        }
        key.permissions = core::Scopes::from_list(list);
    }
    auto create_on = optional_date(object, "createOn");
    if (!create_on) {
        return in_key(key.id, create_on.error());
    }
    if (!*create_on) {
        return in_key(key.id, protocol("no 'createOn'"));
    }
    key.create_on = **create_on;
    auto expires_at = optional_date(object, "expiresAt");
    if (!expires_at) {
        return in_key(key.id, expires_at.error());
    }
    key.expires_at = *expires_at;
    auto last_used = optional_date(object, "lastUsed");
    if (!last_used) {
        return in_key(key.id, last_used.error());
    }
    key.last_used = *last_used;
    const json* active = member(object, "isActive");
    if (active == nullptr || !active->is_boolean()) {
        return in_key(key.id, protocol("no boolean 'isActive'"));
    }
    key.is_active = active->get<bool>();
    const json* creator = member(object, "createBy");
    const json* creator_id = creator == nullptr ? nullptr : member(*creator, "id");
    if (creator_id == nullptr || !creator_id->is_string()) {
        return in_key(key.id, protocol("no 'createBy.id'"));
    }
    key.created_by_id = creator_id->get<std::string>();
    if (const json* display = member(*creator, "displayName"); display != nullptr) {
        if (!display->is_string()) {
            return in_key(key.id, protocol("'createBy.displayName' is not a string"));
        }
        key.created_by_name = display->get<std::string>();
    }
    return key;
}

core::Result<std::vector<ApiKey>> parse_key_list(const json& response) {
    if (!response.is_array()) {
        return protocol("the portal's key list is not an array");
    }
    std::vector<ApiKey> keys;
    keys.reserve(response.size());
    for (const auto& item : response) {
        auto key = parse_key(item);
        if (!key) {
            return key.error();
        }
        keys.push_back(std::move(*key));
    }
    return keys;
}

core::Result<std::vector<ApiKey>> parse_key_list_envelope(std::string_view body) {
    if (!depth_ok(body)) {
        return protocol("the portal's answer is not valid JSON");
    }
    std::vector<ApiKey> keys;
    std::optional<core::Error> first_error;
    std::string member_name;  // the envelope member being read
    bool in_list = false;     // inside the envelope's `response` array
    // Depths as nlohmann reports them: 1 for the envelope's members and the `response` array,
    // 2 for a key object in it. Each key is converted when its object ends and then dropped
    // (the callback answers false), so the list never exists as a JSON tree.
    const json::parser_callback_t callback = [&](int depth, json::parse_event_t event,
                                                 json& parsed) {
        switch (event) {
        case json::parse_event_t::key:
            if (depth == 1) {
                member_name = parsed.get<std::string>();
            }
            return true;
        case json::parse_event_t::array_start:
            if (depth == 1) {
                in_list = member_name == "response";
                if (in_list) {  // a repeated member: the last one counts, as in the JSON tree
                    keys.clear();
                    first_error.reset();
                }
            }
            return true;
        case json::parse_event_t::array_end:
            if (depth == 1) {
                in_list = false;
            }
            return true;
        case json::parse_event_t::object_end:
            if (depth != 2 || !in_list) {
                return true;
            }
            if (!first_error) {
                auto key = parse_key(parsed);
                if (key) {
                    keys.push_back(std::move(*key));
                } else {
                    first_error = key.error();
                }
            }
            return false;
        default:
            return true;
        }
    };
    const json envelope = json::parse(body, callback, false);
    if (envelope.is_discarded()) {
        return protocol("the portal's answer is not valid JSON");
    }
    if (!envelope.is_object()) {
        return protocol("the portal's answer is not a JSON object");
    }
    if (const json* status = member(envelope, "status");
        status != nullptr && (!status->is_number_integer() || status->get<long long>() != 0)) {
        return protocol("the portal's answer has a non-zero 'status' in a success response");
    }
    const auto response = envelope.find("response");
    if (response == envelope.end()) {
        return protocol("the portal's answer has no 'response' member");
    }
    if (!response->is_array()) {
        return protocol("the portal's key list is not an array");
    }
    if (first_error) {
        return *first_error;
    }
    if (!response->empty()) {  // only what was not an object is left
        return protocol("a key in the portal's answer is not a JSON object");
    }
    return keys;
}

core::Result<CreatedKey> parse_created_key(const json& response) {
    const json* id = member(response, "id");
    if (id == nullptr || !id->is_string() || id->get<std::string>().empty()) {
        return protocol("the portal's answer to a create has no key id");
    }
    const json* secret = member(response, "key");
    if (secret == nullptr || !secret->is_string() ||
        !core::looks_like_api_key(secret->get_ref<const std::string&>())) {
        return protocol("the portal's answer to a create for key '" +
                        sanitize(id->get<std::string>()) + "' has no well-formed secret");
    }
    auto key = parse_key(response);
    if (!key) {
        return key.error();
    }
    CreatedKey created{std::move(*key), core::Secret{secret->get<std::string>()}};
    const std::string& text = created.secret.reveal();
    created.key.postfix = text.substr(text.size() - 4);
    return created;
}

core::Result<bool> parse_bool(const json& response) {
    if (!response.is_boolean()) {
        return protocol("the portal's answer is not a boolean 'response'");
    }
    return response.get<bool>();
}

core::Result<std::vector<std::string>> parse_string_list(const json& response) {
    if (!response.is_array()) {
        return protocol("the portal's answer is not an array of strings");
    }
    std::vector<std::string> out;
    for (const auto& item : response) {
        if (!item.is_string()) {
            return protocol("the portal's answer is not an array of strings");
        }
        out.push_back(item.get<std::string>());
    }
    return out;
}

core::Result<User> parse_user(const json& response) {
    const json* id = member(response, "id");
    if (id == nullptr || !id->is_string() || id->get<std::string>().empty()) {
        return protocol("the portal's profile answer has no 'id'");
    }
    User user;
    user.id = id->get<std::string>();
    if (const json* name = member(response, "displayName"); name != nullptr && name->is_string()) {
        user.display_name = name->get<std::string>();
    }
    for (const char* flag : {"isAdmin", "isOwner"}) {
        if (const json* value = member(response, flag); value != nullptr && value->is_boolean()) {
            user.is_admin = user.is_admin || value->get<bool>();
        }
    }
    return user;
}

core::Result<PortalIdentity> parse_portal(const json& response) {
    const json* tenant = member(response, "tenantId");
    if (tenant == nullptr || !tenant->is_number_integer()) {
        return protocol("the portal's answer has no integer 'tenantId'");
    }
    PortalIdentity identity;
    identity.tenant_id = tenant->get<long long>();
    if (const json* alias = member(response, "tenantAlias");
        alias != nullptr && alias->is_string()) {
        identity.alias = alias->get<std::string>();
    }
    if (const json* owner = member(response, "ownerId"); owner != nullptr && owner->is_string()) {
        identity.owner_id = owner->get<std::string>();
    }
    // A creation time that cannot be read counts as not given: it only confirms an identity.
    if (auto created = optional_date(response, "creationDateTime"); created.ok()) {
        identity.created = *created;
    }
    return identity;
}

std::string describe_error_body(std::string_view body) {
    const std::string_view trimmed = trim(body);
    if (trimmed.empty()) {
        return "";
    }
    if (trimmed.front() == '<') {
        return describe_html(trimmed);
    }
    const auto parsed = parse_json(trimmed);
    if (!parsed || !parsed->is_object()) {
        return "'" + sanitize(trimmed) + "'";
    }
    if (const json* error = member(*parsed, "error"); error != nullptr) {
        if (const json* message = member(*error, "message");
            message != nullptr && message->is_string()) {
            return sanitize(message->get<std::string>());
        }
    }
    if (const json* response = member(*parsed, "response"); response != nullptr) {
        if (const json* errors = member(*response, "errors");
            errors != nullptr && errors->is_object()) {
            const std::string text = describe_validation(*errors);
            if (!text.empty()) {
                return sanitize(text);
            }
        }
        if (const json* title = member(*response, "title");
            title != nullptr && title->is_string()) {
            return sanitize(title->get<std::string>());
        }
    }
    if (const json* message = member(*parsed, "message");
        message != nullptr && message->is_string()) {
        return sanitize(message->get<std::string>());
    }
    return "'" + sanitize(trimmed) + "'";
}

std::string error_type(std::string_view body) {
    const auto parsed = parse_json(body);
    if (!parsed) {
        return "";
    }
    const json* error = member(*parsed, "error");
    const json* type = error == nullptr ? nullptr : member(*error, "type");
    return type != nullptr && type->is_string() ? type->get<std::string>() : "";
}

core::Error error_from_response(const HttpResponse& response, std::string_view what,
                                core::Timestamp now) {
    core::Error error;
    error.http_status = response.status;
    std::string message =
        std::string(what) + ": the portal answered HTTP " + std::to_string(response.status);
    switch (response.status) {
    case 401:
        error.code = core::Errc::unauthorized;
        message += " (the credential is missing, invalid, expired or deactivated)";
        break;
    case 403:
        error.code = core::Errc::forbidden;
        message += " (the credential is not allowed to do this: the keys routes need an admin "
                   "session token or an unrestricted API key)";
        break;
    case 429:
        error.code = core::Errc::rate_limited;
        message += " (rate limited)";
        break;
    default:
        error.code = core::Errc::http_status;
        break;
    }
    if (const auto header = response.headers.find("retry-after");
        header != response.headers.end()) {
        error.retry_after = parse_retry_after(header->second, now);
    }
    if (const std::string server = describe_error_body(response.body); !server.empty()) {
        message += ": " + server;
    }
    error.message = std::move(message);
    return error;
}

}  // namespace provision::api::detail
