// `provision import FILE NAME --id GUID`: binds an existing portal key to a manifest entry in
// the state. It is a plan (plan::plan_import: one import action, or why it cannot be), carried
// out by the executor under the lock and journal like apply's. Without a secret the record has
// no fingerprint, so the entry's onSecretUnknown policy decides what the next apply does. With
// a secret (--secret-stdin or PROVISION_IMPORT_SECRET) apply::prepare first proves it with GET
// keys/@self, whose id must be the imported one; the state then gets its fingerprint and the
// outputs are written, so the key is fully managed.

#include "cli/apply_run.hpp"
#include "cli/command_text.hpp"
#include "cli/commands.hpp"
#include "cli/session.hpp"

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
        return report_error(core::Errc::invalid_input,
                            "--secret-stdin and --token-stdin cannot both read standard input");
    }
    auto loaded = load_manifest_or_report(options.manifest);
    if (!loaded) {
        return exit_code_for(core::Errc::invalid_input);
    }
    if (loaded->find_key(options.entry) == nullptr) {
        return report_error(core::Errc::invalid_input,
                            "'" + options.entry + "' is not an entry of " + options.manifest);
    }
    apply::PrepareOptions prepare_options;
    prepare_options.take_lock = true;
    prepare_options.import_secret = read_secret(options.secret_stdin);
    if (options.secret_stdin && !prepare_options.import_secret) {
        return report_error(core::Errc::invalid_input, "no secret on standard input");
    }
    const bool with_secret = prepare_options.import_secret.has_value();
    prepare_options.plan.import = plan::ImportRequest{options.entry, options.id};
    auto opened = open_session(std::move(*loaded), global, std::move(prepare_options));
    if (auto* code = std::get_if<int>(&opened)) {
        return *code;
    }
    Session& session = std::get<Session>(opened);
    for (const auto& action : session.plan.actions) {
        if (action.kind == plan::ActionKind::blocked) {
            return report_error(core::Errc::invalid_input, action.detail);
        }
    }
    if (global.output != "json") {
        print_plan(session.plan, global);
    }
    const auto report = execute_plan(session, global);
    print_report(report, global, session.plan, "Import");
    const int code = exit_code_of(report);
    if (code == k_exit_ok && global.output != "json") {
        std::cout << import_outcome_text(session.plan.actions.front(), with_secret);
    }
    return code;
}

}  // namespace

void add_import_command(CLI::App& root, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<ImportCommandOptions>();
    CLI::App* cmd =
        root.add_subcommand("import", "Bind an existing portal key to a manifest entry");
    cmd->add_option("manifest", options->manifest, "the manifest file")->required();
    cmd->add_option("name", options->entry, "the manifest entry (key name)")->required();
    cmd->add_option("--id", options->id, "the portal key's id")->required();
    cmd->add_flag("--secret-stdin", options->secret_stdin,
                  "read the key's secret from standard input (else PROVISION_IMPORT_SECRET)");
    cmd->add_option("--lock-timeout", global.lock_timeout,
                    "seconds to wait for another run's lock (default: fail at once)");
    cmd->add_option("--output", global.output, "text or json")
        ->check(CLI::IsMember({"text", "json"}));
    add_plan_display_options(*cmd, global);
    add_network_options(*cmd, global);
    add_state_options(*cmd, global);
    cmd->footer("Examples:\n"
                "  provision import manifests/bots.yaml 'Integration Bot' --id 3f2a...\n"
                "  printf %s \"$KEY\" | provision import manifests/bots.yaml 'Integration Bot' "
                "--id 3f2a... --secret-stdin");
    cmd->callback([options, &global, &exit_code] { exit_code = run_import(*options, global); });
}

}  // namespace provision::cli
