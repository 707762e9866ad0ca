#pragma once
/// The steps plan and apply share: load the manifest, build the client, observe the portal and
/// compute the plan.

#include "cli/common.hpp"
#include "provision/apply/executor.hpp"
#include "provision/apply/journal.hpp"
#include "provision/apply/lock.hpp"
#include "provision/plan/plan.hpp"

#include <memory>
#include <optional>

namespace provision::cli {

struct Session {
    manifest::Manifest manifest;
    std::unique_ptr<api::KeysApi> api;
    std::optional<apply::RunLock> lock;
    std::optional<apply::Journal> journal;  ///< opened with the lock
    apply::World world;
    /// Interrupted creates not settled yet (with the lock: only those still watched).
    std::vector<plan::PendingCreate> pending;
    plan::Plan plan;
};

struct SessionOptions {
    plan::PlanOptions plan;
    bool take_lock = false;
};

/// On failure returns the exit code (diagnostics and errors already printed).
std::variant<Session, int> open_session(const std::string& file, const GlobalOptions& global,
                                        const SessionOptions& options);

/// Prints the plan to stdout as text or JSON.
void print_plan(const plan::Plan& plan, const GlobalOptions& global);

}  // namespace provision::cli
