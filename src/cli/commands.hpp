#pragma once
/// One function per subcommand, each in its own file: it registers the subcommand's options
/// with CLI11 and a callback that runs it and stores the exit code.

#include "cli/common.hpp"

#include <CLI/CLI.hpp>

namespace provision::cli {

void add_validate_command(CLI::App& root, GlobalOptions& global, int& exit_code);
void add_plan_command(CLI::App& root, GlobalOptions& global, int& exit_code);
void add_apply_command(CLI::App& root, GlobalOptions& global, int& exit_code);
void add_rotate_command(CLI::App& root, GlobalOptions& global, int& exit_code);
void add_status_command(CLI::App& root, GlobalOptions& global, int& exit_code);
void add_import_command(CLI::App& root, GlobalOptions& global, int& exit_code);
void add_destroy_command(CLI::App& root, GlobalOptions& global, int& exit_code);
void add_audit_command(CLI::App& root, GlobalOptions& global, int& exit_code);
void add_state_command(CLI::App& root, GlobalOptions& global, int& exit_code);
/// `completion SHELL`, and the hidden `__entries MANIFEST` its scripts call.
void add_completion_command(CLI::App& root, int& exit_code);

}  // namespace provision::cli
