// Typed reads of tree nodes. YAML 1.1 and yaml-cpp read far more into a scalar than a
// manifest should mean (`017` as 15, `yes` as true, `1e3` as 1000, an empty value as the
// string "null"), so numbers and booleans are parsed here from the scalar text with a grammar
// that has exactly one spelling per value, and an empty value is always "missing".
// Interpolation is a single left-to-right pass: `${NAME}` is replaced by the variable's value
// (never re-scanned, so a value cannot inject another reference) and `$${` writes a literal
// `${`.

#include "reader.hpp"

#include "provision/core/text.hpp"
#include "provision/core/time.hpp"

#include <algorithm>
#include <cctype>

namespace provision::manifest::detail {
namespace {

std::string normalised_word(std::string_view word) {
    std::string out;
    for (const char c : word) {
        if (c != '_' && c != '-') {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    return out;
}

bool is_identifier_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_identifier_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

std::string field_path(const std::string& parent, std::string_view name) {
    return parent.empty() ? std::string(name) : parent + "." + std::string(name);
}

std::string item_path(const std::string& parent, std::size_t index) {
    return parent + "[" + std::to_string(index) + "]";
}

const Node* Fields::key(std::string_view name) const {
    for (const auto& [key, value] : m_map->entries) {
        if (key.text == name) {
            return &key;
        }
    }
    return nullptr;
}

const Node* Fields::value(std::string_view name) const {
    for (const auto& [key, value] : m_map->entries) {
        if (key.text == name) {
            return &value;
        }
    }
    return nullptr;
}

std::string Reader::suggestion(std::string_view word, const std::vector<std::string>& options) {
    std::string best = core::closest_match(word, options);
    if (best.empty()) {
        // Case and separator slips: `ExpiresInDays`, `expires_in_days`, `Files:Read`.
        const std::string wanted = normalised_word(word);
        for (const auto& option : options) {
            if (normalised_word(option) == wanted) {
                best = option;
            }
        }
    }
    return best.empty() ? std::string() : "; did you mean `" + best + "`?";
}

std::string Reader::describe(const Node& node) {
    switch (node.kind) {
    case Node::Kind::null:
        return "an empty value";
    case Node::Kind::sequence:
        return "a list";
    case Node::Kind::map:
        return "a map";
    case Node::Kind::scalar:
        break;
    }
    return node.plain ? "`" + node.text + "`" : "the quoted text \"" + node.text + "\"";
}

std::optional<Fields> Reader::fields(const Node& node, const std::string& path,
                                     std::initializer_list<std::string_view> allowed,
                                     std::string_view what) {
    if (node.kind != Node::Kind::map) {
        m_sink.error(node.offset, path,
                     "expected " + std::string(what) +
                         " (a map of fields), "
                         "found " +
                         describe(node));
        return std::nullopt;
    }
    const std::vector<std::string> names(allowed.begin(), allowed.end());
    for (const auto& [key, value] : node.entries) {
        if (std::find(names.begin(), names.end(), key.text) == names.end()) {
            const std::string hint = suggestion(key.text, names);
            m_sink.error(key.offset, field_path(path, key.text),
                         "unknown field `" + key.text + "`" +
                             (hint.empty() ? "; the fields here are: " + core::join(names) : hint));
        }
    }
    return Fields(node, path);
}

const Node* Reader::required(const Fields& fields, std::string_view name, std::string_view hint) {
    if (fields.key(name) == nullptr) {
        m_sink.error(fields.offset(), fields.path(),
                     "missing required field `" + std::string(name) + "`: " + std::string(hint));
        return nullptr;
    }
    return optional(fields, name);
}

const Node* Reader::optional(const Fields& fields, std::string_view name) {
    const Node* key = fields.key(name);
    if (key == nullptr) {
        return nullptr;
    }
    const Node* value = fields.value(name);
    if (value->kind == Node::Kind::null) {
        m_sink.error(key->offset, field_path(fields.path(), name),
                     "`" + std::string(name) +
                         "` has no value; write one after the colon or "
                         "remove the field");
        return nullptr;
    }
    return value;
}

std::size_t Reader::offset_within(const Node& node, std::string_view needle) const {
    if (node.offset == k_no_offset || node.offset >= m_text.size()) {
        return node.offset;
    }
    const std::size_t line_end = m_text.find('\n', node.offset);
    const std::string_view rest =
        m_text.substr(node.offset, line_end == std::string_view::npos ? std::string_view::npos
                                                                      : line_end - node.offset);
    const std::size_t at = rest.find(needle);
    return at == std::string_view::npos ? node.offset : node.offset + at;
}

std::optional<Interpolated> Reader::interpolate(const Node& node, const std::string& path) {
    const std::string& raw = node.text;
    Interpolated out;
    bool ok = true;
    for (std::size_t i = 0; i < raw.size();) {
        if (raw.compare(i, 3, "$${") == 0) {
            out.value += "${";
            i += 3;
            continue;
        }
        if (raw.compare(i, 2, "${") != 0) {
            out.value += raw[i++];
            continue;
        }
        const std::size_t close = raw.find('}', i + 2);
        const std::string name =
            raw.substr(i + 2, close == std::string::npos ? std::string::npos : close - i - 2);
        const bool valid_name = !name.empty() && is_identifier_start(name[0]) &&
                                std::all_of(name.begin(), name.end(), is_identifier_char);
        if (close == std::string::npos || !valid_name) {
            m_sink.error(offset_within(node, "${"), path,
                         "`${` must be followed by a variable name and `}`, as in "
                         "${DOCSPACE_URL}; to write a literal `${`, write `$${`");
            return std::nullopt;
        }
        const std::optional<std::string> value = m_env(name);
        if (!value && m_sink.unset_variables_are_warnings) {
            m_sink.warning(offset_within(node, "${" + name + "}"), path,
                           "environment variable `" + name +
                               "` is not set here; plan and apply will need it, so this value "
                               "was not checked");
            ok = false;
        } else if (!value) {
            m_sink.error(offset_within(node, "${" + name + "}"), path,
                         "environment variable `" + name +
                             "` is not set; export it before "
                             "running provision (write `$${` for a literal `${`)");
            ok = false;
        } else {
            out.value += *value;
        }
        out.used_variable = true;
        i = close + 1;
    }
    if (!ok) {
        return std::nullopt;
    }
    out.shown = out.used_variable ? raw : out.value;
    return out;
}

std::optional<Interpolated> Reader::string(const Node& node, const std::string& path) {
    if (node.kind != Node::Kind::scalar) {
        m_sink.error(node.offset, path, "expected a text value, found " + describe(node));
        return std::nullopt;
    }
    return interpolate(node, path);
}

std::optional<long long> Reader::integer(const Node& node, const std::string& path) {
    if (node.kind != Node::Kind::scalar || !node.plain) {
        m_sink.error(
            node.offset, path,
            "expected a whole number, found " + describe(node) +
                (node.kind == Node::Kind::scalar ? "; write the number without quotes" : ""));
        return std::nullopt;
    }
    const std::string& text = node.text;
    const bool negative = !text.empty() && text[0] == '-';
    const std::string digits = negative ? text.substr(1) : text;
    const bool decimal =
        !digits.empty() && digits.size() <= 9 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        (digits == "0" || digits[0] != '0');
    if (!decimal) {
        m_sink.error(node.offset, path,
                     "`" + text +
                         "` is not a plain whole number; write "
                         "decimal digits only, without a sign, leading zeros, "
                         "`0x`, exponent or fraction (for example 30)");
        return std::nullopt;
    }
    const long long value = std::stoll(digits);
    return negative ? -value : value;
}

std::optional<bool> Reader::boolean(const Node& node, const std::string& path) {
    if (node.kind == Node::Kind::scalar && node.plain &&
        (node.text == "true" || node.text == "false")) {
        return node.text == "true";
    }
    m_sink.error(node.offset, path,
                 "expected true or false, found " + describe(node) +
                     "; YAML spellings such as yes, on or True are not "
                     "accepted here");
    return std::nullopt;
}

std::optional<std::chrono::seconds> Reader::duration(const Node& node, const std::string& path,
                                                     bool allow_zero) {
    const auto text = string(node, path);
    if (!text) {
        return std::nullopt;
    }
    const std::string& v = text->value;
    if (allow_zero && v.size() >= 2 && v.find_first_not_of('0') == v.size() - 1 &&
        std::string_view("smhdw").find(v.back()) != std::string_view::npos) {
        return std::chrono::seconds{0};
    }
    const auto value = core::parse_duration(v);
    if (!value) {
        m_sink.error(node.offset, path,
                     "`" + text->shown + "` is not a duration; write a " +
                         (allow_zero ? "whole number" : "positive whole number") +
                         " and a unit: s, m, h, d or w (for example 7d or 12h)");
    }
    return value;
}

std::optional<std::size_t> Reader::choice(const Node& node, const std::string& path,
                                          const std::vector<std::string>& choices) {
    const auto text = string(node, path);
    if (!text) {
        return std::nullopt;
    }
    const auto found = std::find(choices.begin(), choices.end(), text->value);
    if (found == choices.end()) {
        const std::string hint = suggestion(text->value, choices);
        m_sink.error(node.offset, path,
                     "`" + text->shown + "` is not one of: " + core::join(choices) + hint);
        return std::nullopt;
    }
    return static_cast<std::size_t>(found - choices.begin());
}

const std::vector<Node>* Reader::list(const Node& node, const std::string& path, std::size_t limit,
                                      std::string_view example) {
    if (node.kind != Node::Kind::sequence) {
        m_sink.error(node.offset, path,
                     "expected a list, found " + describe(node) + "; write it as " +
                         std::string(example));
        return nullptr;
    }
    if (node.items.size() > limit) {
        m_sink.error(node.offset, path,
                     "this list has " + std::to_string(node.items.size()) +
                         " entries; the limit is " + std::to_string(limit));
        return nullptr;
    }
    return &node.items;
}

}  // namespace provision::manifest::detail
