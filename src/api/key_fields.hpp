#pragma once
/// The checks of a key object and of a success envelope, apart from how the JSON was read:
/// parse_key and parse_envelope (response_parser.cpp) fill these from a JSON tree, the one-pass
/// key list reader (key_list_reader.cpp) while the body streams through, and both run the same
/// rules, in the same order, with the same messages.

#include "provision/api/types.hpp"
#include "provision/core/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace provision::api::detail {

/// One member as read: absent (a null counts as absent), or the kind of value it held.
struct FieldValue {
    enum class Kind : std::uint8_t { absent, string, boolean, number, array, object };
    Kind kind = Kind::absent;
    std::string text;    ///< the string, when kind is string
    bool truth = false;  ///< the boolean, when kind is boolean
};

/// The members of a key object that parse_key reads (the last of a repeated member counts).
struct KeyFields {
    FieldValue id, name, key_postfix, masked_key, permissions, create_on, expires_at, last_used,
        is_active;
    std::vector<std::string> scopes;  ///< the strings of `permissions`, when an array
    bool scope_not_string = false;    ///< `permissions` held something else
    FieldValue creator_id;            ///< createBy.id, absent unless createBy is an object
    FieldValue creator_name;          ///< createBy.displayName, likewise
};

/// The key, or the first failing check in parse_key's order (protocol errors). Moves the
/// strings out of `fields`.
core::Result<ApiKey> make_key(KeyFields&& fields);

/// What was read of a whole answer.
struct EnvelopeFacts {
    bool valid_json = false;    ///< parsed, strictly, within the nesting limit
    bool object = false;        ///< the top value is an object
    bool status_zero = true;    ///< `status` is absent, null or the integer 0
    bool has_response = false;  ///< a `response` member, null included
};

/// The first failing envelope check (not JSON, not an object, non-zero status, no response).
std::optional<core::Error> envelope_error(const EnvelopeFacts& facts);

/// "the portal's key list is not an array".
core::Error list_not_array();

/// "a key in the portal's answer is not a JSON object".
core::Error key_not_object();

/// True when no array/object nests deeper than the parsers accept (strings are skipped); a
/// deeper body counts as not valid JSON, so that hostile input cannot exhaust the stack.
bool nesting_ok(std::string_view body);

}  // namespace provision::api::detail
