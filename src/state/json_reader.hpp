#pragma once
/// Private to the state module: strict reading of one JSON object of the state file. Every
/// field must be asked for (unknown ones are rejected by finish()), each with its type; the
/// first problem becomes an error naming the file, the line and column, and the field path as
/// the format defines it, never the file's text (an unknown field's name is text, and may be a
/// secret that does not belong).

#include "provision/core/json_positions.hpp"
#include "provision/core/result.hpp"
#include "provision/core/scopes.hpp"
#include "provision/core/secret.hpp"
#include "provision/core/time.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace provision::state::detail {

using Json = nlohmann::ordered_json;

/// True when text contains something shaped like an API key secret.
inline bool holds_secret(std::string_view text) {
    return core::redact_secrets(text) != text;
}

/// "state file FILE:LINE:COLUMN is corrupt: WHAT; restore ...".
inline core::Error corrupt_at(const std::string& file, const std::string& position,
                              const std::string& what) {
    return core::make_error(core::Errc::invalid_input,
                            "state file " + file + ":" + position + " is corrupt: " + what +
                                "; restore it from version control or your CI cache");
}

/// Reads fields of one JSON object strictly, collecting the first error. `path` is the
/// object's field path for messages ("keys[2]"), `json_path` its path for JsonPositions.
class ObjectReader final {
public:
    ObjectReader(const Json& object, std::string path, std::vector<std::string> json_path,
                 const std::string& file, const core::JsonPositions& positions)
        : m_object(object), m_path(std::move(path)), m_json_path(std::move(json_path)),
          m_file(file), m_positions(positions) {}

    const Json* field(const char* name) {
        if (m_error) {
            return nullptr;
        }
        const auto it = m_object.find(name);
        if (it == m_object.end()) {
            fail(std::string("missing field \"") + name + "\"", name);
            return nullptr;
        }
        m_seen.emplace_back(name);
        return &*it;
    }

    /// A field that may be absent (null when it is).
    const Json* optional_field(const char* name) {
        if (m_error || m_object.find(name) == m_object.end()) {
            return nullptr;
        }
        return field(name);
    }

    std::optional<long long> optional_integer(const char* name) {
        const Json* value = field(name);
        if (value == nullptr || value->is_null()) {
            return std::nullopt;
        }
        if (!value->is_number_integer()) {
            fail("must be a whole number or null", name);
            return std::nullopt;
        }
        return value->get<long long>();
    }

    std::string string(const char* name) {
        const Json* value = field(name);
        if (value == nullptr) {
            return {};
        }
        if (!value->is_string()) {
            fail("must be a string", name);
            return {};
        }
        auto text = value->get<std::string>();
        if (holds_secret(text)) {
            fail("holds what looks like an API key secret; a state file must never hold one", name);
            return {};
        }
        return text;
    }

    std::optional<core::Timestamp> timestamp(const char* name, bool nullable) {
        const Json* value = field(name);
        if (value == nullptr) {
            return std::nullopt;
        }
        if (value->is_null() && nullable) {
            return std::nullopt;
        }
        if (!value->is_string()) {
            fail(nullable ? "must be an ISO-8601 date or null" : "must be an ISO-8601 date", name);
            return std::nullopt;
        }
        auto parsed = core::parse_iso8601(value->get<std::string>());
        if (!parsed) {
            fail("is not an ISO-8601 date with an offset", name);
        }
        return parsed;
    }

    std::optional<int> optional_int(const char* name) {
        const Json* value = field(name);
        if (value == nullptr || value->is_null()) {
            return std::nullopt;
        }
        if (!value->is_number_integer() || value->get<long long>() < 0 ||
            value->get<long long>() > 100000) {
            fail("must be a whole number of days or null", name);
            return std::nullopt;
        }
        return static_cast<int>(value->get<long long>());
    }

    core::Scopes scopes(const char* name) {
        const Json* value = field(name);
        if (value == nullptr) {
            return {};
        }
        if (value->is_string() && value->get<std::string>() == "*") {
            return core::Scopes::all();
        }
        if (!value->is_array()) {
            fail("must be \"*\" or a list of scopes", name);
            return {};
        }
        std::vector<std::string> list;
        for (const auto& item : *value) {
            if (!item.is_string()) {
                fail("must be \"*\" or a list of scopes", name);
                return {};
            }
            if (holds_secret(item.get<std::string>())) {
                fail("holds what looks like an API key secret; a state file must never hold one",
                     name);
                return {};
            }
            list.push_back(item.get<std::string>());
        }
        return core::Scopes::from_list(list);
    }

    /// Rejects fields that were never asked for; returns the first error, if any.
    std::optional<core::Error> finish() {
        if (!m_error) {
            for (const auto& [key, value] : m_object.items()) {
                if (std::find(m_seen.begin(), m_seen.end(), key) == m_seen.end()) {
                    report(key, (m_path.empty() ? std::string("the document") : m_path) +
                                    " has a field this provision does not know; expected only "
                                    "the fields docs/state.md lists");
                    break;
                }
            }
        }
        return m_error;
    }

    /// An error about a field this reader asked for (its name is the format's, not the file's).
    void fail(const std::string& message, const std::string& field_name) {
        report(field_name,
               (m_path.empty() ? field_name : m_path + "." + field_name) + ": " + message);
    }

private:
    /// Records `what` at the position of field `key`'s value (of the object, when absent).
    void report(const std::string& key, const std::string& what) {
        if (m_error) {
            return;
        }
        std::vector<std::string> at = m_json_path;
        at.push_back(key);
        m_error = corrupt_at(m_file, m_positions.at(at), what);
    }

    const Json& m_object;
    std::string m_path;
    std::vector<std::string> m_json_path;
    const std::string& m_file;
    const core::JsonPositions& m_positions;
    std::vector<std::string> m_seen;
    std::optional<core::Error> m_error;
};

}  // namespace provision::state::detail
