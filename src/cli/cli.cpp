// The command line: CLI11 setup, one subcommand per file (commands.hpp), and the last-resort
// mapping of a bug to an exit code.

#include "cli/cli.hpp"

#include "cli/commands.hpp"
#include "cli/global.hpp"
#include "provision/apply/state_store.hpp"
#include "provision/core/interrupt.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <exception>
#include <iostream>

namespace provision::cli {

namespace {

/// Secrets live in this process's memory; a core dump would write them to disk.
void disable_core_dumps() {
    struct rlimit none {};
    ::setrlimit(RLIMIT_CORE, &none);
}

/// `--output json` (or PROVISION_OUTPUT=json) on a command line CLI11 could not parse.
bool json_requested(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--output=json" ||
            (arg == "--output" && i + 1 < argc && std::string(argv[i + 1]) == "json")) {
            return true;
        }
    }
    const char* env = std::getenv("PROVISION_OUTPUT");
    return env != nullptr && std::string(env) == "json";
}

}  // namespace

int run(int argc, char** argv) {
    disable_core_dumps();
    provision::core::install_interrupt_handlers();
    CLI::App app{"provision: DocSpace API keys as code.\n"
                 "Reconciles a portal's API keys with a YAML manifest and writes their secrets "
                 "to output files.",
                 "provision"};
    prepare_root(app);
    app.set_version_flag("--version", std::string("provision ") + PROVISION_VERSION);
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  provision validate manifests/bots.yaml\n"
        "  DOCSPACE_TOKEN=... provision plan manifests/bots.yaml\n"
        "  DOCSPACE_TOKEN=... provision apply manifests/bots.yaml\n"
        "The portal token comes from DOCSPACE_TOKEN, --token-file or --token-stdin, never "
        "from the command line. Every option can also come from the environment as\n"
        "PROVISION_<OPTION> (--log-level: PROVISION_LOG_LEVEL); the command line wins.\n"
        "`provision help COMMAND` shows a command's options. Exit codes: docs/exit-codes.md.");
    GlobalOptions global;
    add_global_options(app, global);
    int exit_code = k_exit_error;
    add_validate_command(app, global, exit_code);
    add_plan_command(app, global, exit_code);
    add_apply_command(app, global, exit_code);
    add_rotate_command(app, global, exit_code);
    add_status_command(app, global, exit_code);
    add_import_command(app, global, exit_code);
    add_destroy_command(app, global, exit_code);
    add_audit_command(app, global, exit_code);
    add_state_command(app, global, exit_code);
    add_completion_command(app, exit_code);
    add_help_command(app, exit_code);
    bind_environment(app);
    app.parse_complete_callback([&app, &global] {
        apply_environment(app);
        set_json_errors(global.output == "json");
        if (!configure_logging(global.log_level, color_allowed(global))) {
            throw CLI::ValidationError("--log-level", "unknown level '" + global.log_level + "'");
        }
        if (!global.chdir.empty() && ::chdir(global.chdir.c_str()) != 0) {
            throw CLI::ValidationError("--chdir", global.chdir + ": " + std::strerror(errno));
        }
        // The HTTP state backend connects as the portal's client does (--ca-bundle, timeouts).
        apply::set_http_state_transport(transport_options(global));
    });
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        set_json_errors(json_requested(argc, argv));
        if (const auto unknown = unknown_command(app, app.remaining())) {
            return finish_json_errors(report_error(core::Errc::invalid_input, *unknown));
        }
        app.exit(e);
        remember_error(core::Errc::invalid_input, e.what());
        return finish_json_errors(exit_code_for(core::Errc::invalid_input));
    } catch (const std::exception& e) {
        // A bug: the one place that maps broken invariants to an exit code.
        std::cerr << "internal error: " << core::redact_secrets(e.what()) << '\n';
        return finish_json_errors(exit_code_for(core::Errc::internal));
    }
    return finish_json_errors(exit_code);
}

}  // namespace provision::cli
