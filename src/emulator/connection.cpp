// cpp-httplib 0.11 gives a handler no access to its socket, and it writes the status line only
// after the handler returns. To make the client see "no response at all", the handler looks its
// own socket up by the connection's address pair among the process's open descriptors and shuts
// it down; httplib's later write then fails quietly and it closes the descriptor as usual.
#include "connection.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>

namespace emulator {
namespace {

struct Endpoint {
    std::string address;
    int port = -1;
};

Endpoint endpoint_of(const sockaddr_storage& storage) {
    Endpoint endpoint;
    char text[INET6_ADDRSTRLEN] = {};
    if (storage.ss_family == AF_INET) {
        sockaddr_in in{};
        static_assert(sizeof in <= sizeof storage);
        __builtin_memcpy(&in, &storage, sizeof in);
        inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
        endpoint.port = ntohs(in.sin_port);
    } else if (storage.ss_family == AF_INET6) {
        sockaddr_in6 in6{};
        __builtin_memcpy(&in6, &storage, sizeof in6);
        inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
        endpoint.port = ntohs(in6.sin6_port);
    }
    endpoint.address = text;
    return endpoint;
}

}  // namespace

bool shut_down_connection(const std::string& remote_addr, int remote_port, int local_port) {
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) {
        return false;
    }
    bool found = false;
    while (const dirent* entry = readdir(dir)) {
        char* end = nullptr;
        const long fd_long = std::strtol(entry->d_name, &end, 10);
        if (end == entry->d_name || *end != '\0') {
            continue;
        }
        const int fd = static_cast<int>(fd_long);
        struct stat info {};
        if (fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) {
            continue;
        }
        sockaddr_storage peer{};
        sockaddr_storage local{};
        socklen_t peer_size = sizeof peer;
        socklen_t local_size = sizeof local;
        if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0 ||
            getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0) {
            continue;
        }
        const Endpoint remote = endpoint_of(peer);
        if (remote.port == remote_port && endpoint_of(local).port == local_port &&
            (remote.address == remote_addr || remote_addr.empty())) {
            ::shutdown(fd, SHUT_RDWR);
            found = true;
            break;
        }
    }
    closedir(dir);
    return found;
}

}  // namespace emulator
