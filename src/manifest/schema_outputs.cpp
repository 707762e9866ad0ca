// The `outputs:` list of schema version 1: files that receive the keys' secrets. Paths are
// resolved against the manifest's directory here, so every later stage works with absolute
// paths; the path as written is kept for messages.

#include "schema.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace provision::manifest::detail {
namespace {

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/// RFC 1123 label as Kubernetes uses it: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 chars.
bool is_dns_label(std::string_view label) {
    return !label.empty() && label.size() <= 63 && is_lower_alnum(label.front()) &&
           is_lower_alnum(label.back()) && std::all_of(label.begin(), label.end(), [](char c) {
               return is_lower_alnum(c) || c == '-';
           });
}

bool is_dns_subdomain(std::string_view name) {
    if (name.empty() || name.size() > 253) {
        return false;
    }
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = name.find('.', start);
        if (!is_dns_label(name.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
            return false;
        }
        if (dot == std::string_view::npos) {
            return true;
        }
        start = dot + 1;
    }
}

bool is_age_recipient(std::string_view text) {
    if (text.rfind("age1", 0) == 0) {
        return text.size() >= 62 && std::all_of(text.begin(), text.end(), is_lower_alnum);
    }
    for (const std::string_view prefix : {"ssh-ed25519 ", "ssh-rsa "}) {
        if (text.rfind(prefix, 0) == 0 && text.size() > prefix.size() + 16) {
            return true;
        }
    }
    return false;
}

class OutputReader {
public:
    OutputReader(Reader& reader, const std::filesystem::path& dir, const std::vector<KeySpec>& keys,
                 const std::filesystem::path& state_path)
        : m_reader(reader), m_dir(dir), m_keys(keys), m_state_path(state_path) {}

    OutputSpec read(const Node& node, const std::string& path) {
        OutputSpec out;
        out.location = m_reader.sink().location(node.offset);
        const auto fields = m_reader.fields(node, path,
                                            {"path", "format", "keys", "kubernetes", "encrypt",
                                             "allowGit", "allowPartial", "envPrefix"},
                                            "an output");
        if (!fields) {
            return out;
        }
        if (const Node* file = m_reader.required(*fields, "path",
                                                 "the file to write, relative "
                                                 "to the manifest")) {
            read_path(*file, field_path(path, "path"), out);
        }
        const Node* format =
            m_reader.required(*fields, "format", "one of dotenv, json, yaml, kubernetes");
        bool format_known = false;
        if (format != nullptr) {
            static const std::vector<std::string> k_formats = {"dotenv", "json", "yaml",
                                                               "kubernetes"};
            if (const auto index =
                    m_reader.choice(*format, field_path(path, "format"), k_formats)) {
                static const OutputFormat k_values[] = {OutputFormat::dotenv, OutputFormat::json,
                                                        OutputFormat::yaml,
                                                        OutputFormat::k8s_secret};
                out.format = k_values[*index];
                format_known = true;
            }
        }
        if (const Node* keys = m_reader.optional(*fields, "keys")) {
            read_selection(*keys, field_path(path, "keys"), out);
        }
        const Node* kubernetes = m_reader.optional(*fields, "kubernetes");
        if (format_known && out.format == OutputFormat::k8s_secret && kubernetes == nullptr &&
            fields->key("kubernetes") == nullptr) {
            m_reader.sink().error(format->offset, field_path(path, "format"),
                                  "format kubernetes needs the Secret's name: add "
                                  "`kubernetes: {name: my-secret}`");
        }
        if (kubernetes != nullptr) {
            if (format_known && out.format != OutputFormat::k8s_secret) {
                m_reader.sink().error(fields->key("kubernetes")->offset,
                                      field_path(path, "kubernetes"),
                                      "`kubernetes` applies only to `format: kubernetes`; remove "
                                      "it or change the format");
            } else {
                read_kubernetes(*kubernetes, field_path(path, "kubernetes"), out);
            }
        }
        if (const Node* encrypt = m_reader.optional(*fields, "encrypt")) {
            read_encrypt(*encrypt, field_path(path, "encrypt"), out);
        }
        if (const Node* partial = m_reader.optional(*fields, "allowPartial")) {
            out.allow_partial =
                m_reader.boolean(*partial, field_path(path, "allowPartial")).value_or(false);
        }
        if (const Node* allow = m_reader.optional(*fields, "allowGit")) {
            out.allow_git = m_reader.boolean(*allow, field_path(path, "allowGit")).value_or(false);
        }
        if (const Node* prefix = m_reader.optional(*fields, "envPrefix")) {
            read_env_prefix(*prefix, field_path(path, "envPrefix"), out);
        }
        return out;
    }

private:
    void read_env_prefix(const Node& node, const std::string& path, OutputSpec& out) {
        const auto read = m_reader.string(node, path);
        if (!read) {
            return;
        }
        const std::string& value = read->value;
        const bool ok =
            !value.empty() && value.size() <= 64 &&
            (std::isupper(static_cast<unsigned char>(value[0])) != 0 || value[0] == '_') &&
            value.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string::npos;
        if (!ok) {
            m_reader.sink().error(node.offset, path,
                                  "envPrefix must be upper-case letters, digits and '_', starting "
                                  "with a letter or '_' (e.g. CI_)");
            return;
        }
        out.env_prefix = value;
    }

    void read_path(const Node& node, const std::string& path, OutputSpec& out) {
        const auto value = m_reader.string(node, path);
        if (!value) {
            return;
        }
        auto& sink = m_reader.sink();
        const std::string& written = value->value;
        if (written.empty() || written.back() == '/' || written == "." || written == "..") {
            sink.error(node.offset, path, "the output path must name a file, not a directory");
            return;
        }
        out.path_as_written = written;
        out.path = resolve_path(m_dir, written);
        if (out.path == m_state_path) {
            sink.error(node.offset, path,
                       "this is the state file's path; write the secrets to "
                       "another file");
        }
        const auto [first, inserted] = m_paths.emplace(out.path.string(), node.offset);
        if (!inserted) {
            sink.error(node.offset, path,
                       "another output (line " + std::to_string(sink.location(first->second).line) +
                           ") writes the same file; merge them or change one "
                           "path");
        }
    }

    void read_selection(const Node& node, const std::string& path, OutputSpec& out) {
        const auto* items = m_reader.list(node, path, k_max_keys, "[Integration Bot]");
        if (items == nullptr) {
            return;
        }
        for (std::size_t i = 0; i < items->size(); ++i) {
            const Node& item = (*items)[i];
            const std::string where = item_path(path, i);
            const auto value = m_reader.string(item, where);
            if (!value) {
                continue;
            }
            const std::string& name = value->value;
            std::vector<std::string> names;
            for (const auto& key : m_keys) {
                names.push_back(key.name);
            }
            if (std::find(names.begin(), names.end(), name) == names.end()) {
                m_reader.sink().error(item.offset, where,
                                      "no entry under `keys:` is named `" + name + "`" +
                                          Reader::suggestion(name, names));
            } else if (std::find(out.keys.begin(), out.keys.end(), name) != out.keys.end()) {
                m_reader.sink().error(item.offset, where, "`" + name + "` is listed twice");
            } else {
                out.keys.push_back(name);
            }
        }
    }

    void read_kubernetes(const Node& node, const std::string& path, OutputSpec& out) {
        const auto fields = m_reader.fields(node, path, {"name", "namespace", "stringData"},
                                            "Kubernetes Secret settings");
        if (!fields) {
            return;
        }
        auto& sink = m_reader.sink();
        if (const Node* name = m_reader.required(*fields, "name", "the Secret's name")) {
            if (const auto value = m_reader.string(*name, field_path(path, "name"))) {
                if (!is_dns_subdomain(value->value)) {
                    sink.error(name->offset, field_path(path, "name"),
                               "a Secret name must be a DNS subdomain: lower-case letters, "
                               "digits, `-` and `.`, starting and ending with a letter or digit, "
                               "at most 253 characters");
                }
                out.k8s_name = value->value;
            }
        }
        if (const Node* space = m_reader.optional(*fields, "namespace")) {
            if (const auto value = m_reader.string(*space, field_path(path, "namespace"))) {
                if (!is_dns_label(value->value)) {
                    sink.error(space->offset, field_path(path, "namespace"),
                               "a namespace must be a DNS label: lower-case letters, digits and "
                               "`-`, starting and ending with a letter or digit, at most 63 "
                               "characters");
                }
                out.k8s_namespace = value->value;
            }
        }
        if (const Node* plain = m_reader.optional(*fields, "stringData")) {
            out.k8s_string_data =
                m_reader.boolean(*plain, field_path(path, "stringData")).value_or(false);
        }
    }

    void read_encrypt(const Node& node, const std::string& path, OutputSpec& out) {
        out.age_recipients = read_age_recipients(m_reader, node, path);
    }

    Reader& m_reader;
    const std::filesystem::path& m_dir;
    const std::vector<KeySpec>& m_keys;
    const std::filesystem::path& m_state_path;
    std::map<std::string, std::size_t> m_paths;
};

}  // namespace

std::vector<std::string> read_age_recipients(Reader& reader, const Node& node,
                                             const std::string& path) {
    std::vector<std::string> recipients;
    const auto fields = reader.fields(node, path, {"age"}, "encryption settings");
    if (!fields) {
        return recipients;
    }
    const Node* age = reader.required(*fields, "age", "a list of age recipients");
    if (age == nullptr) {
        return recipients;
    }
    const std::string age_path = field_path(path, "age");
    const auto* items = reader.list(*age, age_path, 32, "[age1...]");
    if (items == nullptr) {
        return recipients;
    }
    if (items->empty()) {
        reader.sink().error(age->offset, age_path, "at least one recipient is needed");
    }
    for (std::size_t i = 0; i < items->size(); ++i) {
        const Node& item = (*items)[i];
        const auto value = reader.string(item, item_path(age_path, i));
        if (!value) {
            continue;
        }
        if (!is_age_recipient(value->value)) {
            reader.sink().error(item.offset, item_path(age_path, i),
                                "not an age recipient; write an `age1...` public key or an "
                                "`ssh-ed25519 ...` / `ssh-rsa ...` public key");
            continue;
        }
        recipients.push_back(value->value);
    }
    return recipients;
}

std::vector<OutputSpec> read_outputs(Reader& reader, const Node& node,
                                     const std::filesystem::path& manifest_dir,
                                     const std::vector<KeySpec>& keys,
                                     const std::filesystem::path& state_path) {
    std::vector<OutputSpec> outputs;
    const auto* items = reader.list(node, "outputs", k_max_outputs,
                                    "a list of `- path: ...` "
                                    "entries");
    if (items == nullptr) {
        return outputs;
    }
    if (items->empty()) {
        reader.sink().error(node.offset, "outputs",
                            "at least one output is needed, or the "
                            "new keys' secrets would be lost");
        return outputs;
    }
    OutputReader output_reader(reader, manifest_dir, keys, state_path);
    for (std::size_t i = 0; i < items->size(); ++i) {
        outputs.push_back(output_reader.read((*items)[i], item_path("outputs", i)));
    }
    return outputs;
}

}  // namespace provision::manifest::detail
