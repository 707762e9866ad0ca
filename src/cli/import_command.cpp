// `provision import FILE NAME --id GUID`: binds an existing portal key to a manifest entry in
// the state. Without a secret the record has no fingerprint, so the entry's onSecretUnknown
// policy decides what the next apply does. With a secret (--secret-stdin or
// PROVISION_IMPORT_SECRET) the secret is first proven with GET keys/@self, whose id must be
// the imported one; the state then gets its fingerprint and the outputs are written, so the
// key is fully managed. Runs under the state lock.

#include "cli/commands.hpp"
#include "cli/session.hpp"

#include "provision/apply/leftovers.hpp"
#include "provision/apply/lock.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace provision::cli {

namespace {

struct ImportCommandOptions {
    std::string manifest;
    std::string entry;
    std::string id;
    bool secret_stdin = false;
};

int refuse(const std::string& message) {
    std::cerr << "error: " << core::redact_secrets(message) << '\n';
    return k_exit_invalid;
}

std::optional<core::Secret> read_secret(bool from_stdin) {
    if (from_stdin) {
        std::string line;
        std::getline(std::cin, line);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
            line.pop_back();
        }
        return line.empty() ? std::nullopt : std::optional(core::Secret{std::move(line)});
    }
    if (const char* env = std::getenv("PROVISION_IMPORT_SECRET"); env != nullptr && *env != '\0') {
        return core::Secret{env};
    }
    return std::nullopt;
}

int run_import(const ImportCommandOptions& options, const GlobalOptions& global) {
    if (options.secret_stdin && global.token_stdin) {
        return refuse("--secret-stdin and --token-stdin cannot both read standard input");
    }
    auto loaded = load_manifest_or_report(options.manifest);
    if (!loaded) {
        return k_exit_invalid;
    }
    const manifest::Manifest manifest = std::move(*loaded);
    const manifest::KeySpec* spec = manifest.find_key(options.entry);
    if (spec == nullptr) {
        return refuse("'" + options.entry + "' is not an entry of " + options.manifest);
    }
    const auto secret = read_secret(options.secret_stdin);
    if (options.secret_stdin && !secret) {
        return refuse("no secret on standard input");
    }
    auto client = make_api(manifest, global);
    if (!client.ok()) {
        return report_error(client.error());
    }
    auto& api = *client.value();
    auto lock = apply::RunLock::acquire(
        apply::lock_path_for(manifest.state_path),
        std::chrono::milliseconds(static_cast<long long>(global.lock_timeout * 1000)));
    if (!lock.ok()) {
        return report_error(lock.error());
    }
    apply::remove_leftovers(lock.value(), apply::owned_files(manifest));
    auto observed = apply::observe(manifest, api);
    if (!observed.ok()) {
        return report_error(observed.error());
    }
    apply::World& world = observed.value();
    const auto key = std::find_if(world.observed.begin(), world.observed.end(),
                                  [&](const api::ApiKey& k) { return k.id == options.id; });
    if (key == world.observed.end()) {
        return refuse("no key with id " + options.id + " on the portal (GET /api/2.0/keys)");
    }
    for (const auto& record : world.state.keys) {
        if (record.id == options.id && record.entry != options.entry) {
            return refuse("key " + options.id + " already belongs to entry '" + record.entry + "'");
        }
    }
    if (const auto* current = world.state.find(options.entry);
        current != nullptr && current->id != options.id) {
        return refuse("entry '" + options.entry + "' is bound to key " + current->id +
                      "; run `provision rotate` or remove that key first");
    }
    if (std::any_of(world.state.retiring.begin(), world.state.retiring.end(),
                    [&](const auto& r) { return r.id == options.id; })) {
        return refuse("key " + options.id + " is retiring after a rotation; it cannot be imported");
    }
    if (key->name != spec->name) {
        spdlog::warn("key {} is named '{}' on the portal, not '{}'; the next apply renames it",
                     key->id, key->name, spec->name);
    }
    if (secret) {
        auto self = api.self(*secret);
        if (!self.ok()) {
            return refuse("the supplied secret does not authenticate: " + self.error().message);
        }
        if (self.value().id != options.id) {
            return refuse("the supplied secret belongs to key " + self.value().id + ", not " +
                          options.id);
        }
    }
    state::ManagedKey record = plan::managed_record(spec->name, *key);
    record.fingerprint = secret ? secret->fingerprint() : std::string();
    world.state.upsert(record);
    if (world.state.owner_id.empty()) {
        world.state.owner_id = world.user.id;
    }
    world.state.portal_url = manifest.portal.url;
    world.secrets.erase(spec->name);
    if (secret) {
        world.secrets.emplace(spec->name, *secret);
        if (auto written = apply::write_all_outputs(manifest, world); !written.ok()) {
            return report_error(written.error());
        }
    }
    if (auto saved = state::save_state(manifest.state_path, world.state); !saved.ok()) {
        return report_error(saved.error());
    }
    std::cout << "Imported key sk-***" << key->postfix << " (id " << key->id << ") as '"
              << spec->name << "'";
    if (secret) {
        std::cout << "; its secret was verified and written to the outputs.\n";
    } else {
        std::cout << "; its secret is unknown, so onSecretUnknown decides what apply does.\n";
    }
    return k_exit_ok;
}

}  // namespace

void add_import_command(CLI::App& root, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<ImportCommandOptions>();
    CLI::App* cmd = root.add_subcommand("import", "Bind an existing portal key to a manifest entry");
    cmd->add_option("manifest", options->manifest, "the manifest file")->required();
    cmd->add_option("name", options->entry, "the manifest entry (key name)")->required();
    cmd->add_option("--id", options->id, "the portal key's id")->required();
    cmd->add_flag("--secret-stdin", options->secret_stdin,
                  "read the key's secret from standard input (else PROVISION_IMPORT_SECRET)");
    cmd->add_option("--lock-timeout", global.lock_timeout,
                    "seconds to wait for another run's lock (default: fail at once)");
    add_network_options(*cmd, global);
    cmd->footer("Examples:\n"
                "  provision import manifests/bots.yaml 'Integration Bot' --id 3f2a...\n"
                "  printf %s \"$KEY\" | provision import manifests/bots.yaml 'Integration Bot' "
                "--id 3f2a... --secret-stdin");
    cmd->callback([options, &global, &exit_code] { exit_code = run_import(*options, global); });
}

}  // namespace provision::cli
