// `provision state migrate FILE --to LOCATION`: moves the manifest's state, with its journal
// and sealed secrets, to another backend (apply::migrate_state). Offline: the portal is not
// contacted, and the state names its portal wherever it goes.

#include "cli/commands.hpp"
#include "provision/apply/state_store.hpp"

#include <iostream>
#include <memory>

namespace provision::cli {

namespace {

struct StateCommandOptions {
    std::string manifest;
    std::string to;
};

int run_state_migrate(const StateCommandOptions& options, const GlobalOptions& global) {
    auto manifest = load_manifest_or_report(options.manifest, /*offline=*/true);
    if (!manifest) {
        return exit_code_for(core::Errc::invalid_input);
    }
    if (!global.state.empty()) {
        if (auto located = use_state_location(*manifest, global.state); !located.ok()) {
            return report_error(located.error());
        }
    }
    auto from = apply::open_state_store(*manifest);
    if (!from.ok()) {
        return report_error(from.error());
    }
    manifest::Manifest target = *manifest;
    if (auto located = use_state_location(target, options.to); !located.ok()) {
        return report_error(located.error());
    }
    auto to = apply::open_state_store(target);
    if (!to.ok()) {
        return report_error(to.error());
    }
    if (from.value()->location() == to.value()->location()) {
        return report_error(core::Errc::invalid_input,
                            "--to names the state's own location " + to.value()->location());
    }
    const auto timeout =
        std::chrono::milliseconds(static_cast<long long>(global.lock_timeout * 1000));
    auto moved = apply::migrate_state(*from.value(), *to.value(), timeout);
    if (!moved.ok()) {
        return report_error(moved.error());
    }
    std::cout << "migrated the state of " << options.manifest << " (" << moved->keys << " key(s), "
              << moved->journal_records << " journal record(s), " << moved->sealed
              << " sealed secret(s)) from " << from.value()->location() << " to "
              << to.value()->location() << "\nrun with --state "
              << apply::redact_location(options.to)
              << " (or PROVISION_STATE, or the manifest's state:) from now on, and remove the old "
                 "state once you have checked the new one\n";
    return k_exit_ok;
}

}  // namespace

void add_state_command(CLI::App& root, GlobalOptions& global, int& exit_code) {
    CLI::App* state = root.add_subcommand("state", "Manage where a manifest's state is kept");
    state->require_subcommand(1);
    auto options = std::make_shared<StateCommandOptions>();
    CLI::App* migrate = state->add_subcommand(
        "migrate", "Copy the state, its journal and its sealed secrets to another backend");
    migrate->add_option("manifest", options->manifest, "the manifest file")->required();
    migrate
        ->add_option("--to", options->to,
                     "the new location: a state file, a postgresql:// URL or an https:// "
                     "address (credentials from the environment)")
        ->required();
    migrate
        ->add_option("--state", global.state,
                     "the state to migrate instead of the manifest's (also PROVISION_STATE)")
        ->envname("PROVISION_STATE");
    migrate->add_option("--lock-timeout", global.lock_timeout,
                        "seconds to wait for another run's lock (default: fail at once)");
    migrate->footer("Example:\n  PGPASSWORD=... provision state migrate manifests/bots.yaml "
                    "--to postgresql://ci@db.example.com/provision");
    migrate->callback(
        [options, &global, &exit_code] { exit_code = run_state_migrate(*options, global); });
}

}  // namespace provision::cli
