#pragma once
/// The recovery file (reliability C.10): the last place a freshly created secret can go when an
/// output cannot be written but the state's directory can. "<state file>.recovery", mode 0600,
/// JSON: {"formatVersion": 1, "keys": {"<entry>": {"id", "postfix", "secret"}}}. The key is
/// kept and the state binds it, so nothing is revoked and nothing is lost; the next run reads
/// the secret from here like from an output, writes it to every output and then deletes the
/// file. It holds secrets: it must never be committed.

#include "provision/core/result.hpp"
#include "provision/core/secret.hpp"

#include <filesystem>
#include <map>
#include <string>

namespace provision::apply {

/// "<state path>.recovery"
std::filesystem::path recovery_path_for(const std::filesystem::path& state_path);

/// entry -> secret; empty when the file does not exist. A corrupt file is an error naming it
/// and the position, never its content.
core::Result<std::map<std::string, core::Secret>> read_recovery(const std::filesystem::path& path);

/// Adds (or replaces) the secret of `entry`, keeping the others, atomically and 0600.
core::Status save_recovered(const std::filesystem::path& path, const std::string& entry,
                            const std::string& id, const std::string& postfix,
                            const core::Secret& secret);

/// Deletes the file once every secret it held is in the outputs. Absent is fine.
core::Status remove_recovery(const std::filesystem::path& path);

}  // namespace provision::apply
