#pragma once
/// Entry point of the provision command line: parses arguments, runs one subcommand, maps
/// every failure to an exit code (see README "Exit codes").

namespace provision::cli {

int run(int argc, char** argv);

}  // namespace provision::cli
