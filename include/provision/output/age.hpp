#pragma once
/// Encryption at rest with age (https://age-encryption.org), by running the `age` program.
///
/// An output with `encrypt: {age: [...]}` is rendered as usual, encrypted to its recipients
/// (ASCII-armored, so it diffs and commits cleanly) and written atomically with mode 0600. Beside
/// it, `<output>.fingerprints.json` lists which secret each variable holds as a fingerprint
/// (the state's SHA-256), never a secret. The index answers, without any identity, whether the
/// encrypted file holds a key's secret and whether a rewrite would change it (age output differs
/// on every run even for the same input).
///
/// Reading an encrypted output back needs an identity from the environment:
/// PROVISION_AGE_IDENTITY_FILE (a path to an age identity file) or PROVISION_AGE_IDENTITY (the
/// identity text itself, handed to age on its stdin, never written to disk). `age` runs with an
/// environment holding only PATH: the portal token never reaches it.

#include "provision/core/result.hpp"
#include "provision/core/secret.hpp"
#include "provision/manifest/manifest.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace provision::output {

/// Where an identity to decrypt outputs comes from.
struct AgeIdentity {
    std::filesystem::path file;  ///< PROVISION_AGE_IDENTITY_FILE, or empty
    core::Secret text;           ///< PROVISION_AGE_IDENTITY, or empty
};

/// The identity named by the environment; nullopt when neither variable is set (non-empty).
std::optional<AgeIdentity> age_identity_from_env();

/// `<output>.fingerprints.json`, the non-secret index beside an encrypted output.
std::filesystem::path age_index_path(const std::filesystem::path& output);

/// One variable in an index.
struct AgeIndexEntry {
    std::string entry;        ///< manifest entry name
    std::string fingerprint;  ///< core::Secret::fingerprint() of the value the output holds
};

/// What an encrypted output holds, per its index.
struct AgeIndex {
    std::map<std::string, AgeIndexEntry> keys;  ///< variable name -> entry and fingerprint
    std::string content_fingerprint;            ///< fingerprint of the whole plaintext
};

/// Renders an index as JSON text (deterministic).
std::string render_age_index(const AgeIndex& index);

/// Reads an output's index; nullopt when the file does not exist; an error when it is corrupt.
core::Result<std::optional<AgeIndex>> read_age_index(const std::filesystem::path& output);

/// Encrypts `plaintext` to every recipient (armored). The error never contains the plaintext.
core::Result<std::string> age_encrypt(const std::vector<std::string>& recipients,
                                      std::string_view plaintext);

/// Decrypts the file at `encrypted` with `identity`. The error names the file, never a secret.
core::Result<core::Secret> age_decrypt(const std::filesystem::path& encrypted,
                                       const AgeIdentity& identity);

/// Decrypts armored ciphertext held in memory (a sealed secret), as age_decrypt does a file.
core::Result<core::Secret> age_decrypt_text(std::string_view armored, const AgeIdentity& identity);

/// For every encrypted output that exists but cannot be decrypted because no identity is set:
/// entry name -> the fingerprints the outputs' indexes list for it. An error when such an output
/// has no index (nothing then says what it holds) or a corrupt one. `indexes`, when given,
/// receives each index read, by the output's path, so that the caller need not read it again.
core::Result<std::map<std::string, std::vector<std::string>>>
read_sealed_fingerprints(const manifest::Manifest& manifest,
                         std::map<std::string, AgeIndex>* indexes = nullptr);

/// Ok when the `age` program is on PATH; otherwise an error saying to install it.
core::Status check_age_available();

}  // namespace provision::output
