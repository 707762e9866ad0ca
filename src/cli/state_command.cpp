// `provision state migrate FILE --to LOCATION`: moves the manifest's state, with its journal
// and sealed secrets, to another backend (apply::migrate_state). `provision state unlock FILE
// LOCK_ID`: releases the lock a dead run left (apply::find_lock checks the ID against the lock
// held, StateStore::force_unlock releases it), as `terraform force-unlock` does. Both offline:
// the portal is not contacted.

#include "cli/command_text.hpp"
#include "cli/commands.hpp"
#include "provision/apply/state_store.hpp"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>

namespace provision::cli {

namespace {

struct StateCommandOptions {
    std::string manifest;
    std::string to;
    std::string lock_id;
};

/// The manifest's state (or --state's), offline; nullopt with the error reported in `code`.
std::optional<manifest::Manifest> state_manifest(const StateCommandOptions& options,
                                                 const GlobalOptions& global, int& code) {
    auto manifest = load_manifest_or_report(options.manifest, /*offline=*/true);
    if (!manifest) {
        code = exit_code_for(core::Errc::invalid_input);
        return std::nullopt;
    }
    if (!global.state.empty()) {
        if (auto located = use_state_location(*manifest, global.state); !located.ok()) {
            code = report_error(located.error());
            return std::nullopt;
        }
    }
    return manifest;
}

int run_state_migrate(const StateCommandOptions& options, const GlobalOptions& global) {
    int code = k_exit_ok;
    auto manifest = state_manifest(options, global, code);
    if (!manifest) {
        return code;
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
    std::cout << migrate_text(options.manifest, moved.value(), from.value()->location(),
                              to.value()->location(), options.to);
    return k_exit_ok;
}

int run_state_unlock(const StateCommandOptions& options, const GlobalOptions& global) {
    int code = k_exit_ok;
    auto manifest = state_manifest(options, global, code);
    if (!manifest) {
        return code;
    }
    auto store = apply::open_state_store(*manifest);
    if (!store.ok()) {
        return report_error(store.error());
    }
    auto held = apply::find_lock(*store.value(), options.lock_id);
    if (!held.ok()) {
        return report_error(held.error());
    }
    if (!held.value()) {
        std::cout << not_locked_text(store.value()->location());
        return k_exit_ok;
    }
    const std::string lock = apply::describe_lock(*held.value());
    if (::isatty(0) != 0 && !global.auto_approve) {
        std::cout << locked_text(store.value()->location(), *held.value());
    }
    if (const int approved =
            approval(global,
                     "state unlock needs confirmation: not on a terminal, so "
                     "pass -y/--auto-approve to release " +
                         lock + " of " + store.value()->location(),
                     "Type 'yes' to unlock: ", "state unlock cancelled; the lock is still held");
        approved != k_exit_ok) {
        return approved;
    }
    if (auto released = store.value()->force_unlock(*held.value()); !released.ok()) {
        return report_error(released.error());
    }
    std::cout << released_text(store.value()->location(), *held.value());
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

    CLI::App* unlock = state->add_subcommand(
        "unlock", "Release the state's lock that a dead run left (the HTTP backend's)");
    unlock->add_option("manifest", options->manifest, "the manifest file")->required();
    unlock
        ->add_option("lock_id", options->lock_id,
                     "the lock's ID, as the run refused the lock printed it")
        ->required();
    unlock->add_flag("-y,--auto-approve", global.auto_approve, "do not ask for confirmation");
    unlock
        ->add_option("--state", global.state,
                     "the state to unlock instead of the manifest's (also PROVISION_STATE)")
        ->envname("PROVISION_STATE");
    unlock->footer(
        "Only for a run that is dead (killed, or its runner gone): the HTTP backend's lock has no "
        "session and outlives it. A state file's lock, and a PostgreSQL state's, go with their "
        "process or session; for PostgreSQL, LOCK_ID is the database session that holds the "
        "lock, which this ends.\nExample:\n  provision state unlock manifests/bots.yaml "
        "6f1c2a9e-3b7d-4e52-a1f0-9c8d7e6b5a43");
    unlock->callback(
        [options, &global, &exit_code] { exit_code = run_state_unlock(*options, global); });
}

}  // namespace provision::cli
