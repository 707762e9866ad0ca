#pragma once
/// Atomic file replacement: write a 0600 temp file in the destination's directory, fsync it,
/// rename it over the destination, fsync the directory. A reader sees either the complete old
/// file or the complete new one, whatever happens to this process.

#include "provision/core/result.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace provision::core {

struct WriteOptions {
    unsigned mode = 0600;
    bool refuse_symlink = true;  ///< refuse when the destination is a symlink
};

Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         const WriteOptions& options = {});

/// Reads a whole regular file (following symlinks); nullopt content when it does not exist.
/// Errc::invalid_input when the path is not a regular file or is larger than max_bytes (the
/// message says which and what to do), Errc::io for other failures (permission, read error).
Result<std::optional<std::string>> read_file_if_exists(const std::filesystem::path& path,
                                                       std::size_t max_bytes = std::size_t{16} *
                                                                               1024 * 1024);

/// What a file of this st_mode is, for messages: "a directory", "a symbolic link", "a FIFO",
/// "a character device", "a block device", "a socket", "a regular file".
const char* file_type_name(unsigned mode) noexcept;

}  // namespace provision::core
