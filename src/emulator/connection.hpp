#pragma once
/// Dropping a client connection from inside a request handler.

#include <string>

namespace emulator {

/// Finds this process's socket connected to remote_addr:remote_port on local_port and shuts
/// it down in both directions, so the client sees the connection close with no response while
/// the server's own close path stays intact. Returns false when no such socket exists.
bool shut_down_connection(const std::string& remote_addr, int remote_port, int local_port);

}  // namespace emulator
