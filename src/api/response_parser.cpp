// Parsing of DocSpace keys responses. The body is parsed without exceptions after a cheap
// nesting-depth scan (a hostile body cannot exhaust the stack), then every field is checked
// for presence and type: a response that does not follow the contract is a protocol error,
// never a guess. Server text that reaches an error message is redacted and shortened, since
// a server may echo what it was sent and a proxy may answer with a whole HTML page.
// The checks of a key object and of the envelope take what was read (api/key_fields.hpp), so
// that the one-pass key list reader (key_list_reader.cpp) runs these very rules.

#include "api/response_parser.hpp"
#include "api/key_fields.hpp"
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

std::optional<json> parse_json(std::string_view body) {
    if (!nesting_ok(body)) {
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

/// A member (or nullptr, as member() answers for a missing or null one) as a FieldValue.
FieldValue field(const json* value) {
    FieldValue out;
    if (value == nullptr) {
        return out;
    }
    using Kind = FieldValue::Kind;
    if (value->is_string()) {
        out.kind = Kind::string;
        out.text = value->get<std::string>();
    } else if (value->is_boolean()) {
        out.kind = Kind::boolean;
        out.truth = value->get<bool>();
    } else {
        out.kind = value->is_array()    ? Kind::array
                   : value->is_object() ? Kind::object
                                        : Kind::number;
    }
    return out;
}

/// A date member: nullopt when absent; a protocol error naming it when it is not a string or
/// not an ISO-8601 date with an offset (quoting the text, sanitised).
core::Result<std::optional<core::Timestamp>> date_field(const char* name, const FieldValue& value) {
    if (value.kind == FieldValue::Kind::absent) {
        return std::optional<core::Timestamp>{};
    }
    if (value.kind != FieldValue::Kind::string) {
        return protocol(std::string("'") + name + "' is not a date string");
    }
    const auto parsed = core::parse_iso8601(value.text);
    if (!parsed) {
        return protocol(std::string("'") + name + "' is not an ISO-8601 date with an offset: '" +
                        sanitize(value.text) + "'");
    }
    return std::optional<core::Timestamp>{*parsed};
}

core::Result<std::optional<core::Timestamp>> optional_date(const json& object, const char* name) {
    return date_field(name, field(member(object, name)));
}

core::Error in_key(const std::string& id, const core::Error& error) {
    return protocol("malformed key object" + (id.empty() ? "" : " '" + sanitize(id) + "'") +
                    " from the portal: " + error.message);
}

}  // namespace

bool nesting_ok(std::string_view body) {
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

std::optional<core::Error> envelope_error(const EnvelopeFacts& facts) {
    if (!facts.valid_json) {
        return protocol("the portal's answer is not valid JSON");
    }
    if (!facts.object) {
        return protocol("the portal's answer is not a JSON object");
    }
    if (!facts.status_zero) {
        return protocol("the portal's answer has a non-zero 'status' in a success response");
    }
    if (!facts.has_response) {
        return protocol("the portal's answer has no 'response' member");
    }
    return std::nullopt;
}

core::Error list_not_array() {
    return protocol("the portal's key list is not an array");
}

core::Error key_not_object() {
    return protocol("a key in the portal's answer is not a JSON object");
}

core::Result<json> parse_envelope(std::string_view body) {
    auto parsed = parse_json(body);
    EnvelopeFacts facts;
    facts.valid_json = parsed.has_value();
    facts.object = parsed && parsed->is_object();
    if (facts.object) {
        const json* status = member(*parsed, "status");
        facts.status_zero =
            status == nullptr || (status->is_number_integer() && status->get<long long>() == 0);
        facts.has_response = parsed->contains("response");
    }
    if (auto error = envelope_error(facts)) {
        return *std::move(error);
    }
    return std::move((*parsed)["response"]);
}

core::Result<ApiKey> make_key(KeyFields&& fields) {
    using Kind = FieldValue::Kind;
    if (fields.id.kind != Kind::string || fields.id.text.empty()) {
        return protocol("a key object from the portal has no 'id'");
    }
    ApiKey key;
    key.id = std::move(fields.id.text);
    if (fields.name.kind != Kind::string) {
        return in_key(key.id, protocol("no 'name'"));
    }
    key.name = std::move(fields.name.text);
    if (fields.key_postfix.kind != Kind::absent) {
        if (fields.key_postfix.kind != Kind::string) {
            return in_key(key.id, protocol("'keyPostfix' is not a string"));
        }
        key.postfix = std::move(fields.key_postfix.text);
    } else if (const std::string& masked = fields.masked_key.text;
               fields.masked_key.kind == Kind::string && masked.size() >= 4) {
        key.postfix = masked.substr(masked.size() - 4);
    }
    key.permissions = core::Scopes::all();
    if (fields.permissions.kind != Kind::absent) {
        if (fields.permissions.kind != Kind::array) {
            return in_key(key.id, protocol("'permissions' is not an array"));
        }
        if (fields.scope_not_string) {
            return in_key(key.id, protocol("'permissions' holds a non-string"));
        }
        key.permissions = core::Scopes::from_list(fields.scopes);
    }
    auto create_on = date_field("createOn", fields.create_on);
    if (!create_on) {
        return in_key(key.id, create_on.error());
    }
    if (!*create_on) {
        return in_key(key.id, protocol("no 'createOn'"));
    }
    key.create_on = **create_on;
    auto expires_at = date_field("expiresAt", fields.expires_at);
    if (!expires_at) {
        return in_key(key.id, expires_at.error());
    }
    key.expires_at = *expires_at;
    auto last_used = date_field("lastUsed", fields.last_used);
    if (!last_used) {
        return in_key(key.id, last_used.error());
    }
    key.last_used = *last_used;
    if (fields.is_active.kind != Kind::boolean) {
        return in_key(key.id, protocol("no boolean 'isActive'"));
    }
    key.is_active = fields.is_active.truth;
    if (fields.creator_id.kind != Kind::string) {
        return in_key(key.id, protocol("no 'createBy.id'"));
    }
    key.created_by_id = std::move(fields.creator_id.text);
    if (fields.creator_name.kind != Kind::absent) {
        if (fields.creator_name.kind != Kind::string) {
            return in_key(key.id, protocol("'createBy.displayName' is not a string"));
        }
        key.created_by_name = std::move(fields.creator_name.text);
    }
    return key;
}

core::Result<ApiKey> parse_key(const json& object) {
    if (!object.is_object()) {
        return key_not_object();
    }
    KeyFields fields;
    fields.id = field(member(object, "id"));
    fields.name = field(member(object, "name"));
    fields.key_postfix = field(member(object, "keyPostfix"));
    fields.masked_key = field(member(object, "key"));
    const json* permissions = member(object, "permissions");
    fields.permissions = field(permissions);
    if (fields.permissions.kind == FieldValue::Kind::array) {
        for (const auto& scope : *permissions) {
            if (!scope.is_string()) {
                fields.scope_not_string = true;
                break;
            }
            fields.scopes.push_back(scope.get<std::string>());
        }
    }
    fields.create_on = field(member(object, "createOn"));
    fields.expires_at = field(member(object, "expiresAt"));
    fields.last_used = field(member(object, "lastUsed"));
    fields.is_active = field(member(object, "isActive"));
    if (const json* creator = member(object, "createBy"); creator != nullptr) {
        fields.creator_id = field(member(*creator, "id"));  // none unless an object
        fields.creator_name = field(member(*creator, "displayName"));
    }
    return make_key(std::move(fields));
}

core::Result<std::vector<ApiKey>> parse_key_list(const json& response) {
    if (!response.is_array()) {
        return list_not_array();
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
