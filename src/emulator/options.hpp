#pragma once
/// Command-line options of docspace-emulator (documented in docs/emulator.md).

#include "behavior.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace emulator {

struct Options {
    std::string host = "127.0.0.1";
    int port = 0;
    std::string port_file;
    std::string tls_cert;
    std::string tls_key;
    int threads = 8;
    int utc_offset_minutes = 0;
    std::string owner_email = "owner@docspace.test";
    std::string owner_password = "owner-password";
    std::string owner_token = "emulator-owner-token";
    std::string owner_first_name = "Portal";
    std::string owner_last_name = "Owner";
    bool limited_access_for_users = false;
    bool rate_limit = false;
    int rate_limit_count = 5;
    double rate_limit_window_seconds = 900;
    double sweep_interval_seconds = 600;
    std::string state_file;
    std::size_t max_body = 1048576;
    bool test_controls = false;
    bool log_requests = false;
    /// nullopt = not given: the state file's profile, else k_default_server_behavior.
    std::optional<ServerBehavior> server_behavior;
    std::int64_t tenant_id = 1;             ///< GET /api/2.0/portal `tenantId` at start-up
    std::string tenant_alias = "emulator";  ///< ... and `tenantAlias` (also `name`)

    bool tls() const { return !tls_cert.empty(); }
};

/// Parses argv. On success returns the options; on `--help` or an error prints to stdout/stderr
/// and sets `exit_code` (0 for help, non-zero for an error) and returns nullopt.
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

}  // namespace emulator
