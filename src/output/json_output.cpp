/// The JSON format: {"version":1,"keys":{"<ENV>":{"secret",...metadata}}}, pretty-printed with
/// two spaces, variables in record order and fields in a fixed order, so the same records
/// always give the same bytes. Reading back needs only each variable's "secret"; other fields
/// are tolerated so a tool may add its own.

#include "output/formats.hpp"
#include "provision/core/json_positions.hpp"

#include <nlohmann/json.hpp>

namespace provision::output::detail {

namespace {

using Json = nlohmann::ordered_json;

core::Error corrupt(const std::string& position, const std::string& expected) {
    return core::make_error(core::Errc::invalid_input, position + ": " + expected);
}

}  // namespace

core::Result<std::string> render_json(const std::vector<SecretRecord>& records) {
    Json keys = Json::object();
    for (const auto& record : records) {
        Json item;
        item["secret"] = record.secret.reveal();
        item["id"] = record.id;
        item["name"] = record.name;
        item["postfix"] = record.postfix;
        item["permissions"] =
            record.permissions.unrestricted ? Json("*") : Json(record.permissions.items);
        item["expiresAt"] =
            record.expires_at ? Json(core::format_iso8601(*record.expires_at)) : Json(nullptr);
        keys[record.env] = std::move(item);
    }
    Json doc;
    doc["version"] = 1;
    doc["keys"] = std::move(keys);
    // Strings were checked for UTF-8 by check_records(), so dump() cannot throw here.
    return doc.dump(2) + "\n";
}

core::Result<SecretMap> parse_json(std::string_view text) {
    Json doc;
    try {
        doc = Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
        return parse_error(text, e.byte > 0 ? e.byte - 1 : 0, "expected valid JSON");
    } catch (const Json::out_of_range&) {
        // nlohmann reports a number beyond a double ("1e999") this way, without a position.
        return parse_error(text, 0, "expected valid JSON, found a number too large to read");
    }
    // Errors point at the value at fault; they never quote it, not even a variable name, since
    // a mangled line can put a secret where a name belongs.
    const core::JsonPositions positions(text);
    const auto fail = [&](const std::vector<std::string>& path, const std::string& expected) {
        return corrupt(positions.at(path), expected);
    };
    if (!doc.is_object()) {
        return fail({}, "expected a JSON object");
    }
    const auto version = doc.find("version");
    if (version == doc.end() || !version->is_number_integer() || version->get<long long>() != 1) {
        return fail({"version"}, "expected \"version\": 1, as this provision writes");
    }
    const auto keys = doc.find("keys");
    if (keys == doc.end() || !keys->is_object()) {
        return fail({"keys"}, "expected a \"keys\" object");
    }
    SecretMap values;
    for (const auto& [env, item] : keys->items()) {
        if (!item.is_object()) {
            return fail({"keys", env}, "expected an object for each variable under \"keys\"");
        }
        const auto secret = item.find("secret");
        if (secret == item.end() || !secret->is_string()) {
            return fail({"keys", env, "secret"},
                        "expected a string \"secret\" for each variable under \"keys\"");
        }
        values[env] = core::Secret{secret->get<std::string>()};
    }
    return values;
}

}  // namespace provision::output::detail
