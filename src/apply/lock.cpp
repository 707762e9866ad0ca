// The run lock (lock.hpp): flock on "<state>.lock", the holder recorded in the file.

#include "provision/apply/lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <thread>

namespace provision::apply {

namespace {

std::string holder_description(int fd) {
    std::array<char, 512> buf{};
    const ssize_t n = ::pread(fd, buf.data(), buf.size() - 1, 0);
    if (n <= 0) {
        return "another provision process";
    }
    std::string text(buf.data(), static_cast<std::size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

void record_holder(int fd) {
    const std::string text = lock_holder_text() + "\n";
    if (::ftruncate(fd, 0) == 0) {
        [[maybe_unused]] const ssize_t n = ::pwrite(fd, text.data(), text.size(), 0);
        ::fsync(fd);
    }
}

}  // namespace

RunLock::RunLock(RunLock&& other) noexcept : m_fd(other.m_fd) {
    other.m_fd = -1;
}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = other.m_fd;
        other.m_fd = -1;
    }
    return *this;
}

RunLock::~RunLock() {
    if (m_fd >= 0) {
        ::flock(m_fd, LOCK_UN);
        ::close(m_fd);
    }
}

core::Result<RunLock> RunLock::acquire(const std::filesystem::path& lock_file,
                                       std::chrono::milliseconds timeout) {
    const int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return core::make_error(core::Errc::io, "cannot open lock file " + lock_file.string() +
                                                    ": " + std::strerror(errno));
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
            record_holder(fd);
            return RunLock{fd};
        }
        if (errno != EWOULDBLOCK && errno != EINTR) {
            const int err = errno;
            ::close(fd);
            return core::make_error(core::Errc::io, "cannot lock " + lock_file.string() + ": " +
                                                        std::strerror(err));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            std::string holder = holder_description(fd);
            ::close(fd);
            return core::make_error(core::Errc::lock_held,
                                    "another run holds the lock " + lock_file.string() + " (" +
                                        holder + "); wait for it to finish or pass --lock-timeout");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

std::optional<std::string> lock_holder(const std::filesystem::path& lock_file) {
    const int fd = ::open(lock_file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return std::nullopt;
    }
    // A shared lock is granted unless a run holds the exclusive one; it is dropped at once.
    std::optional<std::string> holder;
    if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            holder = holder_description(fd);
        }
    } else {
        ::flock(fd, LOCK_UN);
    }
    ::close(fd);
    return holder;
}

std::string lock_holder_text() {
    std::array<char, 256> host{};
    ::gethostname(host.data(), host.size() - 1);
    const std::time_t now = std::time(nullptr);
    std::array<char, 64> when{};
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::strftime(when.data(), when.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return "pid " + std::to_string(::getpid()) + " on " + host.data() + " since " + when.data();
}

std::filesystem::path lock_path_for(const std::filesystem::path& state_path) {
    return {state_path.string() + ".lock"};
}

}  // namespace provision::apply
