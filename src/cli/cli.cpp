// The command line: CLI11 setup, one subcommand per file (commands.hpp), and the last-resort
// mapping of a bug to an exit code.

#include "cli/cli.hpp"

#include "cli/commands.hpp"
#include "provision/core/interrupt.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <exception>
#include <iostream>

namespace provision::cli {

namespace {

/// Secrets live in this process's memory; a core dump would write them to disk.
void disable_core_dumps() {
    struct rlimit none {};
    ::setrlimit(RLIMIT_CORE, &none);
}

}  // namespace

int run(int argc, char** argv) {
    disable_core_dumps();
    provision::core::install_interrupt_handlers();
    CLI::App app{"provision: DocSpace API keys as code.\n"
                 "Reconciles a portal's API keys with a YAML manifest and writes their secrets "
                 "to output files."};
    app.set_version_flag("--version", std::string("provision ") + PROVISION_VERSION);
    app.require_subcommand(1);
    app.footer("Examples:\n"
               "  provision validate manifests/bots.yaml\n"
               "  DOCSPACE_TOKEN=... provision plan manifests/bots.yaml\n"
               "  DOCSPACE_TOKEN=... provision apply manifests/bots.yaml\n"
               "The portal token comes from DOCSPACE_TOKEN, --token-file or --token-stdin, never "
               "from the command line. Exit codes are listed in the README.");
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
    app.parse_complete_callback([&global] {
        if (!configure_logging(global.log_level)) {
            throw CLI::ValidationError("--log-level", "unknown level '" + global.log_level + "'");
        }
    });
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return exit_code_for(core::Errc::invalid_input);
    } catch (const std::exception& e) {
        // A bug: the one place that maps broken invariants to an exit code.
        std::cerr << "internal error: " << core::redact_secrets(e.what()) << '\n';
        return exit_code_for(core::Errc::internal);
    }
    return exit_code;
}

}  // namespace provision::cli
