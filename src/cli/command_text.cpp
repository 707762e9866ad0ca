// The subcommands' short texts (command_text.hpp): verdicts and closing lines, as strings so
// that the golden tests compare them with tests/data/golden/. None holds a secret: keys are
// named by postfix and id, state URLs with their password replaced by ***.

#include "cli/command_text.hpp"

#include "provision/plan/render.hpp"

namespace provision::cli {

std::string validate_text(const std::string& file, const manifest::Manifest& manifest) {
    return file + ": valid (" + std::to_string(manifest.keys.size()) + " key(s), " +
           std::to_string(manifest.outputs.size()) + " output(s))\n";
}

nlohmann::json validate_json(const std::string& file, const manifest::Manifest& manifest) {
    return {{"formatVersion", plan::k_json_format_version},
            {"file", file},
            {"valid", true},
            {"keys", manifest.keys.size()},
            {"outputs", manifest.outputs.size()}};
}

std::string destroy_outcome_text(bool complete, const std::string& state_location) {
    return complete ? "The outputs and the state (" + state_location + ") were removed.\n"
                    : std::string("Destroy incomplete: the state keeps the rest.\n");
}

std::string import_outcome_text(const plan::Action& action, bool with_secret) {
    return "Imported key sk-***" + action.postfix + " (id " + action.key_id.value_or("") +
           ") as '" + action.entry + "'" +
           (with_secret ? "; its secret was verified and written to the outputs.\n"
                        : "; its secret is unknown, so onSecretUnknown decides what apply does.\n");
}

std::string migrate_text(const std::string& manifest, const apply::Migration& moved,
                         const std::string& from, const std::string& to,
                         const std::string& to_given) {
    return "migrated the state of " + manifest + " (" + std::to_string(moved.keys) + " key(s), " +
           std::to_string(moved.journal_records) + " journal record(s), " +
           std::to_string(moved.sealed) + " sealed secret(s)) from " + from + " to " + to +
           "\nrun with --state " + apply::redact_location(to_given) +
           " (or PROVISION_STATE, or the manifest's state:) from now on, and remove the old "
           "state once you have checked the new one\n";
}

std::string not_locked_text(const std::string& location) {
    return location + " is not locked: nothing to unlock\n";
}

std::string locked_text(const std::string& location, const apply::HeldLock& held) {
    return "The state " + location + " is locked: " + apply::describe_lock(held) +
           ".\nRelease it only if that run is dead: a live run that loses its lock may run "
           "alongside the next one.\n";
}

std::string released_text(const std::string& location, const apply::HeldLock& held) {
    return "released lock ID " + held.id + " of " + location +
           "; the next run settles what the dead one left (its journal)\n";
}

}  // namespace provision::cli
