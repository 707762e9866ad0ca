// The one-pass reader of GET /api/2.0/keys (parse_key_list_envelope). A portal of 10,000 keys
// answers with 7.7 MB of JSON; a tree of it, or even a small tree per key handed to a callback,
// cost more than the rest of `provision plan`. So the body streams through nlohmann's SAX
// parser into a handler that keeps only what the checks need: for each key object the members
// parse_key reads, as FieldValues (api/key_fields.hpp), and of the envelope whether `status`
// is zero and what `response` was. Everything else (unknown members, nested values, the
// `links`) is counted through and dropped. When a key object ends, make_key runs parse_key's
// checks on what was read, so both readers give the same keys and the same errors.
//
// What the JSON tree would do, the handler does too: a repeated member counts by its last
// value, a null member counts as absent, a repeated `response` starts the list again. Invalid
// JSON is known only at the end, and wins over anything found before it, so the parse never
// stops early; after the first failing key the rest of the list is only skipped. That failing
// key is reported before an item of the list that is not an object, wherever that item stands
// (as the reader has done since it first read the list in one pass).

#include "api/key_fields.hpp"
#include "api/response_parser.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace provision::api::detail {

namespace {

using nlohmann::json;
using FieldKind = FieldValue::Kind;

/// The members of a key object that make_key reads, and where each is kept while reading.
constexpr std::array<std::pair<std::string_view, FieldValue KeyFields::*>, 9> k_key_members{{
    {"id", &KeyFields::id},
    {"name", &KeyFields::name},
    {"keyPostfix", &KeyFields::key_postfix},
    {"key", &KeyFields::masked_key},
    {"permissions", &KeyFields::permissions},
    {"createOn", &KeyFields::create_on},
    {"expiresAt", &KeyFields::expires_at},
    {"lastUsed", &KeyFields::last_used},
    {"isActive", &KeyFields::is_active},
}};

/// The SAX handler (nlohmann's json_sax interface). Containers nobody reads are skipped by
/// counting their depth in m_skip; the rest is a small state machine of where the parse is.
class KeyListReader {
public:
    bool null() { return value(FieldKind::absent); }
    bool boolean(bool truth) {
        m_truth = truth;
        return value(FieldKind::boolean);
    }
    bool number_integer(json::number_integer_t number) {
        m_zero = number == 0;
        return value(FieldKind::number);
    }
    bool number_unsigned(json::number_unsigned_t number) {
        m_zero = number == 0;
        return value(FieldKind::number);
    }
    bool number_float(json::number_float_t /*number*/, const json::string_t& /*text*/) {
        m_zero = false;  // `status` must be an integer
        return value(FieldKind::number);
    }
    bool string(json::string_t& text) {
        m_text = &text;
        return value(FieldKind::string);
    }
    static bool binary(json::binary_t& /*bytes*/) { return true; }  // not in JSON text
    bool start_object(std::size_t /*size*/) { return open(FieldKind::object); }
    bool start_array(std::size_t /*size*/) { return open(FieldKind::array); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(json::string_t& name);
    static bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                            const json::exception& /*error*/) {
        return false;
    }

    /// The answer once the whole body has been read and found to be JSON.
    core::Result<std::vector<ApiKey>> result();

private:
    /// Where the parse is: the levels the checks look into, outermost first.
    enum class Level : std::uint8_t { top, envelope, list, key, permissions, creator };

    bool value(FieldKind kind);
    bool open(FieldKind kind);
    bool close();
    void start_key();
    void end_key();

    Level m_level = Level::top;
    std::size_t m_skip = 0;           ///< depth inside a container nobody reads
    FieldValue* m_slot = nullptr;     ///< the member whose value comes next, if it is read
    bool m_status_slot = false;       ///< the envelope's `status` comes next
    bool m_response_slot = false;     ///< the envelope's `response` comes next
    bool m_permissions_slot = false;  ///< a key's `permissions` comes next
    bool m_creator_slot = false;      ///< a key's `createBy` comes next
    // The scalar being delivered.
    bool m_truth = false;
    bool m_zero = false;
    json::string_t* m_text = nullptr;

    EnvelopeFacts m_envelope;
    bool m_list = false;             ///< the last `response` is an array
    bool m_item_not_object = false;  ///< the list holds something other than an object
    KeyFields m_fields;              ///< the key object being read
    std::vector<ApiKey> m_keys;
    std::optional<core::Error> m_key_error;  ///< the first failing key
};

bool KeyListReader::key(json::string_t& name) {
    if (m_skip > 0) {
        return true;
    }
    m_slot = nullptr;
    m_status_slot = m_response_slot = m_permissions_slot = m_creator_slot = false;
    if (m_level == Level::envelope) {
        m_status_slot = name == "status";
        m_response_slot = name == "response";
        m_envelope.has_response = m_envelope.has_response || m_response_slot;
    } else if (m_level == Level::key) {
        for (const auto& [member, field] : k_key_members) {
            if (name == member) {
                m_slot = &(m_fields.*field);
                break;
            }
        }
        m_permissions_slot = name == "permissions";
        if (m_permissions_slot) {
            m_fields.scopes.clear();
            m_fields.scope_not_string = false;
        }
        m_creator_slot = name == "createBy";  // only an object has an id and a display name
        if (m_creator_slot) {
            m_fields.creator_id.kind = m_fields.creator_name.kind = FieldKind::absent;
        }
    } else if (m_level == Level::creator) {
        if (name == "id") {
            m_slot = &m_fields.creator_id;
        } else if (name == "displayName") {
            m_slot = &m_fields.creator_name;
        }
    }
    return true;
}

bool KeyListReader::value(FieldKind kind) {
    if (m_skip > 0) {
        return true;
    }
    switch (m_level) {
    case Level::top:  // the answer is a scalar: not an object
        break;
    case Level::envelope:
        if (m_status_slot) {
            m_envelope.status_zero =
                kind == FieldKind::absent || (kind == FieldKind::number && m_zero);
        } else if (m_response_slot) {
            m_list = false;
        }
        break;
    case Level::list:
        m_item_not_object = true;
        break;
    case Level::permissions:
        if (kind == FieldKind::string) {
            m_fields.scopes.push_back(*m_text);
        } else {
            m_fields.scope_not_string = true;
        }
        break;
    case Level::key:
    case Level::creator:
        if (m_slot != nullptr) {
            m_slot->kind = kind;
            if (kind == FieldKind::string) {
                m_slot->text = *m_text;
            }
            m_slot->truth = m_truth;
        }
        break;
    }
    return true;
}

bool KeyListReader::open(FieldKind kind) {
    if (m_skip > 0) {
        ++m_skip;
        return true;
    }
    const Level level = m_level;
    if (level == Level::top && kind == FieldKind::object) {
        m_envelope.object = true;
        m_level = Level::envelope;
    } else if (level == Level::envelope && m_response_slot && kind == FieldKind::array) {
        // A repeated `response` replaces the one before, as in a JSON tree.
        m_list = true;
        m_item_not_object = false;
        m_keys.clear();
        m_key_error.reset();
        m_level = Level::list;
    } else if (level == Level::list && kind == FieldKind::object) {
        if (m_key_error) {
            m_skip = 1;  // only the first failing key is reported
        } else {
            start_key();
        }
    } else if (level == Level::key && m_permissions_slot && kind == FieldKind::array) {
        m_fields.permissions.kind = FieldKind::array;
        m_level = Level::permissions;
    } else if (level == Level::key && m_creator_slot && kind == FieldKind::object) {
        m_level = Level::creator;
    } else {
        // A container nobody reads into: what it means where it stands, then skipped whole.
        value(kind);
        m_skip = 1;
    }
    if (m_level != level) {
        m_slot = nullptr;
        m_status_slot = m_response_slot = m_permissions_slot = m_creator_slot = false;
    }
    return true;
}

bool KeyListReader::close() {
    if (m_skip > 0) {
        --m_skip;
        return true;
    }
    switch (m_level) {
    case Level::top:  // not reached: the top value closes once, from `envelope`
        break;
    case Level::envelope:
        m_level = Level::top;
        break;
    case Level::list:
        m_level = Level::envelope;
        break;
    case Level::key:
        end_key();
        m_level = Level::list;
        break;
    case Level::permissions:
    case Level::creator:
        m_level = Level::key;
        break;
    }
    return true;
}

void KeyListReader::start_key() {
    for (const auto& member : k_key_members) {
        (m_fields.*member.second).kind = FieldKind::absent;
    }
    m_fields.creator_id.kind = m_fields.creator_name.kind = FieldKind::absent;
    m_level = Level::key;
}

void KeyListReader::end_key() {
    auto key = make_key(std::move(m_fields));
    if (key) {
        m_keys.push_back(std::move(*key));
    } else {
        m_key_error = key.error();
    }
}

core::Result<std::vector<ApiKey>> KeyListReader::result() {
    m_envelope.valid_json = true;
    if (auto error = envelope_error(m_envelope)) {
        return *std::move(error);
    }
    if (!m_list) {
        return list_not_array();
    }
    if (m_key_error) {
        return *std::move(m_key_error);
    }
    if (m_item_not_object) {
        return key_not_object();
    }
    return std::move(m_keys);
}

}  // namespace

core::Result<std::vector<ApiKey>> parse_key_list_envelope(std::string_view body) {
    KeyListReader reader;
    if (!nesting_ok(body) ||
        !json::sax_parse(body, &reader, json::input_format_t::json, /*strict=*/true)) {
        return envelope_error(EnvelopeFacts{}).value();
    }
    return reader.result();
}

}  // namespace provision::api::detail
