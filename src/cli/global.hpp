#pragma once
/// The command line's shared machinery, generic over the subcommands: global flags defined
/// once on the root command that may also follow the subcommand and appear in every
/// subcommand's help; every long option of every command also read from PROVISION_<FLAG>;
/// `provision help [COMMAND]`; and "unknown command ...; did you mean ...?".

#include "cli/common.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace provision::cli {

/// Sets up `root` (named "provision") so that the options added to it with add_global_options
/// are accepted after the subcommand too and are listed in every subcommand's --help. Call
/// before adding the subcommands: they inherit both settings.
void prepare_root(CLI::App& root);

/// Every long option of `app` and of its subcommands, however deep, may also come from the
/// environment variable PROVISION_<NAME> (upper case, '-' as '_'), which the help lists. Call
/// once every option is added: it leaves reading them to apply_environment.
void bind_environment(CLI::App& app);

/// Once the command line is parsed: each option of `app` and of the subcommands being run
/// that the command line did not give takes its PROVISION_<NAME> value, if set (and not
/// empty), converted and checked as the command line's would be.
void apply_environment(CLI::App& app);

/// The name of the environment variable bind_environment gives to the long option `name`.
std::string environment_name(const std::string& name);

/// `provision help [COMMAND]`: the root's help, or the command's.
void add_help_command(CLI::App& root, int& exit_code);

/// "unknown command X; did you mean Y?" when the first word CLI11 could not place is not an
/// option, or nullopt.
std::optional<std::string> unknown_command(const CLI::App& root,
                                           const std::vector<std::string>& remaining);

}  // namespace provision::cli
