#pragma once
/// Leftover temporary files: a run killed between creating a temporary file and renaming it
/// (core::write_file_atomic, the output probe) leaves a 0600 file that may hold secrets,
/// possibly of keys since revoked. The next run, under the run lock, removes them.

#include "provision/apply/lock.hpp"
#include "provision/manifest/manifest.hpp"

#include <filesystem>
#include <string_view>
#include <vector>

namespace provision::apply {

/// True when `name` (a bare file name) is one of this tool's temporary files for the file named
/// `owned`: `.<owned>.tmp-` and exactly 10 characters of [a-z0-9] (core::write_file_atomic), or
/// `.<owned>.provision-probe-<pid>-<n>-a` / `-b` (the output probe). Nothing else matches.
bool is_leftover_of(std::string_view name, std::string_view owned);

/// The files a run writes, whose temporary files it may remove: every output, each encrypted
/// output's fingerprint index, the state file, its recovery file (recovery.hpp) and `extra`.
std::vector<std::filesystem::path>
owned_files(const manifest::Manifest& manifest,
            const std::vector<std::filesystem::path>& extra = {});

/// Removes, in the directories of `owned`, the regular files (lstat: never a symlink or a
/// directory) that is_leftover_of() one of them, and logs each removal at debug level. Runs
/// under the lock, so no live run is writing them. Returns the paths removed; a file that
/// cannot be removed is logged as a warning and left in place.
std::vector<std::filesystem::path>
remove_leftovers(const RunLock& lock, const std::vector<std::filesystem::path>& owned);

}  // namespace provision::apply
