// The top of schema version 1: `version`, `portal`, `state`, `prune`, `defaults`, `policy`
// (read in schema_policy.cpp), and the rotation and onSecretUnknown policies shared by
// `defaults` and each key. Sections are read independently so that one broken section never hides
// the problems of another.

#include "schema.hpp"

#include "provision/core/secret.hpp"

#include <algorithm>
#include <cctype>

namespace provision::manifest::detail {
namespace {

constexpr std::chrono::seconds k_max_grace{366LL * 86400};
constexpr std::chrono::seconds k_max_rotate_before{365LL * 86400};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool is_loopback_ipv4(std::string_view host) {
    int parts = 0;
    std::size_t start = 0;
    std::string first;
    while (start <= host.size()) {
        std::size_t dot = host.find('.', start);
        if (dot == std::string_view::npos) {
            dot = host.size();
        }
        const std::string_view part = host.substr(start, dot - start);
        if (part.empty() || part.size() > 3 ||
            !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            std::stoi(std::string(part)) > 255) {
            return false;
        }
        if (parts == 0) {
            first = part;
        }
        ++parts;
        start = dot + 1;
    }
    return parts == 4 && first == "127";
}

/// Checks a portal URL; returns the problem, or "" when it is acceptable.
std::string url_problem(std::string_view url) {
    if (std::any_of(url.begin(), url.end(),
                    [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; })) {
        return "the portal URL contains white space";
    }
    const std::size_t scheme_end = url.find("://");
    const std::string_view scheme =
        scheme_end == std::string_view::npos ? std::string_view() : url.substr(0, scheme_end);
    if (!iequals(scheme, "https") && !iequals(scheme, "http")) {
        return "the portal URL must start with https:// (for example "
               "https://portal.example.com)";
    }
    const std::string_view rest = url.substr(scheme_end + 3);
    const std::size_t authority_end = rest.find_first_of("/?#");
    const std::string_view authority = rest.substr(0, authority_end);
    const std::string_view tail =
        authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
    if (authority.find('@') != std::string_view::npos) {
        return "the portal URL must not hold a user name or password; the credential goes in "
               "`token` or `tokenFile`";
    }
    if (!tail.empty() && tail != "/") {
        return "the portal URL must be the portal's root, without a path, query or fragment "
               "(for example https://portal.example.com)";
    }
    std::string_view host = authority;
    std::string_view port;
    if (!host.empty() && host.front() == '[') {
        const std::size_t close = host.find(']');
        if (close == std::string_view::npos) {
            return "the portal URL has an unclosed `[` in its host";
        }
        port = host.substr(close + 1);
        host = host.substr(1, close - 1);
        if (!port.empty() && port.front() != ':') {
            return "the portal URL has text after its `]`";
        }
    } else if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
        port = host.substr(colon);
        host = host.substr(0, colon);
        if (!std::all_of(host.begin(), host.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
            })) {
            return "the portal URL's host name has characters a host name cannot have";
        }
    }
    if (host.empty()) {
        return "the portal URL has no host name";
    }
    if (!port.empty()) {
        const std::string_view digits = port.substr(1);
        if (digits.empty() || digits.size() > 5 ||
            !std::all_of(digits.begin(), digits.end(),
                         [](char c) { return c >= '0' && c <= '9'; }) ||
            std::stoi(std::string(digits)) == 0 || std::stoi(std::string(digits)) > 65535) {
            return "the portal URL's port must be a number from 1 to 65535";
        }
    }
    if (iequals(scheme, "http") && !iequals(host, "localhost") && host != "::1" &&
        !is_loopback_ipv4(host)) {
        return "plain http:// is allowed only to a loopback address (127.0.0.1, localhost, "
               "[::1]), since the token would cross the network unencrypted; use https://";
    }
    return {};
}

void read_portal(Reader& reader, const Node& node, const std::filesystem::path& dir,
                 PortalSpec& portal) {
    const auto fields =
        reader.fields(node, "portal", {"url", "token", "tokenFile"}, "the portal settings");
    if (!fields) {
        return;
    }
    if (const Node* url = reader.required(*fields, "url",
                                          "the portal's address, for example "
                                          "url: ${DOCSPACE_URL}")) {
        if (const auto value = reader.string(*url, "portal.url")) {
            const std::string problem = url_problem(value->value);
            if (!problem.empty()) {
                reader.sink().error(url->offset, "portal.url", problem);
            } else {
                portal.url = value->value;
                if (portal.url.back() == '/') {
                    portal.url.pop_back();
                }
            }
        }
    }
    const Node* token = reader.optional(*fields, "token");
    if (token != nullptr) {
        if (const auto value = reader.string(*token, "portal.token")) {
            if (!value->used_variable) {
                // A secret-looking literal was already reported by the lexical scan.
                if (find_secret_like(token->text, 0) == std::string::npos) {
                    reader.sink().error(token->offset, "portal.token",
                                        "a token written into the manifest would be committed "
                                        "with it; write `token: ${DOCSPACE_TOKEN}` and export "
                                        "the variable, or use `tokenFile`");
                }
            } else {
                portal.token = core::Secret{value->value};
            }
        }
    }
    if (const Node* file = reader.optional(*fields, "tokenFile")) {
        if (token != nullptr) {
            reader.sink().error(fields->key("tokenFile")->offset, "portal.tokenFile",
                                "`token` and `tokenFile` are alternatives; keep only one");
        } else if (const auto value = reader.string(*file, "portal.tokenFile")) {
            if (value->value.empty()) {
                reader.sink().error(file->offset, "portal.tokenFile", "the path is empty");
            } else {
                portal.token_file = resolve_path(dir, value->value);
            }
        }
    }
}

Defaults read_defaults(Reader& reader, const Node& node) {
    Defaults defaults;
    const auto fields =
        reader.fields(node, "defaults", {"rotation", "onSecretUnknown"}, "defaults for every key");
    if (!fields) {
        return defaults;
    }
    if (const Node* rotation = reader.optional(*fields, "rotation")) {
        const RotationRead read =
            read_rotation(reader, *rotation, "defaults.rotation", defaults.rotation);
        defaults.rotation = read.policy;
        defaults.rotate_before_offset = read.rotate_before_offset;
    }
    if (const Node* policy = reader.optional(*fields, "onSecretUnknown")) {
        defaults.on_secret_unknown =
            read_secret_unknown(reader, *policy, "defaults.onSecretUnknown")
                .value_or(SecretUnknownPolicy::fail);
    }
    return defaults;
}

}  // namespace

std::filesystem::path manifest_dir(const std::filesystem::path& file) {
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(file, ec);
    return (ec ? file : absolute).parent_path().lexically_normal();
}

std::filesystem::path resolve_path(const std::filesystem::path& manifest_dir,
                                   const std::string& path) {
    const std::filesystem::path written(path);
    return (written.is_absolute() ? written : manifest_dir / written).lexically_normal();
}

RotationRead read_rotation(Reader& reader, const Node& node, const std::string& path,
                           const RotationPolicy& base) {
    RotationRead read{base, k_no_offset};
    const auto fields =
        reader.fields(node, path, {"rotateBefore", "retire", "gracePeriod"}, "a rotation policy");
    if (!fields) {
        return read;
    }
    if (const Node* before = reader.optional(*fields, "rotateBefore")) {
        const std::string where = field_path(path, "rotateBefore");
        if (const auto value = reader.duration(*before, where)) {
            if (*value > k_max_rotate_before) {
                reader.sink().error(before->offset, where,
                                    "rotateBefore cannot exceed 365d, the "
                                    "longest lifetime a key can have");
            } else {
                read.policy.rotate_before = *value;
                read.rotate_before_offset = before->offset;
            }
        }
    }
    if (const Node* retire = reader.optional(*fields, "retire")) {
        static const std::vector<std::string> k_names = {"delete", "deactivate", "keep"};
        if (const auto index = reader.choice(*retire, field_path(path, "retire"), k_names)) {
            read.policy.retire = *index == 0   ? RetirePolicy::delete_key
                                 : *index == 1 ? RetirePolicy::deactivate
                                               : RetirePolicy::keep_until_expiry;
        }
    }
    if (const Node* grace = reader.optional(*fields, "gracePeriod")) {
        const std::string where = field_path(path, "gracePeriod");
        if (const auto value = reader.duration(*grace, where, /*allow_zero=*/true)) {
            if (*value >= k_max_grace) {
                reader.sink().error(grace->offset, where,
                                    "gracePeriod must be shorter than 366d; to leave old keys "
                                    "until they expire, write `retire: keep`");
            } else {
                read.policy.grace_period = *value;
            }
        }
    }
    return read;
}

std::optional<SecretUnknownPolicy> read_secret_unknown(Reader& reader, const Node& node,
                                                       const std::string& path) {
    static const std::vector<std::string> k_names = {"fail", "rotate", "keep"};
    const auto index = reader.choice(node, path, k_names);
    if (!index) {
        return std::nullopt;
    }
    return *index == 0   ? SecretUnknownPolicy::fail
           : *index == 1 ? SecretUnknownPolicy::rotate
                         : SecretUnknownPolicy::keep;
}

Manifest build_manifest(const Node& root, std::string_view text, const std::filesystem::path& file,
                        const EnvLookup& env, DiagnosticSink& sink) {
    Manifest manifest;
    manifest.file = file;
    const std::filesystem::path dir = detail::manifest_dir(file);
    manifest.state_path = default_state_path(file);

    Reader reader(text, env, sink);
    if (root.kind == Node::Kind::null) {
        sink.error(k_no_offset, "",
                   "the manifest is empty; it needs at least `version: 1`, "
                   "`portal`, `outputs` and `keys` (see docs/manifest.md)");
        return manifest;
    }
    const auto fields = reader.fields(
        root, "",
        {"version", "portal", "state", "sealed", "prune", "defaults", "policy", "outputs", "keys"},
        "the manifest");
    if (!fields) {
        return manifest;
    }
    if (const Node* version = reader.required(*fields, "version", "write `version: 1` first")) {
        if (const auto value = reader.integer(*version, "version"); value && *value != 1) {
            sink.error(version->offset, "version",
                       "unsupported manifest version " + std::to_string(*value) +
                           "; this provision reads version 1");
        }
    }
    if (const Node* portal = reader.required(*fields, "portal",
                                             "the portal to manage, with "
                                             "at least `url`")) {
        read_portal(reader, *portal, dir, manifest.portal);
    }
    if (const Node* state = reader.optional(*fields, "state")) {
        if (const auto value = reader.string(*state, "state")) {
            if (value->value.empty()) {
                sink.error(state->offset, "state", "the path is empty");
            } else if (is_state_url(value->value)) {
                manifest.state_url = value->value;
            } else {
                manifest.state_path = resolve_path(dir, value->value);
            }
        }
    }
    if (const Node* sealed = reader.optional(*fields, "sealed")) {
        manifest.sealed_recipients = read_age_recipients(reader, *sealed, "sealed");
    }
    if (const Node* prune = reader.optional(*fields, "prune")) {
        manifest.prune = reader.boolean(*prune, "prune").value_or(false);
    }
    Defaults defaults;
    if (const Node* node = reader.optional(*fields, "defaults")) {
        defaults = read_defaults(reader, *node);
    }
    manifest.default_rotation = defaults.rotation;
    if (const Node* node = reader.optional(*fields, "policy")) {
        manifest.policy = read_policy(reader, *node);
    }
    if (const Node* keys = reader.required(*fields, "keys",
                                           "the API keys to manage, as a "
                                           "list of entries")) {
        manifest.keys = read_keys(reader, *keys, defaults, manifest.policy);
    }
    if (const Node* outputs = reader.required(*fields, "outputs",
                                              "where the secrets go, for "
                                              "example `- path: bots.env`")) {
        manifest.outputs = read_outputs(reader, *outputs, dir, manifest.keys, manifest.state_path);
    }
    return manifest;
}

}  // namespace provision::manifest::detail
