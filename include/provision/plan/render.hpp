#pragma once
/// Renders a Plan for people (like `terraform plan`) and for machines (versioned JSON). Neither
/// ever contains a secret: a plan holds none.

#include "provision/plan/plan.hpp"

#include <string>

namespace provision::plan {

/// One line per entry ("  + create   Integration Bot   ...") with field changes below it, then
/// a summary line ("Plan: 1 to create, 0 to update, ..."). Deterministic.
std::string render_text(const Plan& plan);

/// The summary line alone, e.g. "Plan: 1 to create, 1 to update, 0 to replace, 0 to delete."
/// or "No changes. The portal matches the manifest."
std::string render_summary(const Plan& plan);

/// {"formatVersion": 1, "changes": bool, "blocked": bool, "actions": [...], "summary": {...}}
/// (schema in docs/json-output.md), as JSON text indented by `indent` spaces (-1: one line).
/// Text rather than a JSON library's value, so that no third-party type is in this interface.
std::string render_json(const Plan& plan, int indent = 2);

}  // namespace provision::plan
