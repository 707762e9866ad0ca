#pragma once
/// Secret outputs: the files pipelines read. Each format renders every selected managed key's
/// secret and can be parsed back, so a run that creates one key rewrites the file with the
/// others' secrets unchanged byte for byte.

#include "provision/core/result.hpp"
#include "provision/core/secret.hpp"
#include "provision/core/time.hpp"
#include "provision/manifest/manifest.hpp"
#include "provision/output/age.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace provision::output {

/// One key's entry in an output.
struct SecretRecord {
    std::string entry;  ///< manifest entry name
    std::string env;    ///< variable name
    core::Secret secret;
    // metadata (JSON, YAML, Kubernetes labels/annotations):
    std::string id;
    std::string name;
    std::string postfix;
    core::Scopes permissions;
    std::optional<core::Timestamp> expires_at;
};

/// Renders records (in the given order) in spec.format. Deterministic.
core::Result<std::string> render_output(const manifest::OutputSpec& spec,
                                        const std::vector<SecretRecord>& records);

/// Parses an output file's text back into env name -> secret. Unknown extra content is
/// tolerated where the format allows; a corrupt file is Errc::invalid_input with the message
/// "PATH:LINE:COLUMN: expected ...", which never quotes the text.
core::Result<std::map<std::string, core::Secret>> parse_output(const manifest::OutputSpec& spec,
                                                               std::string_view text);

/// A variable an output holds that no manifest entry writes there.
struct ForeignVariable {
    std::string output;       ///< the output's path as written in the manifest
    std::string variable;     ///< its name
    std::string fingerprint;  ///< of its value
};

/// What the outputs of a manifest hold.
struct HeldSecrets {
    /// Every distinct secret for each entry, in the order of the manifest's outputs (a variable
    /// found empty counts as absent). Outputs disagree only after an interruption between two
    /// output writes, or after a hand edit; the caller decides which secret is the entry's
    /// (docs/lifecycle.md, "When outputs disagree").
    std::map<std::string, std::vector<core::Secret>> by_entry;
    /// Variables of no entry: an entry removed from the manifest, or a line someone added.
    std::vector<ForeignVariable> foreign;
    /// Plaintext outputs' files as read: path -> core::Secret::fingerprint() of the whole text
    /// (nullopt: the file is absent), so that the caller can tell whether a write would change
    /// a file without reading it again.
    std::map<std::string, std::optional<std::string>> text_fingerprints;
    /// The entries each output holds a (non-empty) secret for: path as written -> entries.
    std::map<std::string, std::set<std::string>> entries_by_output;
};

/// Reads every output of a manifest that can be read (missing files contribute nothing;
/// encrypted ones only with an identity). A file that cannot be read or parsed is an error
/// naming it.
core::Result<HeldSecrets> read_held_secrets(const manifest::Manifest& m);

/// Like read_held_secrets, for callers that need one secret per entry: outputs holding
/// different secrets for an entry are an error naming both files.
core::Result<std::map<std::string, core::Secret>> read_known_secrets(const manifest::Manifest& m);

/// The fingerprint index an encrypted output holding `records` as plaintext `text` gets
/// (written beside it by write_output; age.hpp).
AgeIndex age_index_for(const std::vector<SecretRecord>& records, std::string_view text);

/// Renders and atomically writes one output (0600). `rendered`, when the caller has it
/// already: render_output's text for these records (before any encryption), not rendered again.
core::Status write_output(const manifest::OutputSpec& spec,
                          const std::vector<SecretRecord>& records,
                          const core::Secret* rendered = nullptr);

/// Checks that the output's directory accepts an atomic write (temp create, fsync, rename,
/// unlink) and that the destination is safe (regular file or absent, not a symlink; a plaintext
/// output not exposed to git, see git_guard.hpp; for an encrypted output, its index safe too
/// and `age` installed).
core::Status check_output_writable(const manifest::OutputSpec& spec);

/// Ok when path is absent or a regular file owned by this user; Errc::invalid_input (naming the
/// path, what it is and what to do) for a symlink, a directory or other non-regular file, or
/// another owner's file; Errc::io when it cannot be inspected.
/// Checked with lstat: a symlink is never followed.
core::Status check_output_destination(const std::filesystem::path& path);

}  // namespace provision::output
