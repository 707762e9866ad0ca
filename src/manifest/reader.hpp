#pragma once
/// Typed, strict reads of tree nodes for the schema checks: every read either returns a value
/// or reports why it cannot (to the sink, with the node's position and field path) and returns
/// nullopt, so callers go on checking the rest of the manifest.

#include "loader.hpp"

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace provision::manifest::detail {

/// "keys[2]" + "permissions" -> "keys[2].permissions".
std::string field_path(const std::string& parent, std::string_view name);
/// "keys" + 2 -> "keys[2]".
std::string item_path(const std::string& parent, std::size_t index);

/// The entries of one map node, after unknown fields were reported.
class Fields {
public:
    Fields(const Node& map, std::string path) : m_map(&map), m_path(std::move(path)) {}
    /// The key node of a field, or nullptr when absent.
    const Node* key(std::string_view name) const;
    /// The value node of a field, or nullptr when absent.
    const Node* value(std::string_view name) const;
    std::size_t offset() const noexcept { return m_map->offset; }
    const std::string& path() const noexcept { return m_path; }

private:
    const Node* m_map;
    std::string m_path;
};

/// A string value after ${VAR} interpolation.
struct Interpolated {
    std::string value;
    bool used_variable = false;  ///< at least one ${VAR} was substituted
    /// What messages may quote: the value as written when it came from a variable, since a
    /// variable's value may be a secret.
    std::string shown;
};

class Reader {
public:
    Reader(std::string_view text, const EnvLookup& env, DiagnosticSink& sink)
        : m_text(text), m_env(env), m_sink(sink) {}

    DiagnosticSink& sink() noexcept { return m_sink; }

    /// The fields of a map, reporting a non-map and every unknown field (with a "did you
    /// mean"). nullopt when `node` is not a map; `what` names it in the message.
    std::optional<Fields> fields(const Node& node, const std::string& path,
                                 std::initializer_list<std::string_view> allowed,
                                 std::string_view what);

    /// A field that must be present with a value; reports its absence (with `hint` saying what
    /// to write) or an empty value. nullptr when unusable.
    const Node* required(const Fields& fields, std::string_view name, std::string_view hint);
    /// A field that may be absent; an empty value is still reported. nullptr when absent.
    const Node* optional(const Fields& fields, std::string_view name);

    std::optional<Interpolated> string(const Node& node, const std::string& path);
    /// A plain decimal integer: no sign, leading zeros, base prefixes, exponents or fractions.
    std::optional<long long> integer(const Node& node, const std::string& path);
    /// Exactly `true` or `false`, unquoted.
    std::optional<bool> boolean(const Node& node, const std::string& path);
    /// A duration such as "7d", "24h", "90m", "2w" (core::parse_duration); with `allow_zero`,
    /// also a zero one such as "0s".
    std::optional<std::chrono::seconds> duration(const Node& node, const std::string& path,
                                                 bool allow_zero = false);
    /// One of `choices`; returns its index.
    std::optional<std::size_t> choice(const Node& node, const std::string& path,
                                      const std::vector<std::string>& choices);
    /// A sequence node with at most `limit` items; nullptr after reporting otherwise.
    const std::vector<Node>* list(const Node& node, const std::string& path, std::size_t limit,
                                  std::string_view example);

    /// A "did you mean `x`?" suffix, or "" when no candidate is close.
    static std::string suggestion(std::string_view word, const std::vector<std::string>& options);

private:
    std::optional<Interpolated> interpolate(const Node& node, const std::string& path);
    /// Offset of `needle` inside the node's source text (same line), else the node's offset.
    std::size_t offset_within(const Node& node, std::string_view needle) const;
    /// "a list", "a map", "an empty value", "the quoted string \"30\"" for messages.
    static std::string describe(const Node& node);

    std::string_view m_text;
    const EnvLookup& m_env;
    DiagnosticSink& m_sink;
};

}  // namespace provision::manifest::detail
