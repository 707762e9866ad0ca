/// The YAML format and the Kubernetes Secret manifest.
///
/// Both are written by hand rather than through YAML::Emitter so the bytes are fixed by this
/// file alone: every scalar that carries user or portal text is a double-quoted scalar from
/// yaml_quote(), so no value can be re-typed, break the indentation or start a comment. They
/// are read back with yaml-cpp, through const references only (the non-const operator[]
/// inserts), reading just the fixed paths this module writes: no recursive walk, so aliases in
/// a tampered file cannot blow up the reader.

#include "output/formats.hpp"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace provision::output::detail {

namespace {

core::Error corrupt(std::string_view format, const std::string& what) {
    return core::make_error(core::Errc::invalid_input, std::string(format) + " output " + what);
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

core::Result<YAML::Node> load_yaml(std::string_view format, std::string_view text) {
    try {
        return YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        return corrupt(format, "is not valid YAML (error at line " +
                                   std::to_string(e.mark.line + 1) + ", column " +
                                   std::to_string(e.mark.column + 1) + ")");
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
std::optional<core::Error> read_value_map(std::string_view format, const YAML::Node& map,
                                          const std::string& where, SecretMap& out, Decode decode) {
    if (!map.IsDefined() || map.IsNull()) {
        return std::nullopt;
    }
    if (!map.IsMap()) {
        return corrupt(format, where + " is not a map");
    }
    for (auto it = map.begin(); it != map.end(); ++it) {
        const YAML::Node key = it->first;    // a copy: *it is a temporary
        const YAML::Node value = it->second; // a copy: *it is a temporary
        if (!key.IsScalar()) {
            return corrupt(format, where + " has a key that is not a string");
        }
        std::optional<std::string> decoded =
            value.IsScalar() ? decode(value.Scalar()) : std::nullopt;
        if (!decoded) {
            return corrupt(format, where + "." + key.Scalar() + " is not a valid value");
        }
        out[key.Scalar()] = core::Secret{std::move(*decoded)};
    }
    return std::nullopt;
}

} // namespace

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
    auto doc = load_yaml("YAML", text);
    if (!doc) {
        return doc.error();
    }
    const YAML::Node& root = *doc;
    if (!root.IsMap() || !is_scalar(child(root, "version"), "1")) {
        return corrupt("YAML", "has no \"version: 1\"; it was not written by this provision");
    }
    const YAML::Node keys = child(root, "keys");
    if (!keys.IsMap()) {
        return corrupt("YAML", "has no \"keys\" map");
    }
    SecretMap values;
    for (auto it = keys.begin(); it != keys.end(); ++it) {
        const YAML::Node env = it->first;   // a copy: *it is a temporary
        const YAML::Node item = it->second; // a copy: *it is a temporary
        if (!env.IsScalar() || !item.IsMap()) {
            return corrupt("YAML", "has an entry under \"keys\" that is not a map");
        }
        const YAML::Node secret = child(item, "secret");
        if (!secret.IsScalar()) {
            return corrupt("YAML", "keys." + env.Scalar() + " has no \"secret\" string");
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
    auto doc = load_yaml("Kubernetes", text);
    if (!doc) {
        return doc.error();
    }
    const YAML::Node& root = *doc;
    if (!root.IsMap() || !is_scalar(child(root, "kind"), "Secret") ||
        !is_scalar(child(root, "apiVersion"), "v1")) {
        return corrupt("Kubernetes", "is not a v1 Secret manifest");
    }
    SecretMap values;
    // `data` first, then `stringData`, which wins on a clash, as the API server merges them.
    if (auto error = read_value_map("Kubernetes", child(root, "data"), "data", values,
                                    [](const std::string& v) { return base64_decode(v); })) {
        return *error;
    }
    if (auto error =
            read_value_map("Kubernetes", child(root, "stringData"), "stringData", values,
                           [](const std::string& v) { return std::optional<std::string>(v); })) {
        return *error;
    }
    return values;
}

} // namespace provision::output::detail
