#pragma once
/// The HTTP(S) front of docspace-emulator: cpp-httplib, fault rules, the request log, the
/// expiry sweeper and signal handling around one Portal.

#include "options.hpp"

#include <memory>

namespace emulator {

class Server {
public:
    /// Loads the state (see Portal); throws std::runtime_error when it cannot.
    explicit Server(const Options& options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds, writes the port file, prints the "listening" line and serves until stop(),
    /// SIGINT or SIGTERM. Returns the process exit code.
    int run();
    /// Asks a running server to stop; safe from any thread.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace emulator
