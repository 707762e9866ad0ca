#include "key_requests.hpp"

#include "ids.hpp"

#include <algorithm>
#include <climits>

namespace emulator {
namespace {

const char* const k_create_type = "ASC.People.ApiModels.RequestDto.CreateApiKeyRequestDto";
const char* const k_update_type = "ASC.People.ApiModels.RequestDto.UpdateApiKeyRequest";
const char* const k_name_length = "Incorrect name. Length must be less than 30";

std::string conversion_message(const std::string& type, const std::string& path) {
    return "The JSON value could not be converted to " + type + ". Path: " + path +
           " | LineNumber: 0 | BytePositionInLine: 0.";
}

/// Parses the body as a JSON object; on failure fills `errors` the way the input formatter
/// does and returns false. `parameter` is the action parameter that then fails [Required].
bool parse_object(const std::string& body, const char* type, const char* parameter, Json& out,
                  ValidationErrors& errors) {
    const bool blank = std::all_of(body.begin(), body.end(), [](char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    });
    if (blank) {
        errors.push_back({"", {"A non-empty request body is required."}});
        errors.push_back({parameter, {std::string("The ") + parameter + " field is required."}});
        return false;
    }
    try {
        out = Json::parse(body);
    } catch (const nlohmann::json::parse_error& e) {
        errors.push_back(
            {"$",
             {"'" + body.substr(std::min(body.size(), e.byte > 0 ? e.byte - 1 : 0), 1) +
              "' is an invalid JSON literal. Path: $ | LineNumber: 0 | "
              "BytePositionInLine: " +
              std::to_string(e.byte) + "."}});
        errors.push_back({parameter, {std::string("The ") + parameter + " field is required."}});
        return false;
    }
    if (!out.is_object()) {
        errors.push_back({"$", {conversion_message(type, "$")}});
        errors.push_back({parameter, {std::string("The ") + parameter + " field is required."}});
        return false;
    }
    return true;
}

/// System.Text.Json reading of `int?` with AllowReadingFromString.
bool read_int(const Json& value, std::optional<int>& out) {
    if (value.is_null()) {
        out.reset();
        return true;
    }
    if (value.is_number_integer()) {
        const auto wide = value.get<long long>();
        if (wide < INT_MIN || wide > INT_MAX) {
            return false;
        }
        out = static_cast<int>(wide);
        return true;
    }
    if (value.is_string()) {
        const std::string text = value.get<std::string>();
        std::size_t start = text.size() > 0 && text[0] == '-' ? 1 : 0;
        if (text.size() == start || text.size() > start + 10 ||
            !std::all_of(text.begin() + static_cast<std::ptrdiff_t>(start), text.end(),
                         [](char c) { return c >= '0' && c <= '9'; })) {
            return false;
        }
        const long long wide = std::stoll(text);
        if (wide < INT_MIN || wide > INT_MAX) {
            return false;
        }
        out = static_cast<int>(wide);
        return true;
    }
    return false;
}

bool read_string_list(const Json& value, std::optional<std::vector<std::string>>& out,
                      std::string& bad_path) {
    if (value.is_null()) {
        out.reset();
        return true;
    }
    if (!value.is_array()) {
        bad_path = "$.permissions";
        return false;
    }
    std::vector<std::string> list;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i].is_string()) {
            list.push_back(value[i].get<std::string>());
        } else if (value[i].is_null()) {
            list.emplace_back();
        } else {
            bad_path = "$.permissions[" + std::to_string(i) + "]";
            return false;
        }
    }
    out = list;
    return true;
}

bool is_blank(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == ' ' || (c >= 0x09 && c <= 0x0d)) {
            ++i;
        } else if (c == 0xc2 && i + 1 < text.size() &&
                   (static_cast<unsigned char>(text[i + 1]) == 0xa0 ||
                    static_cast<unsigned char>(text[i + 1]) == 0x85)) {
            i += 2;
        } else {
            return false;
        }
    }
    return true;
}

std::size_t utf16_length(const std::string& text) {
    std::size_t units = 0;
    for (const char ch : text) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if ((c & 0xc0) != 0x80) {
            units += c >= 0xf0 ? 2 : 1;
        }
    }
    return units;
}

}  // namespace

bool has_four_byte_character(const std::string& text) {
    return std::any_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) >= 0xf0; });
}

const std::vector<std::string>& scope_catalogue() {
    static const std::vector<std::string> k_scopes{"*",
                                                   "*:read",
                                                   "*:write",
                                                   "accounts:read",
                                                   "accounts:write",
                                                   "accounts.self:read",
                                                   "accounts.self:write",
                                                   "files:read",
                                                   "files:write",
                                                   "rooms:read",
                                                   "rooms:write"};
    return k_scopes;
}

bool valid_scopes(const std::vector<std::string>& scopes) {
    const auto& catalogue = scope_catalogue();
    return std::all_of(scopes.begin(), scopes.end(), [&](const std::string& scope) {
        return std::find(catalogue.begin(), catalogue.end(), scope) != catalogue.end();
    });
}

bool is_json_content_type(const std::string& content_type) {
    std::string media = to_lower(content_type.substr(0, content_type.find(';')));
    while (!media.empty() && media.back() == ' ') {
        media.pop_back();
    }
    const bool plus_json = media.size() > 17 && media.rfind("application/", 0) == 0 &&
                           media.substr(media.size() - 5) == "+json";
    return media == "application/json" || media == "text/json" || plus_json;
}

ValidationErrors bind_create(const std::string& body, CreateKeyInput& out) {
    ValidationErrors errors;
    Json object;
    if (!parse_object(body, k_create_type, "apiKey", object, errors)) {
        return errors;
    }
    bool name_seen = false;
    std::optional<std::string> name;
    for (const auto& [key, value] : object.items()) {
        const std::string property = to_lower(key);
        if (property == "name") {
            name_seen = true;
            if (value.is_string()) {
                name = value.get<std::string>();
            } else if (value.is_null()) {
                name.reset();
            } else {
                errors.push_back({"$.name", {conversion_message("System.String", "$.name")}});
            }
        } else if (property == "permissions") {
            std::string bad_path;
            if (!read_string_list(value, out.permissions, bad_path)) {
                errors.push_back(
                    {bad_path,
                     {conversion_message("System.Collections.Generic.List`1[System.String]",
                                         bad_path)}});
            }
        } else if (property == "expiresindays") {
            if (!read_int(value, out.expires_in_days)) {
                errors.push_back(
                    {"$.expiresInDays",
                     {conversion_message("System.Nullable`1[System.Int32]", "$.expiresInDays")}});
            }
        }
    }
    if (errors.empty() && !name_seen) {
        errors.push_back({"$",
                          {std::string("JSON deserialization for type '") + k_create_type +
                           "' was missing required properties including: 'name'."}});
    }
    if (!errors.empty()) {
        errors.push_back({"apiKey", {"The apiKey field is required."}});
        return errors;
    }
    std::vector<std::string> name_errors;
    if (!name || is_blank(*name)) {
        name_errors.emplace_back("The Name field is required.");
    }
    if (name && utf16_length(*name) > 30) {
        name_errors.emplace_back(k_name_length);
    }
    if (!name_errors.empty()) {
        errors.push_back({"Name", name_errors});
    }
    if (out.expires_in_days && (*out.expires_in_days < 1 || *out.expires_in_days > 365)) {
        errors.push_back(
            {"ExpiresInDays", {"Incorrect number of days. Value must be between 1 and 365"}});
    }
    out.name = name.value_or("");
    return errors;
}

ValidationErrors bind_update(const std::string& body, UpdateKeyInput& out) {
    ValidationErrors errors;
    Json object;
    if (!parse_object(body, k_update_type, "inDto", object, errors)) {
        return errors;
    }
    for (const auto& [key, value] : object.items()) {
        const std::string property = to_lower(key);
        if (property == "name") {
            if (value.is_string()) {
                out.name = value.get<std::string>();
            } else if (value.is_null()) {
                out.name.reset();
            } else {
                errors.push_back({"$.name", {conversion_message("System.String", "$.name")}});
            }
        } else if (property == "permissions") {
            std::string bad_path;
            if (!read_string_list(value, out.permissions, bad_path)) {
                errors.push_back(
                    {bad_path,
                     {conversion_message("System.Collections.Generic.List`1[System.String]",
                                         bad_path)}});
            }
        } else if (property == "isactive") {
            if (value.is_boolean()) {
                out.is_active = value.get<bool>();
            } else if (value.is_null()) {
                out.is_active.reset();
            } else {
                errors.push_back({"$.isActive",
                                  {conversion_message("System.Nullable`1[System."
                                                      "Boolean]",
                                                      "$.isActive")}});
            }
        }
    }
    if (!errors.empty()) {
        errors.push_back({"inDto", {"The inDto field is required."}});
        return errors;
    }
    if (out.name && utf16_length(*out.name) > 30) {
        errors.push_back({"Name", {k_name_length}});
    }
    return errors;
}

}  // namespace emulator
