// What every subcommand shares (common.hpp): options, logging, the manifest's diagnostics, the
// portal token (never from argv), the HTTP client, and printing an error with its exit code.

#include "cli/common.hpp"
#include "cli/status_line.hpp"

#include "provision/api/http_keys_api.hpp"
#include "provision/apply/state_store.hpp"
#include "provision/core/atomic_file.hpp"
#include "provision/plan/render.hpp"

#include <nlohmann/json.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace provision::cli {

namespace {

std::string trim_token(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

core::Error invalid_token_file(const std::filesystem::path& path, const std::string& what) {
    return core::make_error(core::Errc::invalid_input, "token file " + path.string() + " " + what);
}

/// Reads the portal token from a file. Every problem with the file is invalid input (exit 3),
/// whatever it is; symlinks are followed (a mounted Kubernetes Secret is one), and the file they
/// reach must be a regular file that only its owner can read.
core::Result<core::Secret> read_token_file(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return invalid_token_file(path,
                                  std::string("cannot be read: ") + std::strerror(errno) +
                                      "; check the path given to --token-file or portal.tokenFile");
    }
    if (S_ISDIR(st.st_mode)) {
        return invalid_token_file(path,
                                  "is a directory; give the path of the file that holds the token");
    }
    if (!S_ISREG(st.st_mode)) {
        return invalid_token_file(
            path, std::string("is not a regular file (it is ") + core::file_type_name(st.st_mode) +
                      "); put the token in a regular file of mode 0600 and give its path");
    }
    if ((st.st_mode & 077) != 0) {
        return invalid_token_file(path, "is readable by group or others; run `chmod 600 " +
                                            path.string() + "`");
    }
    auto content = core::read_file_if_exists(path, 64 * 1024);
    if (!content.ok()) {
        return core::make_error(core::Errc::invalid_input,
                                "cannot read token file: " + content.error().message);
    }
    if (!content.value()) {
        return invalid_token_file(path, "does not exist");
    }
    core::Secret token{trim_token(std::move(*content.value()))};
    if (token.empty()) {
        return invalid_token_file(path, "is empty");
    }
    return token;
}

/// What --output json makes of the run's errors (finish_json_errors).
struct JsonErrors {
    bool on = false;
    bool document_printed = false;
    std::optional<nlohmann::json> first;  ///< the first error reported
    ErrorSection* section = nullptr;      ///< the innermost ErrorSection alive
};

JsonErrors& json_errors() {
    static JsonErrors errors;
    return errors;
}

}  // namespace

nlohmann::json error_json(core::Errc code, const std::string& message, const std::string& file,
                          int line, int column) {
    const auto position = [](int n) { return n > 0 ? nlohmann::json(n) : nlohmann::json(nullptr); };
    return {{"code", core::to_string(code)},
            {"exitCode", exit_code_for(code)},
            {"message", core::redact_secrets(message)},
            {"file", file.empty() ? nlohmann::json(nullptr) : nlohmann::json(file)},
            {"line", position(line)},
            {"column", position(column)}};
}

std::string error_document(nlohmann::json error, int exit_code) {
    error["exitCode"] = exit_code;
    return nlohmann::json{{"formatVersion", plan::k_json_format_version},
                          {"error", std::move(error)}}
        .dump(2);
}

void remember_error(core::Errc code, const std::string& message, const std::string& file, int line,
                    int column) {
    auto& errors = json_errors();
    const bool for_section = errors.section != nullptr && errors.section->error().is_null();
    if (!for_section && (!errors.on || errors.first)) {
        return;
    }
    nlohmann::json error = error_json(code, message, file, line, column);
    if (for_section) {
        errors.section->m_error = error;
    }
    if (errors.on && !errors.first) {
        errors.first = std::move(error);
    }
}

ErrorSection::ErrorSection() : m_outer(json_errors().section) {
    json_errors().section = this;
}

ErrorSection::~ErrorSection() {
    json_errors().section = m_outer;
}

void ErrorSection::set(core::Errc code, const std::string& message) {
    if (m_error.is_null()) {
        remember_error(code, message);
    }
}

void set_json_errors(bool on) {
    json_errors().on = on;
}

void print_json(const std::string& document) {
    std::cout << document << '\n' << std::flush;
    json_errors().document_printed = true;
}

int finish_json_errors(int exit_code) {
    auto& errors = json_errors();
    if (errors.on && !errors.document_printed && exit_code != k_exit_ok) {
        nlohmann::json error = errors.first.value_or(
            nlohmann::json{{"code", "unknown"},
                           {"exitCode", exit_code},
                           {"message", "the run failed; see the standard error"},
                           {"file", nullptr},
                           {"line", nullptr},
                           {"column", nullptr}});
        print_json(error_document(std::move(error), exit_code));
    }
    return exit_code;
}

void add_plan_display_options(CLI::App& command, GlobalOptions& options) {
    command.add_flag("-v,--show-noop", options.show_noop,
                     "list the entries that stay unchanged too (the summary counts them)");
}

void add_global_options(CLI::App& app, GlobalOptions& options) {
    app.add_option("--log-level", options.log_level,
                   "trace, debug, info, warn, error or off (logs go to stderr)")
        ->capture_default_str();
    app.add_flag("--no-color", options.no_color,
                 "no colour in the output or the logs (as does NO_COLOR, whatever its value)");
    app.add_option("-C,--chdir", options.chdir,
                   "change to this directory first; every relative path is read from there")
        ->check(CLI::ExistingDirectory);
}

void add_network_options(CLI::App& command, GlobalOptions& options) {
    command.add_option("--token-file", options.token_file,
                       "read the portal token from this file (mode 0600)");
    command.add_flag("--token-stdin", options.token_stdin,
                     "read the portal token from standard input");
    add_transport_options(command, options);
    command
        .add_option("--deadline", options.deadline,
                    "seconds for the whole run's network work, waits included (0 = none)")
        ->check(CLI::Range(0.0, 604800.0))
        ->capture_default_str();
}

void add_transport_options(CLI::App& command, GlobalOptions& options) {
    // Both must be positive: 0 would hand libcurl its defaults, 300 s to connect and no limit
    // on a request.
    command.add_option("--connect-timeout", options.connect_timeout, "seconds to connect")
        ->check(CLI::Range(0.001, 3600.0))
        ->capture_default_str();
    command.add_option("--request-timeout", options.request_timeout, "seconds per request")
        ->check(CLI::Range(0.001, 86400.0))
        ->capture_default_str();
    command
        .add_option("--low-speed-limit", options.low_speed_limit,
                    "bytes per second below which a transfer counts as stalled")
        ->check(CLI::Range(1L, 1L << 30))
        ->capture_default_str();
    command
        .add_option("--low-speed-time", options.low_speed_time,
                    "seconds a transfer may stay below --low-speed-limit (whole seconds; a "
                    "fraction is rounded up)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command.add_option("--ca-bundle", options.ca_bundle, "PEM file of CA certificates to trust");
}

void add_state_options(CLI::App& command, GlobalOptions& options) {
    command
        .add_option("--state", options.state,
                    "the state to use instead of the manifest's (also PROVISION_STATE): a file, "
                    "a postgresql:// URL or a Terraform HTTP backend's https:// address "
                    "(credentials from the environment, never here)")
        ->envname("PROVISION_STATE");
    command.add_flag("--rebind-portal", options.rebind_portal,
                     "the manifest's portal is the state's under a new address: accept it even "
                     "when its identity cannot confirm it");
}

core::Status use_state_location(manifest::Manifest& manifest, const std::string& location) {
    if (!manifest::is_state_url(location)) {
        manifest.state_path = std::filesystem::absolute(location).lexically_normal();
        manifest.state_url.clear();
        return core::ok_status();
    }
    // Every user of the machine can read a command line (ps); the environment is the caller's.
    const char* env = std::getenv("PROVISION_STATE");
    if (apply::redact_location(location) != location && (env == nullptr || location != env)) {
        return core::make_error(core::Errc::invalid_input,
                                "the state URL " + apply::redact_location(location) +
                                    " holds a password on the command line, where any user of "
                                    "this machine can read it; put the password in PGPASSWORD "
                                    "or a PGPASSFILE, or the whole URL in PROVISION_STATE");
    }
    manifest.state_url = location;
    return core::ok_status();
}

void add_execution_options(CLI::App& command, GlobalOptions& options) {
    command
        .add_option("--concurrency", options.concurrency,
                    "how many creates, updates and deletes run at once (1 = one by one)")
        ->check(CLI::Range(1, 16))
        ->capture_default_str();
}

bool configure_logging(const std::string& level, bool color) {
    const auto parsed = spdlog::level::from_str(level);
    if (parsed == spdlog::level::off && level != "off") {
        return false;
    }
    std::shared_ptr<spdlog::sinks::sink> sink =
        std::make_shared<spdlog::sinks::stderr_color_sink_mt>(color ? spdlog::color_mode::automatic
                                                                    : spdlog::color_mode::never);
    if (stderr_keeps_status_line()) {
        sink = std::make_shared<StatusLineSink>(std::move(sink));
    }
    auto logger = std::make_shared<spdlog::logger>("provision", std::move(sink));
    logger->set_pattern("%^%l%$: %v");
    logger->set_level(parsed);
    spdlog::set_default_logger(logger);
    return true;
}

bool color_allowed(const GlobalOptions& options) {
    return !options.no_color && std::getenv("NO_COLOR") == nullptr;
}

bool stdout_color(const GlobalOptions& options) {
    return color_allowed(options) && ::isatty(1) != 0;
}

std::size_t stdout_width() {
    struct winsize size {};
    if (::isatty(1) == 0 || ::ioctl(1, TIOCGWINSZ, &size) != 0) {
        return 0;
    }
    return size.ws_col;
}

std::string diagnostic_message(const core::Diagnostic& d) {
    return d.path.empty() ? d.message : d.path + ": " + d.message;
}

std::string diagnostics_text(const std::string& file, const manifest::LoadResult& loaded) {
    std::string text;
    std::size_t errors = 0;
    for (const auto& d : loaded.diagnostics) {
        text += core::format_diagnostic(d) + '\n';
        errors += d.severity == core::Severity::error ? 1 : 0;
    }
    if (!loaded.manifest) {
        text +=
            file + ": " + std::to_string(errors) + " error(s); nothing was sent to the portal\n";
    }
    return text;
}

void prefetch_state_of(const std::string& file, const std::string& state_option) {
    if (manifest::is_state_url(state_option)) {
        return;
    }
    state::prefetch_state(state_option.empty()
                              ? manifest::default_state_path(file)
                              : std::filesystem::absolute(state_option).lexically_normal());
}

std::optional<manifest::Manifest> load_manifest_or_report(const std::string& file, bool offline) {
    auto loaded = manifest::load_manifest(file, manifest::process_env(), offline);
    std::cerr << diagnostics_text(file, loaded);
    for (const auto& d : loaded.diagnostics) {
        if (d.severity == core::Severity::error) {
            remember_error(core::Errc::invalid_input, diagnostic_message(d), d.file, d.line,
                           d.column);
        }
    }
    return std::move(loaded.manifest);
}

core::Result<core::Secret> resolve_token(const manifest::Manifest& manifest,
                                         const GlobalOptions& options) {
    if (!options.token_file.empty()) {
        return read_token_file(options.token_file);
    }
    if (options.token_stdin) {
        std::string line;
        std::getline(std::cin, line);
        core::Secret token{trim_token(std::move(line))};
        if (token.empty()) {
            return core::make_error(core::Errc::invalid_input, "no token on standard input");
        }
        return token;
    }
    if (!manifest.portal.token_file.empty()) {
        return read_token_file(manifest.portal.token_file);
    }
    if (!manifest.portal.token.empty()) {
        return manifest.portal.token;
    }
    if (const char* env = std::getenv("DOCSPACE_TOKEN"); env != nullptr && *env != '\0') {
        return core::Secret{env};
    }
    return core::make_error(
        core::Errc::invalid_input,
        "no portal token: set DOCSPACE_TOKEN, or pass --token-file or --token-stdin");
}

core::Result<std::unique_ptr<api::KeysApi>>
make_api(const manifest::Manifest& manifest, const GlobalOptions& options,
         std::function<void(const api::RateLimitWait&)> on_rate_limit_wait) {
    if (auto url_ok = api::check_portal_url(manifest.portal.url); !url_ok.ok()) {
        return url_ok.error();
    }
    auto token = resolve_token(manifest, options);
    if (!token.ok()) {
        return token.error();
    }
    return make_api(manifest.portal.url, std::move(token.value()), options,
                    std::move(on_rate_limit_wait));
}

api::TransportOptions transport_options(const GlobalOptions& options) {
    api::TransportOptions transport;
    transport.connect_timeout =
        std::chrono::milliseconds(static_cast<long long>(options.connect_timeout * 1000));
    transport.request_timeout =
        std::chrono::milliseconds(static_cast<long long>(options.request_timeout * 1000));
    transport.low_speed_limit = options.low_speed_limit;
    // libcurl counts the low-speed time in whole seconds, and 0 turns the check off: round
    // up, so that 0.5 means 1 s, not "never".
    transport.low_speed_time =
        std::chrono::seconds(static_cast<long long>(std::ceil(options.low_speed_time)));
    transport.ca_bundle = options.ca_bundle;
    transport.trace = spdlog::get_level() == spdlog::level::trace;
    return transport;
}

std::unique_ptr<api::KeysApi>
make_api(const std::string& url, core::Secret token, const GlobalOptions& options,
         std::function<void(const api::RateLimitWait&)> on_rate_limit_wait) {
    api::TransportOptions transport = transport_options(options);
    transport.max_connections = std::max(options.concurrency, 1) + 1;
    api::HttpKeysApiOptions api_options;
    api_options.base_url = url;
    api_options.credential = std::move(token);
    api_options.concurrency = options.concurrency;
    api_options.on_rate_limit_wait = std::move(on_rate_limit_wait);
    if (options.deadline > 0) {
        // Counted from here, so it covers observing the portal as well as applying.
        api_options.deadline =
            std::chrono::steady_clock::now() +
            std::chrono::milliseconds(static_cast<long long>(options.deadline * 1000));
    }
    return api::make_http_keys_api(std::move(api_options), api::make_curl_transport(transport));
}

bool confirmed(const std::string& question) {
    std::cout << question << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "yes";
}

int approval(const GlobalOptions& options, const std::string& refusal, const std::string& question,
             const std::string& cancelled) {
    if (options.auto_approve) {
        return k_exit_ok;
    }
    if (::isatty(0) == 0) {
        return report_error(core::Errc::invalid_input, refusal);
    }
    if (!confirmed(question)) {
        std::cerr << cancelled << '\n';
        return exit_code_for(core::Errc::cancelled);
    }
    return k_exit_ok;
}

int report_error(const core::Error& error) {
    // Above the live status line when one is shown, so that the error does not share its row.
    print_notice("error: " + core::redact_secrets(error.message) + "\n");
    remember_error(error.code, error.message);
    return exit_code_for(error.code);
}

int report_error(core::Errc code, const std::string& message) {
    return report_error(core::make_error(code, message));
}

}  // namespace provision::cli
