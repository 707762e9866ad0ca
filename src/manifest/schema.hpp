#pragma once
/// Schema version 1, section by section. Each reader reports every problem in its section and
/// returns what it could read; build_manifest (schema.cpp) puts the sections together.

#include "reader.hpp"

#include <filesystem>
#include <vector>

namespace provision::manifest::detail {

/// `defaults:` as read, with where rotateBefore was written (for messages about it).
struct Defaults {
    RotationPolicy rotation;
    std::size_t rotate_before_offset = k_no_offset;
    SecretUnknownPolicy on_secret_unknown = SecretUnknownPolicy::fail;
};

/// A `rotation:` map applied over `base` (each field optional).
struct RotationRead {
    RotationPolicy policy;
    std::size_t rotate_before_offset = k_no_offset;  ///< set when this map has rotateBefore
};

RotationRead read_rotation(Reader& reader, const Node& node, const std::string& path,
                           const RotationPolicy& base);
std::optional<SecretUnknownPolicy> read_secret_unknown(Reader& reader, const Node& node,
                                                       const std::string& path);

/// The `policy:` block (policy.hpp), reporting malformed rules.
Policy read_policy(Reader& reader, const Node& node);

/// The `keys:` list; each entry is also checked against `policy`.
std::vector<KeySpec> read_keys(Reader& reader, const Node& node, const Defaults& defaults,
                               const Policy& policy);

/// The `outputs:` list; `keys` are the entries read from `keys:` (for `keys:` selections).
std::vector<OutputSpec> read_outputs(Reader& reader, const Node& node,
                                     const std::filesystem::path& manifest_dir,
                                     const std::vector<KeySpec>& keys,
                                     const std::filesystem::path& state_path);

/// An `{age: [recipients...]}` map (an output's `encrypt:`, the manifest's `sealed:`).
std::vector<std::string> read_age_recipients(Reader& reader, const Node& node,
                                             const std::string& path);

/// The directory of the manifest at `file`, made absolute (as given when that fails) and
/// lexically normalised: what relative paths in it are resolved against.
std::filesystem::path manifest_dir(const std::filesystem::path& file);

/// `path` (as written, after interpolation) resolved against the manifest's directory and
/// lexically normalised.
std::filesystem::path resolve_path(const std::filesystem::path& manifest_dir,
                                   const std::string& path);

}  // namespace provision::manifest::detail
