#include "provision/core/atomic_file.hpp"

#include "provision/core/crash_point.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <random>
#include <string_view>

namespace provision::core {

namespace {

Error io_error(const std::string& what, const std::filesystem::path& path, int err) {
    return make_error(Errc::io, what + " " + path.string() + ": " + std::strerror(err));
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

Error too_large(const std::filesystem::path& path, std::size_t max_bytes) {
    return make_error(Errc::invalid_input,
                      path.string() + " is larger than " + std::to_string(max_bytes) +
                          " bytes, more than this file can hold; check that it is the right file");
}

std::string random_suffix() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr std::string_view k_chars = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string s;
    for (int i = 0; i < 10; ++i) {
        s.push_back(k_chars[rng() % k_chars.size()]);
    }
    return s;
}

}  // namespace

Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         const WriteOptions& options) {
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
    if (options.refuse_symlink) {
        struct stat st {};
        if (::lstat(path.c_str(), &st) == 0) {
            if (S_ISLNK(st.st_mode)) {
                return make_error(Errc::invalid_input,
                                  "refusing to write " + path.string() +
                                      ": it is a symbolic link; replace it with a regular file or "
                                      "choose another path");
            }
            if (!S_ISREG(st.st_mode)) {
                return make_error(Errc::invalid_input,
                                  "refusing to write " + path.string() + ": it is " +
                                      file_type_name(st.st_mode) +
                                      ", not a regular file; remove it or choose another path");
            }
        }
    }
    const std::filesystem::path temp =
        dir / ("." + path.filename().string() + ".tmp-" + random_suffix());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                          static_cast<mode_t>(options.mode));
    if (fd < 0) {
        return io_error("cannot create temporary file for", path, errno);
    }
    // The umask may have narrowed the mode, never widened it; set it exactly.
    if (::fchmod(fd, static_cast<mode_t>(options.mode)) != 0 || !write_all(fd, content) ||
        ::fsync(fd) != 0) {
        const int err = errno;
        ::close(fd);
        ::unlink(temp.c_str());
        return io_error("cannot write", path, err);
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        return io_error("cannot write", path, err);
    }
    crash_point("after_temp_file");
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        return io_error("cannot replace", path, err);
    }
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
    crash_point("after_rename");
    return ok_status();
}

Result<std::optional<std::string>> read_file_if_exists(const std::filesystem::path& path,
                                                       std::size_t max_bytes) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) {
            return std::optional<std::string>{};
        }
        return io_error("cannot open", path, errno);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return io_error("cannot inspect", path, err);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error(Errc::invalid_input,
                          path.string() + " is not a regular file (it is " +
                              file_type_name(st.st_mode) +
                              "); replace it with a regular file or remove it");
    }
    if (static_cast<std::size_t>(st.st_size) > max_bytes) {
        ::close(fd);
        return too_large(path, max_bytes);
    }
    std::string content;
    std::array<char, 65536> buf;  // read() fills it
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            const int err = errno;
            ::close(fd);
            return io_error("cannot read", path, err);
        }
        if (n == 0) {
            break;
        }
        content.append(buf.data(), static_cast<std::size_t>(n));
        if (content.size() > max_bytes) {
            ::close(fd);
            return too_large(path, max_bytes);
        }
    }
    ::close(fd);
    return std::optional<std::string>{std::move(content)};
}

const char* file_type_name(unsigned mode) noexcept {
    switch (mode & S_IFMT) {
    case S_IFREG:
        return "a regular file";
    case S_IFDIR:
        return "a directory";
    case S_IFLNK:
        return "a symbolic link";
    case S_IFIFO:
        return "a FIFO";
    case S_IFCHR:
        return "a character device";
    case S_IFBLK:
        return "a block device";
    case S_IFSOCK:
        return "a socket";
    default:
        return "a special file";
    }
}

}  // namespace provision::core
