#pragma once
/// Saved plans (`plan --out FILE`, `apply FILE`). A saved plan records the plan's options, its
/// actions (no secrets: a plan holds none) and SHA-256 digests of the three things it was
/// computed from: the manifest text, the state file text and the observed portal keys (ids,
/// names, scopes, isActive, expiresAt; not lastUsed, which changes whenever a key is used).
/// Applying it re-observes, recomputes and proceeds only when every digest and the recomputed
/// actions are identical.

#include "cli/session.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace provision::cli {

/// The value of "kind" in a saved plan file.
inline constexpr const char* k_saved_plan_kind = "provision-plan";

/// The digests of the inputs a session's plan was computed from.
struct PlanDigests {
    std::string manifest, state, portal;
};

/// Reads the manifest and state files again and digests them with the observed keys.
core::Result<PlanDigests> digest_session(const Session& session);

/// The saved plan document for `session`, computed with `options`, to be written to `path`
/// (the manifest is named relative to it).
core::Result<nlohmann::json> saved_plan_json(const std::string& path, const Session& session,
                                             const plan::PlanOptions& options);

/// Writes the saved plan to `path` (atomic, 0600).
core::Status write_saved_plan(const std::string& path, const Session& session,
                              const plan::PlanOptions& options);

/// The file's JSON when it is a saved plan (an object with "kind": "provision-plan"),
/// nullopt for anything else (such as a YAML manifest).
std::optional<nlohmann::json> read_saved_plan(const std::string& path);

/// `apply PLANFILE` (`file`, read as `saved`): checks the saved plan against the world and
/// executes it; the manifest is found from the plan file's folder. Returns the
/// exit code; 3 with a message naming what changed when it is stale.
int apply_saved_plan(const std::string& file, const nlohmann::json& saved,
                     const GlobalOptions& global);

}  // namespace provision::cli
