/// The YAML format and the Kubernetes Secret manifest.
///
/// Both are written by hand rather than through YAML::Emitter so the bytes are fixed by this
/// file alone: every scalar that carries user or portal text is a double-quoted scalar from
/// yaml_quote(), so no value can be re-typed, break the indentation or start a comment.
/// YAML::Emitter (yaml-cpp 0.7, Debian 12) cannot replace it: even in DoubleQuoted mode it
/// silently writes U+FFFD in place of Unicode noncharacters such as U+FFFE and U+10FFFF, which
/// are valid UTF-8 a secret or a name may hold, so the value would not read back (the test
/// "YAML outputs carry Unicode noncharacters byte for byte" holds this file to that). They
/// are read back with yaml-cpp, through const references only (the non-const operator[]
/// inserts), reading just the fixed paths this module writes: no recursive walk, so aliases in
/// a tampered file cannot blow up the reader. Errors point at a node's line and column and say
/// what was expected there; they never quote a key or a value, the text being secrets.

#include "output/formats.hpp"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace provision::output::detail {

namespace {

/// An error at `node`, or at `fallback` when node has no position (absent, or an empty
/// document), or at the start of the file.
core::Error corrupt(const YAML::Node& node, const YAML::Node& fallback,
                    const std::string& expected) {
    YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
    if (mark.is_null() && fallback.IsDefined()) {
        mark = fallback.Mark();
    }
    const int line = mark.is_null() ? 1 : mark.line + 1;
    const int column = mark.is_null() ? 1 : mark.column + 1;
    return core::make_error(core::Errc::invalid_input,
                            std::to_string(line) + ":" + std::to_string(column) + ": " + expected);
}

std::string yaml_permissions(const core::Scopes& scopes, std::string_view indent) {
    if (scopes.unrestricted) {
        return " \"*\"\n";
    }
    if (scopes.items.empty()) {
        return " []\n";
    }
    std::string out = "\n";
    for (const auto& item : scopes.items) {
        out.append(indent).append("- ").append(yaml_quote(item)).append("\n");
    }
    return out;
}

core::Result<YAML::Node> load_yaml(std::string_view text) {
    try {
        return YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        // e.what() may quote the text; only the position is used.
        const int line = e.mark.is_null() ? 1 : e.mark.line + 1;
        const int column = e.mark.is_null() ? 1 : e.mark.column + 1;
        return core::make_error(core::Errc::invalid_input, std::to_string(line) + ":" +
                                                               std::to_string(column) +
                                                               ": expected valid YAML");
    }
}

/// A child of a map read without inserting; an undefined node when absent. yaml-cpp answers a
/// missing key with an invalid node, which throws on every question but IsDefined(); the
/// undefined node returned instead answers IsScalar(), IsMap()... with false.
YAML::Node child(const YAML::Node& map, const char* key) {
    const YAML::Node& const_map = map;
    YAML::Node found = const_map[key];
    return found.IsDefined() ? found : YAML::Node(YAML::NodeType::Undefined);
}

bool is_scalar(const YAML::Node& node, std::string_view value) {
    return node.IsScalar() && node.Scalar() == value;
}

/// Reads a map of scalar values (or an absent/empty one) into out, decoding each with decode.
template <class Decode>
std::optional<core::Error> read_value_map(const YAML::Node& map, const std::string& where,
                                          const char* value_kind, SecretMap& out, Decode decode) {
    if (!map.IsDefined() || map.IsNull()) {
        return std::nullopt;
    }
    if (!map.IsMap()) {
        return corrupt(map, map, "expected a map under \"" + where + "\"");
    }
    for (auto it = map.begin(); it != map.end(); ++it) {
        const YAML::Node key = it->first;     // a copy: *it is a temporary
        const YAML::Node value = it->second;  // a copy: *it is a temporary
        if (!key.IsScalar()) {
            return corrupt(key, map, "expected a string key under \"" + where + "\"");
        }
        std::optional<std::string> decoded =
            value.IsScalar() ? decode(value.Scalar()) : std::nullopt;
        if (!decoded) {
            return corrupt(value, key,
                           std::string("expected ") + value_kind + " for each key under \"" +
                               where + "\"");
        }
        out[key.Scalar()] = core::Secret{std::move(*decoded)};
    }
    return std::nullopt;
}

}  // namespace

core::Result<std::string> render_yaml(const std::vector<SecretRecord>& records) {
    std::string out(k_header);
    out += "version: 1\n";
    out += records.empty() ? "keys: {}\n" : "keys:\n";
    for (const auto& record : records) {
        out += "  " + yaml_quote(record.env) + ":\n";
        out += "    secret: " + yaml_quote(record.secret.reveal()) + "\n";
        out += "    id: " + yaml_quote(record.id) + "\n";
        out += "    name: " + yaml_quote(record.name) + "\n";
        out += "    postfix: " + yaml_quote(record.postfix) + "\n";
        out += "    permissions:" + yaml_permissions(record.permissions, "      ");
        out += "    expiresAt: " +
               (record.expires_at ? yaml_quote(core::format_iso8601(*record.expires_at)) : "null") +
               "\n";
    }
    return out;
}

core::Result<SecretMap> parse_yaml(std::string_view text) {
    auto doc = load_yaml(text);
    if (!doc) {
        return doc.error();
    }
    const YAML::Node& root = *doc;
    if (!root.IsMap()) {
        return corrupt(root, root, "expected a map with \"version: 1\" and \"keys\"");
    }
    if (!is_scalar(child(root, "version"), "1")) {
        return corrupt(child(root, "version"), root,
                       "expected \"version: 1\", as this provision writes");
    }
    const YAML::Node keys = child(root, "keys");
    if (!keys.IsMap()) {
        return corrupt(keys, root, "expected a \"keys\" map");
    }
    SecretMap values;
    for (auto it = keys.begin(); it != keys.end(); ++it) {
        const YAML::Node env = it->first;    // a copy: *it is a temporary
        const YAML::Node item = it->second;  // a copy: *it is a temporary
        if (!env.IsScalar() || !item.IsMap()) {
            return corrupt(item, env,
                           "expected a variable name and a map for each entry under \"keys\"");
        }
        const YAML::Node secret = child(item, "secret");
        if (!secret.IsScalar()) {
            return corrupt(secret, item,
                           "expected a \"secret\" string for each variable under \"keys\"");
        }
        values[env.Scalar()] = core::Secret{secret.Scalar()};
    }
    return values;
}

core::Result<std::string> render_k8s_secret(const manifest::OutputSpec& spec,
                                            const std::vector<SecretRecord>& records) {
    // Ids, names and postfixes only: annotations are readable by anyone who can list Secrets.
    nlohmann::ordered_json annotation = nlohmann::ordered_json::object();
    for (const auto& record : records) {
        annotation[record.env] = {
            {"entry", record.entry}, {"id", record.id}, {"postfix", record.postfix}};
    }
    std::string out(k_header);
    out += "apiVersion: v1\n";
    out += "kind: Secret\n";
    out += "metadata:\n";
    out += "  name: " + yaml_quote(spec.k8s_name) + "\n";
    if (!spec.k8s_namespace.empty()) {
        out += "  namespace: " + yaml_quote(spec.k8s_namespace) + "\n";
    }
    out += "  labels:\n";
    out += "    app.kubernetes.io/managed-by: \"provision\"\n";
    out += "  annotations:\n";
    out += "    provision/keys: " + yaml_quote(annotation.dump()) + "\n";
    out += "type: Opaque\n";
    const char* section = spec.k8s_string_data ? "stringData" : "data";
    out += std::string(section) + (records.empty() ? ": {}\n" : ":\n");
    for (const auto& record : records) {
        const std::string& value = record.secret.reveal();
        out += "  " + yaml_quote(record.env) + ": " +
               yaml_quote(spec.k8s_string_data ? value : base64_encode(value)) + "\n";
    }
    return out;
}

core::Result<SecretMap> parse_k8s_secret(std::string_view text) {
    auto doc = load_yaml(text);
    if (!doc) {
        return doc.error();
    }
    const YAML::Node& root = *doc;
    if (!root.IsMap()) {
        return corrupt(root, root, "expected a Kubernetes Secret manifest (a map)");
    }
    if (!is_scalar(child(root, "kind"), "Secret")) {
        return corrupt(child(root, "kind"), root, "expected \"kind: Secret\"");
    }
    if (!is_scalar(child(root, "apiVersion"), "v1")) {
        return corrupt(child(root, "apiVersion"), root, "expected \"apiVersion: v1\"");
    }
    SecretMap values;
    // `data` first, then `stringData`, which wins on a clash, as the API server merges them.
    if (auto error = read_value_map(child(root, "data"), "data", "a base64 string", values,
                                    [](const std::string& v) { return base64_decode(v); })) {
        return *error;
    }
    if (auto error =
            read_value_map(child(root, "stringData"), "stringData", "a string", values,
                           [](const std::string& v) { return std::optional<std::string>(v); })) {
        return *error;
    }
    return values;
}

}  // namespace provision::output::detail
