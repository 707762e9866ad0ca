#include "options.hpp"

#include "clock.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

namespace emulator {

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
    Options options;
    if (const char* token = std::getenv("EMULATOR_OWNER_TOKEN"); token != nullptr && *token) {
        options.owner_token = token;
    }
    std::string utc_offset = "+00:00";
    std::string server_behavior;
    CLI::App app{"docspace-emulator: a local stand-in for the ONLYOFFICE DocSpace API keys "
                 "endpoints (v3.7.2 or later-server behaviour, quirks included). See "
                 "docs/emulator.md.",
                 "docspace-emulator"};
    app.add_option("--host", options.host, "address to listen on")->capture_default_str();
    app.add_option("--port", options.port, "port; 0 lets the OS choose")
        ->capture_default_str()
        ->check(CLI::Range(0, 65535));
    app.add_option("--port-file", options.port_file,
                   "write the chosen port (digits and a newline) to this file once listening");
    auto* cert = app.add_option("--tls-cert", options.tls_cert,
                                "serve HTTPS with this PEM certificate (needs --tls-key)");
    auto* key = app.add_option("--tls-key", options.tls_key, "PEM private key for --tls-cert");
    cert->needs(key);
    key->needs(cert);
    app.add_option("--threads", options.threads, "worker threads")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    app.add_option("--utc-offset", utc_offset,
                   "the portal time zone's UTC offset (+HH:MM or -HH:MM) used in every date")
        ->capture_default_str();
    app.add_option("--owner-email", options.owner_email, "the portal owner's email (login)")
        ->capture_default_str();
    app.add_option("--owner-password", options.owner_password, "the portal owner's password")
        ->capture_default_str();
    app.add_option("--owner-token", options.owner_token,
                   "a session token of the owner accepted from start-up (also "
                   "EMULATOR_OWNER_TOKEN)")
        ->capture_default_str();
    app.add_flag("--limited-access-for-users", options.limited_access_for_users,
                 "only admins may create keys (tenant setting limitedAccessForUsers)");
    app.add_flag("--rate-limit", options.rate_limit,
                 "enable the sensitive_api limiter on POST /api/2.0/keys");
    app.add_option("--rate-limit-count", options.rate_limit_count,
                   "creates allowed per window per user")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    app.add_option("--rate-limit-window", options.rate_limit_window_seconds,
                   "sliding window length in seconds (fractions allowed)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--sweep-interval", options.sweep_interval_seconds,
                   "seconds between expiry sweeps that set expired keys inactive; 0 = only on "
                   "demand (POST /__emulator/sweep)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--state-file", options.state_file,
                   "load state from this JSON file at start (if present) and save it "
                   "atomically after every change");
    app.add_option("--max-body", options.max_body, "larger request bodies get 413")
        ->capture_default_str();
    app.add_flag("--test-controls", options.test_controls,
                 "enable the /__emulator/ test-control routes (reset, state, faults, log)");
    app.add_flag("--log-requests", options.log_requests,
                 "print one line per request to stderr (method, path, status; never a secret)");
    app.add_option("--server-behavior", server_behavior,
                   "which release to behave like: 3.7.2 or latest (default latest, or the "
                   "--state-file's)")
        ->check(CLI::IsMember({"3.7.2", "latest"}));
    app.add_option("--tenant-id", options.tenant_id,
                   "the tenant id GET /api/2.0/portal reports at start-up")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{2147483647}));
    app.add_option("--tenant-alias", options.tenant_alias,
                   "the tenant alias (and name) GET /api/2.0/portal reports at start-up")
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        exit_code = app.exit(e);
        return std::nullopt;
    }
    const auto offset = parse_utc_offset(utc_offset);
    if (!offset) {
        std::cerr << "--utc-offset: expected +HH:MM or -HH:MM\n";
        exit_code = 2;
        return std::nullopt;
    }
    options.utc_offset_minutes = *offset;
    if (!server_behavior.empty()) {
        options.server_behavior = parse_server_behavior(server_behavior);
    }
    if (options.tenant_alias.empty()) {
        std::cerr << "--tenant-alias: must not be empty\n";
        exit_code = 2;
        return std::nullopt;
    }
    exit_code = 0;
    return options;
}

}  // namespace emulator
