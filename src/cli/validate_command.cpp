// `provision validate FILE`: the manifest's diagnostics, offline: no token, no request.

#include "cli/commands.hpp"

#include <iostream>

namespace provision::cli {

void add_validate_command(CLI::App& root, GlobalOptions& /*global*/, int& exit_code) {
    auto options = std::make_shared<std::string>();
    CLI::App* cmd = root.add_subcommand("validate", "Check a manifest without contacting the portal");
    cmd->add_option("manifest", *options, "the manifest file")->required();
    cmd->footer("Example:\n  provision validate manifests/bots.yaml");
    cmd->callback([options, &exit_code] {
        auto manifest = load_manifest_or_report(*options);
        if (!manifest) {
            exit_code = exit_code_for(core::Errc::invalid_input);
            return;
        }
        std::cout << *options << ": valid (" << manifest->keys.size() << " key(s), "
                  << manifest->outputs.size() << " output(s))\n";
        exit_code = k_exit_ok;
    });
}

}  // namespace provision::cli
