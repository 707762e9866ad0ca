#pragma once
/// What every networked subcommand shares: global options, logging, loading the manifest with
/// its diagnostics, resolving the portal credential (never from argv), building the API client,
/// and turning errors into exit codes.

#include "cli/exit_codes.hpp"
#include "provision/api/http_keys_api.hpp"
#include "provision/api/http_transport.hpp"
#include "provision/api/keys_api.hpp"
#include "provision/core/result.hpp"
#include "provision/manifest/manifest.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace provision::cli {

struct GlobalOptions {
    std::string log_level = "info";
    std::string token_file;       ///< overrides the manifest's token
    bool token_stdin = false;     ///< read the token from standard input
    double connect_timeout = 10;  ///< seconds
    double request_timeout = 30;  ///< seconds
    long low_speed_limit = 1;     ///< bytes/s; slower for low_speed_time => timeout
    double low_speed_time = 20;   ///< seconds
    double deadline = 0;          ///< seconds for all network work of the run; 0 = none
    int concurrency = 4;          ///< requests the executor runs at once
    std::string ca_bundle;
    double lock_timeout = 0;      ///< seconds to wait for another run's lock
    std::string output = "text";  ///< text | json
    std::string
        state;  ///< --state / PROVISION_STATE: a path or a backend URL; overrides the manifest's
    bool rebind_portal = false;  ///< --rebind-portal
    bool auto_approve = false;   ///< --auto-approve / -y: never ask on a terminal
    bool show_noop = false;      ///< -v / --show-noop: list unchanged entries in plans
    bool no_color = false;       ///< --no-color (NO_COLOR in the environment does the same)
    std::string chdir;           ///< -C / --chdir: the directory to run in
};

/// -v/--show-noop, for the commands that print a plan: list the unchanged entries too.
void add_plan_display_options(CLI::App& command, GlobalOptions& options);

/// Adds the global flags (--log-level, --no-color, -C/--chdir) to the root command; see
/// global.hpp for how they reach every subcommand.
void add_global_options(CLI::App& app, GlobalOptions& options);
void add_network_options(CLI::App& command, GlobalOptions& options);
/// --connect-timeout, --request-timeout, --low-speed-limit, --low-speed-time and --ca-bundle
/// (part of add_network_options), for the commands that reach a state backend only.
void add_transport_options(CLI::App& command, GlobalOptions& options);
/// The transport settings those options give (the portal's client, the HTTP state backend).
api::TransportOptions transport_options(const GlobalOptions& options);
/// --state and --rebind-portal, for the commands that use the manifest's state.
void add_state_options(CLI::App& command, GlobalOptions& options);
/// Points the manifest at the state `location` (--state): a backend URL, or a path taken from
/// the current directory. Refuses a URL with a password that came from the command line.
core::Status use_state_location(manifest::Manifest& manifest, const std::string& location);
/// --concurrency, for the commands that change the portal.
void add_execution_options(CLI::App& command, GlobalOptions& options);

/// Sets up spdlog on stderr at the requested level, its "level:" prefix coloured on a terminal
/// unless `color` is false; false for an unknown level.
bool configure_logging(const std::string& level, bool color);

/// Whether colour is wanted at all: neither --no-color nor NO_COLOR (any value) is given.
bool color_allowed(const GlobalOptions& options);

/// Whether standard output gets colour: color_allowed and standard output is a terminal.
bool stdout_color(const GlobalOptions& options);

/// The width of the terminal standard output is, or 0 when it is not one.
std::size_t stdout_width();

/// A diagnostic as an error message: "PATH: MESSAGE" (the message alone without a path).
std::string diagnostic_message(const core::Diagnostic& d);

/// What loading `file` prints on stderr: each diagnostic (file:line:column), then, when the
/// manifest was refused, "FILE: N error(s); nothing was sent to the portal".
std::string diagnostics_text(const std::string& file, const manifest::LoadResult& loaded);

/// Starts reading the state file a run of the manifest at `file` will most likely use
/// (`state_option`'s file, else the manifest's default one beside it) while the manifest is
/// parsed: see state::prefetch_state. A manifest that names another state wastes that read only.
void prefetch_state_of(const std::string& file, const std::string& state_option);

/// Loads the manifest, printing every diagnostic to stderr. nullopt when it has errors.
/// `offline`: see manifest::load_manifest.
std::optional<manifest::Manifest> load_manifest_or_report(const std::string& file,
                                                          bool offline = false);

/// The portal credential: --token-file, --token-stdin, the manifest's tokenFile or token
/// (normally ${DOCSPACE_TOKEN}), or the DOCSPACE_TOKEN environment variable, in that order.
/// Token files readable by group or others are refused.
core::Result<core::Secret> resolve_token(const manifest::Manifest& manifest,
                                         const GlobalOptions& options);

/// The HTTP client for the manifest's portal. `on_rate_limit_wait`: see
/// api::HttpKeysApiOptions (empty: each wait is logged as it is).
core::Result<std::unique_ptr<api::KeysApi>>
make_api(const manifest::Manifest& manifest, const GlobalOptions& options,
         std::function<void(const api::RateLimitWait&)> on_rate_limit_wait = {});
/// The HTTP client for the portal at `url` (checked by the caller) with `token`.
std::unique_ptr<api::KeysApi>
make_api(const std::string& url, core::Secret token, const GlobalOptions& options,
         std::function<void(const api::RateLimitWait&)> on_rate_limit_wait = {});

/// Prints `question` (ending in "Type 'yes' to ...: ") and reads one line of standard input;
/// true only for "yes".
bool confirmed(const std::string& question);

/// Whether a command that deletes or releases something may go on: with --auto-approve, or
/// when "yes" is typed on a terminal (k_exit_ok). Off a terminal without --auto-approve it is
/// refused, `refusal` naming the flag (exit 3); any other answer prints `cancelled` (exit 1).
int approval(const GlobalOptions& options, const std::string& refusal, const std::string& question,
             const std::string& cancelled);

/// Prints "error: <message>" on stderr and returns exit_code_for(error.code). With
/// --output json the first error is also kept for finish_json_errors.
int report_error(const core::Error& error);

/// With --output json, errors become a JSON object on standard output too (see
/// finish_json_errors); set once the command line is parsed.
void set_json_errors(bool on);

/// The "error" object of the JSON error document: {"code", "exitCode", "message" (secrets
/// redacted), "file", "line", "column"}, null for a position not given (0).
nlohmann::json error_json(core::Errc code, const std::string& message, const std::string& file = {},
                          int line = 0, int column = 0);

/// {"formatVersion", "error"} with `error` (error_json) whose exitCode is set to `exit_code`,
/// indented by two spaces: what finish_json_errors prints.
std::string error_document(nlohmann::json error, int exit_code);

/// Keeps an error already printed for finish_json_errors (only the first one is kept).
void remember_error(core::Errc code, const std::string& message, const std::string& file = {},
                    int line = 0, int column = 0);

/// While one lives, the first error reported (report_error, a manifest's diagnostics) is kept
/// for it as well, whatever --output is: one manifest's part of a run of several. The innermost
/// of nested sections gets the error.
class ErrorSection {
public:
    ErrorSection();
    ~ErrorSection();
    ErrorSection(const ErrorSection&) = delete;
    ErrorSection& operator=(const ErrorSection&) = delete;

    /// {"code", "exitCode", "message", "file", "line", "column"} as in finish_json_errors, or
    /// null when no error was reported.
    const nlohmann::json& error() const { return m_error; }
    /// Keeps an error that was not reported (nothing printed), unless one was.
    void set(core::Errc code, const std::string& message);

private:
    friend void remember_error(core::Errc, const std::string&, const std::string&, int, int);
    ErrorSection* m_outer;
    nlohmann::json m_error;
};

/// Prints a command's JSON document on standard output (then no error object follows it).
void print_json(const std::string& document);

/// The run's end: with --output json, when the run failed before printing its document,
/// prints {"formatVersion", "error": {"code", "exitCode", "message", "file", "line",
/// "column"}} for the first error reported, on standard output. Returns `exit_code`.
int finish_json_errors(int exit_code);

/// report_error for a failure of kind `code` described by `message`.
int report_error(core::Errc code, const std::string& message);

}  // namespace provision::cli
