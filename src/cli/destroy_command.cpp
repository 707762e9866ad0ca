// `provision destroy FILE`: deletes every key the state manages (current and retiring), then
// the outputs' files and the state file. Keys the state does not know are never touched,
// whatever their names. Entries marked protect: true refuse unless --override-protect. On a
// terminal it asks for "yes"; otherwise --auto-approve is required. The state is saved after
// every deletion, so an interrupted destroy resumes where it stopped; when a deletion fails
// the outputs are rewritten without the deleted keys and the state keeps the rest.

#include "cli/commands.hpp"
#include "cli/session.hpp"
#include "provision/core/parallel.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>

namespace provision::cli {

namespace {

struct DestroyCommandOptions {
    std::string manifest;
    bool auto_approve = false;
    bool override_protect = false;
};

struct Target {
    std::string entry, id, postfix;
    bool retiring = false;
};

bool confirmed(std::size_t count) {
    std::cout << "Type 'yes' to destroy " << count << " keys: " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "yes";
}

/// DELETE one key; a 500 for an unknown id means it is already gone.
bool delete_key(api::KeysApi& api, const Target& target) {
    auto removed = api.remove(target.id);
    if (removed.ok() && removed.value()) {
        return true;
    }
    if (!removed.ok() && removed.error().code == core::Errc::http_status &&
        removed.error().http_status == 500) {
        return true;
    }
    std::cerr << "error: could not delete key sk-***" << target.postfix << " of '" << target.entry
              << "': "
              << (removed.ok() ? std::string(api::k_not_yours) : removed.error().message) << '\n';
    return false;
}

void forget(apply::World& world, const Target& target) {
    if (target.retiring) {
        auto& r = world.state.retiring;
        r.erase(std::remove_if(r.begin(), r.end(), [&](const auto& k) { return k.id == target.id; }),
                r.end());
    } else {
        world.state.erase(target.entry);
        world.secrets.erase(target.entry);
    }
}

int run_destroy(const DestroyCommandOptions& options, const GlobalOptions& global) {
    SessionOptions session_options;
    session_options.take_lock = true;
    auto opened = open_session(options.manifest, global, session_options);
    if (auto* code = std::get_if<int>(&opened)) {
        return *code;
    }
    Session& session = std::get<Session>(opened);
    apply::World& world = session.world;
    std::vector<Target> targets;
    for (const auto& record : world.state.keys) {
        const auto* spec = session.manifest.find_key(record.entry);
        if (spec != nullptr && spec->protect && !options.override_protect) {
            std::cerr << "error: '" << record.entry << "' is protected (protect: true); pass "
                      << "--override-protect to destroy it\n";
            return k_exit_invalid;
        }
        targets.push_back({record.entry, record.id, record.postfix, false});
    }
    for (const auto& r : world.state.retiring) {
        targets.push_back({r.entry, r.id, r.postfix, true});
    }
    for (const auto& t : targets) {
        std::cout << "  -   destroy  " << t.entry << "  sk-***" << t.postfix << " (id " << t.id
                  << ")" << (t.retiring ? " retiring" : "") << '\n';
    }
    if (::isatty(0) != 0) {
        if (!options.auto_approve && !confirmed(targets.size())) {
            std::cerr << "destroy cancelled; nothing was deleted\n";
            return k_exit_error;
        }
    } else if (!options.auto_approve) {
        std::cerr << "error: destroy needs confirmation: not on a terminal, so pass "
                  << "--auto-approve to delete " << targets.size() << " keys\n";
        return k_exit_invalid;
    }
    // Deletions run side by side (--concurrency); the state is saved after each one, so an
    // interrupted destroy resumes where it stopped.
    std::mutex mutex;
    bool failed = false;
    int deleted = 0;
    std::optional<core::Error> save_error;
    core::for_each_index(targets.size(), global.concurrency, [&](std::size_t i) {
        {
            const std::lock_guard lock(mutex);
            if (save_error) {
                return;
            }
        }
        const bool removed = delete_key(*session.api, targets[i]);
        const std::lock_guard lock(mutex);
        if (!removed) {
            failed = true;
            return;
        }
        ++deleted;
        forget(world, targets[i]);
        if (auto saved = state::save_state(session.manifest.state_path, world.state); !saved.ok()) {
            save_error = saved.error();
        }
    });
    if (save_error) {
        return report_error(*save_error);
    }
    if (failed) {
        if (auto written = apply::write_all_outputs(session.manifest, world); !written.ok()) {
            report_error(written.error());
        }
        std::cout << "\nDestroy incomplete: " << deleted << " deleted; the state keeps the rest.\n";
        return k_exit_partial;
    }
    std::error_code ec;
    for (const auto& spec : session.manifest.outputs) {
        std::filesystem::remove(spec.path, ec);
        if (ec) {
            std::cerr << "error: could not remove " << spec.path_as_written << ": " << ec.message()
                      << '\n';
            return k_exit_error;
        }
    }
    std::filesystem::remove(session.manifest.state_path, ec);
    if (ec) {
        std::cerr << "error: could not remove the state file: " << ec.message() << '\n';
        return k_exit_error;
    }
    std::cout << "\nDestroy complete: " << deleted << " keys deleted, outputs and state removed.\n";
    return k_exit_ok;
}

}  // namespace

void add_destroy_command(CLI::App& root, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<DestroyCommandOptions>();
    CLI::App* cmd = root.add_subcommand("destroy", "Delete every managed key, its outputs and the state");
    cmd->add_option("manifest", options->manifest, "the manifest file")->required();
    cmd->add_flag("--auto-approve", options->auto_approve, "do not ask for confirmation (CI)");
    cmd->add_flag("--override-protect", options->override_protect,
                  "also destroy entries marked protect: true");
    cmd->add_option("--lock-timeout", global.lock_timeout,
                    "seconds to wait for another run's lock (default: fail at once)");
    add_network_options(*cmd, global);
    add_execution_options(*cmd, global);
    cmd->footer("Examples:\n"
                "  provision destroy manifests/bots.yaml\n"
                "  provision destroy manifests/bots.yaml --auto-approve");
    cmd->callback([options, &global, &exit_code] { exit_code = run_destroy(*options, global); });
}

}  // namespace provision::cli
