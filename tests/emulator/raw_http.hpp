#pragma once
/// A raw HTTP/1.1 exchange over a plain socket, for requests an HTTP client library will not
/// send: a POST without Content-Length and without chunked encoding, or two requests in one
/// write. Reads until the server closes the connection or `timeout` passes.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace emulator_test {

struct RawExchange {
    std::string text;     ///< everything the server sent
    bool closed = false;  ///< the server closed the connection (no timeout)
    std::chrono::milliseconds elapsed{0};

    /// The status code of the n-th response (0-based) in `text`, or 0 when absent.
    int status(int n = 0) const {
        std::size_t at = 0;
        for (int i = 0; i <= n; ++i) {
            at = text.find("HTTP/1.1 ", i == 0 ? 0 : at + 1);
            if (at == std::string::npos) {
                return 0;
            }
        }
        return std::stoi(text.substr(at + 9, 3));
    }
    /// The body of the last response (after the last blank line).
    std::string last_body() const {
        const auto at = text.rfind("\r\n\r\n");
        return at == std::string::npos ? std::string() : text.substr(at + 4);
    }
};

/// Reads one response (headers, then Content-Length bytes) from `fd` into `text`; false on
/// timeout or close before it is complete.
inline bool read_one_response(int fd, std::string& text) {
    char buffer[4096];
    const std::size_t start = text.size();
    for (;;) {
        const auto end = text.find("\r\n\r\n", start);
        if (end != std::string::npos) {
            std::size_t length = 0;
            const auto at = text.find("Content-Length: ", start);
            if (at != std::string::npos && at < end) {
                length = std::stoul(text.substr(at + 16));
            }
            if (text.size() >= end + 4 + length) {
                return true;
            }
        }
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            return false;
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
}

/// Sends `requests` one after the other on one connection, each once the previous answer is
/// complete (cpp-httplib does not serve pipelined requests), then collects what follows the
/// last. Put `Connection: close` on the last request so the server ends the exchange.
inline RawExchange raw_exchange(int port, const std::vector<std::string>& requests,
                                std::chrono::milliseconds timeout = std::chrono::seconds(4));

/// Sends `request` verbatim to 127.0.0.1:`port` and collects the answer.
inline RawExchange raw_exchange(int port, const std::string& request,
                                std::chrono::milliseconds timeout = std::chrono::seconds(4)) {
    return raw_exchange(port, std::vector<std::string>{request}, timeout);
}

inline RawExchange raw_exchange(int port, const std::vector<std::string>& requests,
                                std::chrono::milliseconds timeout) {
    RawExchange result;
    const auto started = std::chrono::steady_clock::now();
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return result;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval wait{};
    wait.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    wait.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    bool sent = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    for (std::size_t i = 0; sent && i < requests.size(); ++i) {
        const std::string& request = requests[i];
        sent = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
                   static_cast<ssize_t>(request.size()) &&
               (i + 1 == requests.size() || read_one_response(fd, result.text));
    }
    if (sent) {
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n == 0) {
                result.closed = true;
                break;
            }
            if (n < 0) {
                break;
            }
            result.text.append(buffer, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    return result;
}

}  // namespace emulator_test
