// `provision state migrate FILE --to LOCATION`: moves the manifest's state, with its journal
// and sealed secrets, to another backend (apply::migrate_state). `provision state unlock FILE
// LOCK_ID`, and `provision state force-unlock LOCK_ID [FILE]` with Terraform's argument order
// (without FILE the state is --state's or PROVISION_STATE's): releases the lock a dead run left
// (apply::find_lock checks the ID against the lock held, StateStore::force_unlock releases it),
// as `terraform force-unlock` does. All offline: the portal is not contacted.

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

/// The store `state unlock` acts on: the manifest's (or --state's), or, without a manifest
/// (force-unlock LOCK_ID), the one --state or PROVISION_STATE names.
core::Result<std::shared_ptr<apply::StateStore>>
unlock_store(const StateCommandOptions& options, const GlobalOptions& global, int& code) {
    if (options.manifest.empty()) {
        if (global.state.empty()) {
            return core::make_error(core::Errc::invalid_input,
                                    "force-unlock needs the state: give the manifest after the "
                                    "lock ID, or the state's location with --state or "
                                    "PROVISION_STATE (a postgresql:// URL then needs #NAME)");
        }
        manifest::Manifest bare;
        if (auto located = use_state_location(bare, global.state); !located.ok()) {
            return located.error();
        }
        auto store = bare.state_url.empty() ? apply::open_state_store(bare.state_path.string(), "")
                                            : apply::open_state_store(bare.state_url, "");
        if (store.ok()) {
            store.value()->set_command_words("--state " + apply::redact_location(global.state));
        }
        return store;
    }
    auto manifest = state_manifest(options, global, code);
    if (!manifest) {
        return core::make_error(core::Errc::invalid_input, "");  // reported already
    }
    return apply::open_state_store(*manifest);
}

int run_state_unlock(const StateCommandOptions& options, const GlobalOptions& global) {
    int code = k_exit_ok;
    auto store = unlock_store(options, global, code);
    if (code != k_exit_ok) {
        return code;
    }
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

/// The LOCK_ID argument of `state unlock` and `state force-unlock`.
void add_lock_id(CLI::App& command, StateCommandOptions& options) {
    command
        .add_option("lock_id", options.lock_id,
                    "the lock's ID, as the run refused the lock printed it")
        ->required();
}

/// -y, --state and the transport options of `state unlock` and `state force-unlock`.
void add_unlock_options(CLI::App& command, GlobalOptions& global) {
    command.add_flag("-y,--auto-approve", global.auto_approve, "do not ask for confirmation");
    command
        .add_option("--state", global.state,
                    "the state to unlock instead of the manifest's (also PROVISION_STATE)")
        ->envname("PROVISION_STATE");
    add_transport_options(command, global);
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
    add_transport_options(*migrate, global);
    migrate->footer("Example:\n  PGPASSWORD=... provision state migrate manifests/bots.yaml "
                    "--to postgresql://ci@db.example.com/provision");
    migrate->callback(
        [options, &global, &exit_code] { exit_code = run_state_migrate(*options, global); });

    CLI::App* unlock = state->add_subcommand(
        "unlock", "Release the state's lock that a dead run left (the HTTP backend's)");
    unlock->add_option("manifest", options->manifest, "the manifest file")->required();
    add_lock_id(*unlock, *options);
    add_unlock_options(*unlock, global);
    unlock->footer(
        "Only for a run that is dead (killed, or its runner gone): the HTTP backend's lock has no "
        "session and outlives it. A state file's lock, and a PostgreSQL state's, go with their "
        "process or session; for PostgreSQL, LOCK_ID is the database session that holds the "
        "lock, which this ends.\nExample:\n  provision state unlock manifests/bots.yaml "
        "6f1c2a9e-3b7d-4e52-a1f0-9c8d7e6b5a43");
    unlock->callback(
        [options, &global, &exit_code] { exit_code = run_state_unlock(*options, global); });

    CLI::App* force = state->add_subcommand(
        "force-unlock", "state unlock with Terraform's argument order: LOCK_ID, then the manifest "
                        "(or --state / PROVISION_STATE)");
    add_lock_id(*force, *options);
    force->add_option("manifest", options->manifest,
                      "the manifest file; without it, the state --state or PROVISION_STATE names");
    add_unlock_options(*force, global);
    force->footer("What `terraform force-unlock LOCK_ID` is to Terraform; see `provision help "
                  "state` and docs/state.md.\nExample:\n  PROVISION_STATE=https://... provision "
                  "state force-unlock 6f1c2a9e-3b7d-4e52-a1f0-9c8d7e6b5a43 -y");
    force->callback(
        [options, &global, &exit_code] { exit_code = run_state_unlock(*options, global); });
}

}  // namespace provision::cli
