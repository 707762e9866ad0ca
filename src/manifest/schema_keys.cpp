// The `keys:` list of schema version 1: one entry per API key, with its name, scopes,
// lifetime, variable name and policies. Names are restricted to a charset that DocSpace
// returns verbatim (contract §2.2), scopes to the catalogue (contract §4). Each entry is also
// checked against the manifest's `policy:` (policy.hpp), each violation at the field at fault.

#include "schema.hpp"

#include "provision/core/scopes.hpp"
#include "provision/core/text.hpp"

#include <algorithm>
#include <map>

namespace provision::manifest::detail {
namespace {

constexpr std::size_t k_max_name_length = 30;

bool is_key_name_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ' ||
           c == '.' || c == '_' || c == '-';
}

bool is_env_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

class KeyReader {
public:
    KeyReader(Reader& reader, const Defaults& defaults, const Policy& policy)
        : m_reader(reader), m_defaults(defaults), m_policy(policy) {}

    KeySpec read(const Node& node, const std::string& path) {
        KeySpec key;
        key.rotation = m_defaults.rotation;
        key.on_secret_unknown = m_defaults.on_secret_unknown;
        key.location = m_reader.sink().location(node.offset);
        const auto fields = m_reader.fields(node, path,
                                            {"name", "permissions", "expiresInDays", "env",
                                             "protect", "rotation", "onSecretUnknown"},
                                            "a key entry");
        if (!fields) {
            return key;
        }
        const Node* name = m_reader.required(*fields, "name", "the key's name on the portal");
        if (name != nullptr) {
            read_name(*name, field_path(path, "name"), key);
        }
        if (const Node* scopes = m_reader.required(*fields, "permissions",
                                                   "a list of scopes, such as [files:read]")) {
            read_permissions(*scopes, field_path(path, "permissions"), key);
        }
        if (const Node* expiry = m_reader.required(*fields, "expiresInDays",
                                                   "a lifetime of 1 to 365 days, or `never`")) {
            read_expiry(*expiry, field_path(path, "expiresInDays"), key);
        }
        read_env(*fields, path, name != nullptr ? name->offset : node.offset, key);
        if (const Node* protect = m_reader.optional(*fields, "protect")) {
            key.protect = m_reader.boolean(*protect, field_path(path, "protect")).value_or(false);
        }
        std::size_t rotate_before_offset = m_defaults.rotate_before_offset;
        std::string rotate_before_path = "defaults.rotation.rotateBefore";
        if (const Node* rotation = m_reader.optional(*fields, "rotation")) {
            const RotationRead read =
                read_rotation(m_reader, *rotation, field_path(path, "rotation"), key.rotation);
            key.rotation = read.policy;
            if (read.rotate_before_offset != k_no_offset) {
                rotate_before_offset = read.rotate_before_offset;
                rotate_before_path = field_path(path, "rotation.rotateBefore");
                if (!key.expires_in_days && m_expiry_known) {
                    m_reader.sink().warning(rotate_before_offset, rotate_before_path,
                                            "ignored: this key never expires, so it is never "
                                            "rotated");
                }
            }
        }
        if (key.expires_in_days && key.rotation.rotate_before &&
            *key.rotation.rotate_before >= std::chrono::hours(24 * *key.expires_in_days)) {
            m_reader.sink().error(rotate_before_offset, rotate_before_path,
                                  "rotateBefore is not shorter than the lifetime of `" + key.name +
                                      "` (" + std::to_string(*key.expires_in_days) +
                                      " days), so it would be replaced on every run; shorten "
                                      "rotateBefore or lengthen expiresInDays");
        }
        if (const Node* policy = m_reader.optional(*fields, "onSecretUnknown")) {
            key.on_secret_unknown =
                read_secret_unknown(m_reader, *policy, field_path(path, "onSecretUnknown"))
                    .value_or(key.on_secret_unknown);
        }
        return key;
    }

private:
    void read_name(const Node& node, const std::string& path, KeySpec& key) {
        const auto value = m_reader.string(node, path);
        if (!value) {
            return;
        }
        key.name = value->value;
        const std::string& name = key.name;
        auto& sink = m_reader.sink();
        if (name.empty()) {
            sink.error(node.offset, path, "the name is empty");
        } else if (const auto bad = std::find_if_not(name.begin(), name.end(), is_key_name_char);
                   bad != name.end()) {
            sink.error(node.offset, path,
                       "the name may use only letters A-Z and a-z, digits, space, `.`, `_` and "
                       "`-`: DocSpace may return other characters HTML-encoded, and the key "
                       "would then look renamed on every run");
        } else if (name.size() > k_max_name_length) {
            sink.error(node.offset, path,
                       "the name has " + std::to_string(name.size()) +
                           " characters; DocSpace allows at most 30");
        } else if (name.front() == ' ' || name.back() == ' ') {
            sink.error(node.offset, path,
                       "the name starts or ends with a space; DocSpace does "
                       "not trim names, so remove it");
        }
        const auto [first, inserted] = m_names.emplace(name, node.offset);
        if (!inserted) {
            sink.error(node.offset, path,
                       "another entry is already named `" + name + "` (line " +
                           std::to_string(sink.location(first->second).line) +
                           "); names must be unique in a manifest");
        }
    }

    void read_permissions(const Node& node, const std::string& path, KeySpec& key) {
        const auto* items = m_reader.list(node, path, k_max_list_items, "[files:read, rooms:read]");
        if (items == nullptr) {
            return;
        }
        auto& sink = m_reader.sink();
        if (items->empty()) {
            sink.error(node.offset, path,
                       "at least one scope is needed; write [\"*\"] for an "
                       "unrestricted key");
            return;
        }
        std::vector<std::string> scopes;
        bool ok = true;
        for (std::size_t i = 0; i < items->size(); ++i) {
            const Node& item = (*items)[i];
            const std::string where = item_path(path, i);
            const auto value = m_reader.string(item, where);
            if (!value) {
                ok = false;
                continue;
            }
            const std::string& scope = value->value;
            if (!core::is_known_scope(scope)) {
                const std::string hint = Reader::suggestion(value->shown, core::scope_catalogue());
                const std::string all = core::join(core::scope_catalogue());
                sink.error(item.offset, where,
                           "unknown scope `" + value->shown + "`" +
                               (hint.empty() ? "; the scopes are: " + all : hint));
                ok = false;
            } else if (std::find(scopes.begin(), scopes.end(), scope) != scopes.end()) {
                sink.error(item.offset, where, "`" + scope + "` is listed twice; remove one");
                ok = false;
            }
            scopes.push_back(scope);
        }
        if (ok && scopes.size() > 1 &&
            std::find(scopes.begin(), scopes.end(), "*") != scopes.end()) {
            const auto star = std::find(scopes.begin(), scopes.end(), "*") - scopes.begin();
            sink.error((*items)[static_cast<std::size_t>(star)].offset,
                       item_path(path, static_cast<std::size_t>(star)),
                       "\"*\" means unrestricted and must be the only scope; remove it or the "
                       "other scopes");
            ok = false;
        }
        if (ok) {
            key.permissions = core::Scopes::from_list(scopes);
            report_scope_violations(*items, scopes, path, key);
        }
    }

    /// Each policy violation at the scope that breaks it.
    void report_scope_violations(const std::vector<Node>& items,
                                 const std::vector<std::string>& written, const std::string& path,
                                 const KeySpec& key) {
        for (const auto& violation : check_scopes(m_policy, key.permissions)) {
            const auto at = std::find(written.begin(), written.end(), violation.scope);
            const auto index =
                static_cast<std::size_t>(at == written.end() ? 0 : at - written.begin());
            m_reader.sink().error(items[index].offset, item_path(path, index), violation.message);
        }
    }

    void read_expiry(const Node& node, const std::string& path, KeySpec& key) {
        m_expiry_known = false;
        if (node.kind == Node::Kind::scalar && node.text == "never") {
            key.expires_in_days = std::nullopt;
            m_expiry_known = true;
            report_expiry_violations(node, path, key);
            return;
        }
        const auto days = m_reader.integer(node, path);
        if (!days) {
            return;
        }
        if (*days < 1 || *days > 365) {
            m_reader.sink().error(node.offset, path,
                                  "expiresInDays must be from 1 to 365, or "
                                  "`never`; found " +
                                      std::to_string(*days));
            return;
        }
        key.expires_in_days = static_cast<int>(*days);
        m_expiry_known = true;
        report_expiry_violations(node, path, key);
    }

    void report_expiry_violations(const Node& node, const std::string& path, const KeySpec& key) {
        for (const auto& violation : check_expiry(m_policy, key.expires_in_days)) {
            m_reader.sink().error(node.offset, path, violation.message);
        }
    }

    void read_env(const Fields& fields, const std::string& path, std::size_t name_offset,
                  KeySpec& key) {
        auto& sink = m_reader.sink();
        std::size_t offset = name_offset;
        std::string where = field_path(path, "name");
        if (const Node* env = m_reader.optional(fields, "env")) {
            where = field_path(path, "env");
            offset = env->offset;
            const auto value = m_reader.string(*env, where);
            if (!value) {
                return;
            }
            key.env = value->value;
            if (!is_env_name(key.env)) {
                sink.error(env->offset, where,
                           "`" + value->shown +
                               "` is not a portable variable name; use upper-case "
                               "letters, digits and `_`, not starting with a digit (for example " +
                               default_env_name(key.name.empty() ? "my key" : key.name) + ")");
                return;
            }
        } else if (fields.key("env") != nullptr) {
            return;
        } else {
            key.env = default_env_name(key.name);
        }
        const auto [first, inserted] = m_envs.emplace(key.env, offset);
        if (!inserted) {
            sink.error(offset, where,
                       "variable name `" + key.env +
                           "` is already used by the "
                           "entry on line " +
                           std::to_string(sink.location(first->second).line) +
                           "; set a different `env:` on one of them");
        }
    }

    Reader& m_reader;
    const Defaults& m_defaults;
    const Policy& m_policy;
    std::map<std::string, std::size_t> m_names;
    std::map<std::string, std::size_t> m_envs;
    bool m_expiry_known = false;
};

}  // namespace

std::vector<KeySpec> read_keys(Reader& reader, const Node& node, const Defaults& defaults,
                               const Policy& policy) {
    std::vector<KeySpec> keys;
    const auto* items = reader.list(node, "keys", k_max_keys, "a list of `- name: ...` entries");
    if (items == nullptr) {
        return keys;
    }
    if (items->empty()) {
        reader.sink().error(node.offset, "keys", "at least one key entry is needed");
        return keys;
    }
    KeyReader key_reader(reader, defaults, policy);
    for (std::size_t i = 0; i < items->size(); ++i) {
        keys.push_back(key_reader.read((*items)[i], item_path("keys", i)));
    }
    return keys;
}

}  // namespace provision::manifest::detail
