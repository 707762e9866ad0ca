#pragma once
/// A command's run up to its plan: the manifest, the API client and what apply::prepare made
/// of them (lock, journal, world, plan). Shared by plan, apply, rotate, destroy, import and
/// saved plans; the steps themselves live in apply::prepare.

#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "provision/apply/prepare.hpp"

#include <memory>
#include <variant>

namespace provision::cli {

struct Session : apply::Prepared {
    manifest::Manifest manifest;
    /// The portal's client; the manifests of one run on one portal share it (manifest_set.hpp).
    std::shared_ptr<api::KeysApi> api;
    /// What execute_plan reports the run's progress to; the client tells it of rate-limit
    /// waits.
    std::shared_ptr<Progress> progress = std::make_shared<Progress>();
};

/// Loads the manifest (or takes one already loaded), builds the client and prepares the run.
/// On failure returns the exit code (diagnostics and errors already printed).
std::variant<Session, int> open_session(const std::string& file, const GlobalOptions& global,
                                        apply::PrepareOptions options);
std::variant<Session, int> open_session(manifest::Manifest manifest, const GlobalOptions& global,
                                        apply::PrepareOptions options);
/// The same with a client made by the caller (one shared by several manifests); --state is
/// not applied. `locked`: the locks session_lock took for it, when the caller took them first.
std::variant<Session, int> open_session(manifest::Manifest manifest,
                                        std::shared_ptr<api::KeysApi> client,
                                        const GlobalOptions& global, apply::PrepareOptions options,
                                        std::optional<apply::Locked> locked = std::nullopt);

/// The locks open_session would take for the manifest (apply::lock_state with the run's
/// --lock-timeout); on failure the exit code, the error printed.
std::variant<apply::Locked, int> session_lock(const manifest::Manifest& manifest,
                                              const GlobalOptions& global,
                                              apply::PrepareOptions options);

/// Prints the plan to stdout as text, JSON or Markdown (--output).
void print_plan(const plan::Plan& plan, const GlobalOptions& global);

}  // namespace provision::cli
