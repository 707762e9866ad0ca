#pragma once
/// Private to the output module: running a helper program (age, git) with an environment built
/// here rather than inherited, so the portal token and anything else in provision's environment
/// never reaches it.

#include "provision/core/result.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace provision::output::detail {

struct ChildOutput {
    int exit_code = -1;  ///< -1 when the child was killed by a signal
    std::string out;     ///< everything it wrote to stdout
    std::string err;     ///< everything it wrote to stderr
};

/// The full path of `program` found on the PATH of this process, or nullopt.
std::optional<std::filesystem::path> find_program(std::string_view program);

/// An environment holding only PATH (as this process has it, or a standard default) plus the
/// listed variables that are set here.
std::vector<std::string> minimal_environment(const std::vector<std::string>& also_keep = {});

/// Runs `executable` with `args` (argv[1...]) and exactly `environment`, feeding `input` on its
/// stdin and collecting stdout and stderr. The child inherits no other descriptor. An error
/// only when the process could not be started.
core::Result<ChildOutput> run_child(const std::filesystem::path& executable,
                                    const std::vector<std::string>& args,
                                    const std::vector<std::string>& environment,
                                    std::string_view input);

}  // namespace provision::output::detail
