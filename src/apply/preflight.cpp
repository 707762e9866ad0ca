// The outputs preflight (preflight.hpp), so that commands ask apply, not the output module,
// whether a run may go on.

#include "provision/apply/preflight.hpp"

#include "provision/output/git_guard.hpp"
#include "provision/output/output.hpp"

namespace provision::apply {

std::vector<std::string> output_refusals(const manifest::Manifest& manifest, bool writes) {
    if (!writes) {
        return output::git_refusals(manifest);
    }
    std::vector<std::string> messages;
    for (const auto& spec : manifest.outputs) {
        if (auto checked = output::check_output_writable(spec); !checked.ok()) {
            messages.push_back("output " + spec.path_as_written + ": " + checked.error().message);
        }
    }
    return messages;
}

}  // namespace provision::apply
