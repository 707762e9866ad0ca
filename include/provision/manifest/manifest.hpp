#pragma once
/// The manifest (version 1): what API keys should exist, where their secrets go, and how the
/// portal is reached. See docs/manifest.md for every field. Loaded strictly by load_manifest().

#include "provision/core/diagnostic.hpp"
#include "provision/core/scopes.hpp"
#include "provision/core/secret.hpp"
#include "provision/manifest/policy.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace provision::manifest {

struct Location {
    int line = 0;    ///< 1-based
    int column = 0;  ///< 1-based
};

enum class OutputFormat { dotenv, json, yaml, k8s_secret };
const char* to_string(OutputFormat format) noexcept;

/// What to do with the old key once its replacement is durable (issue 4).
enum class RetirePolicy { delete_key, deactivate, keep_until_expiry };
/// What to do when the state knows a key but no output holds its secret (issue 4).
enum class SecretUnknownPolicy { fail, rotate, keep };

struct RotationPolicy {
    /// Rotate when the key expires within this window; nullopt = default derived from lifetime
    /// (a third of it, at most 30 days).
    std::optional<std::chrono::seconds> rotate_before;
    RetirePolicy retire = RetirePolicy::delete_key;
    std::chrono::seconds grace_period{std::chrono::hours(24)};
};

struct KeySpec {
    std::string name;                    ///< 1-30 chars, unique in the manifest
    core::Scopes permissions;            ///< "*" = unrestricted
    std::optional<int> expires_in_days;  ///< 1-365; nullopt = never expires
    std::string env;                     ///< variable name in outputs
    bool protect = false;                ///< refuse deletion and replacement
    RotationPolicy rotation;
    SecretUnknownPolicy on_secret_unknown = SecretUnknownPolicy::fail;
    Location location;  ///< of the entry in the manifest
};

struct OutputSpec {
    std::filesystem::path path;  ///< absolute (resolved relative to the manifest)
    std::string path_as_written;
    OutputFormat format = OutputFormat::dotenv;
    std::vector<std::string> keys;  ///< entry names to include; empty = every entry
    // k8s_secret only:
    std::string k8s_name;
    std::string k8s_namespace;
    bool k8s_string_data = false;             ///< plain values under stringData instead of data
    std::vector<std::string> age_recipients;  ///< non-empty = encrypted with age (issue 6)
    bool allow_git = false;                   ///< permit a plaintext output that git would track
    /// Rewrite this output even when it would lack the secret of a key the state manages (its
    /// secret is unknown); by default such an output is left untouched
    /// (plan::Reason::partial_output).
    bool allow_partial = false;
    std::string env_prefix;  ///< prepended to every variable name in this output
    Location location;

    /// Whether this output holds entry `entry`'s secret (its `keys`, or every entry).
    bool selects(std::string_view entry) const;
};

struct PortalSpec {
    std::string url;                   ///< https://..., or http:// to a loopback address
    core::Secret token;                ///< after ${VAR} interpolation; may be empty
    std::filesystem::path token_file;  ///< alternative to token
};

struct Manifest {
    std::filesystem::path file;        ///< the manifest's path as given
    std::filesystem::path state_path;  ///< default: <dir>/<stem>.state.json
    /// A remote state backend (`postgresql://...`, `https://...`), chosen by `state:`, --state or
    /// PROVISION_STATE; empty = the state file at state_path. With one, state_path still names
    /// where the run's local files go (its flock and recovery file).
    std::string state_url;
    /// `sealed: {age: [...]}`: every secret is also kept in the state's backend, encrypted to
    /// these recipients (docs/state.md "Sealed secrets"); empty = not sealed.
    std::vector<std::string> sealed_recipients;
    int version = 1;
    PortalSpec portal;
    std::vector<OutputSpec> outputs;
    std::vector<KeySpec> keys;
    RotationPolicy default_rotation;
    bool prune = false;
    Policy policy;  ///< `policy:`; every entry already satisfies it

    const KeySpec* find_key(std::string_view name) const;
};

/// The state file of the manifest at `file` when it names none: `<dir>/<stem>.state.json`, the
/// directory made absolute.
std::filesystem::path default_state_path(const std::filesystem::path& file);

/// True when a state location is a remote backend's URL (`postgresql://`, `postgres://`,
/// `http://`, `https://`) rather than a path.
bool is_state_url(std::string_view location);

/// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// The process environment.
EnvLookup process_env();

struct LoadResult {
    std::optional<Manifest> manifest;           ///< set only when there is no error diagnostic
    std::vector<core::Diagnostic> diagnostics;  ///< every problem found, in file order
};

/// Loads and checks a manifest file without any network access. Never throws for bad input.
/// `offline` (`provision validate`): an unset environment variable is a warning, not an error,
/// and the value that uses it is left out of the checks.
LoadResult load_manifest(const std::filesystem::path& file, const EnvLookup& env,
                         bool offline = false);

/// Same, from text already in memory (tests); `file` is used only for messages and for
/// resolving relative output paths.
LoadResult load_manifest_text(std::string_view text, const std::filesystem::path& file,
                              const EnvLookup& env, bool offline = false);

/// The variable name of `key` in `output`: the output's envPrefix followed by the key's env.
std::string env_name(const OutputSpec& output, const KeySpec& key);

/// Default variable name for an entry: upper-case, non-alphanumerics to '_', "_API_KEY" suffix
/// ("Integration Bot" -> "INTEGRATION_BOT_API_KEY").
std::string default_env_name(std::string_view key_name);

}  // namespace provision::manifest
