#pragma once
/// A run lock the kernel releases: flock() on "<state file>.lock" for the whole run. A killed
/// process never leaves a stale lock. The file records the holder (pid, host, start time) so a
/// second run can say who holds it.

#include "provision/core/result.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace provision::apply {

class RunLock {
public:
    RunLock(const RunLock&) = delete;
    RunLock& operator=(const RunLock&) = delete;
    RunLock(RunLock&& other) noexcept;
    RunLock& operator=(RunLock&& other) noexcept;
    ~RunLock();  ///< releases the lock

    /// Takes the lock, waiting up to `timeout` (0 = fail at once). Errc::lock_held names the
    /// holder when another process keeps it.
    static core::Result<RunLock> acquire(const std::filesystem::path& lock_file,
                                         std::chrono::milliseconds timeout);

private:
    explicit RunLock(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

/// Who holds the lock of `lock_file` now, as the holder recorded itself; nullopt when no
/// process holds it (or the file does not exist). Never takes the lock.
std::optional<std::string> lock_holder(const std::filesystem::path& lock_file);

/// Who this process is, as a lock records its holder: "pid N on HOST since TIME".
std::string lock_holder_text();

/// "<state path>.lock"
std::filesystem::path lock_path_for(const std::filesystem::path& state_path);

}  // namespace provision::apply
