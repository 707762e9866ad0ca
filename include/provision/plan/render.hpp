#pragma once
/// Renders a Plan for people (like `terraform plan`) and for machines (versioned JSON). Neither
/// ever contains a secret: a plan holds none.

#include "provision/plan/plan.hpp"

#include <string>

namespace provision::plan {

/// The formatVersion of every JSON document provision prints (docs/json-output.md). 2: scopes
/// and a permissions change's from/to are arrays.
inline constexpr int k_json_format_version = 2;

/// How render_text draws a plan.
struct TextOptions {
    /// ANSI colours as Terraform's: + green, ~ yellow, -/+ magenta, - red, ! bold red.
    bool color = false;
    /// List the entries in sync too; otherwise the summary counts them (a noop with something
    /// to say, such as a key in its grace period, is always listed).
    bool show_noop = true;
};

/// One line per entry ("  + create   Integration Bot   ...") with field changes below it (a
/// scope change as "+ files:write  - rooms:read"), then a summary line ("Plan: 1 to create,
/// 0 to update, ..."). Deterministic.
std::string render_text(const Plan& plan, const TextOptions& options = {});

/// Markdown for a pull-request comment: the summary, a table of the entries that change (a
/// scope change as "permissions: + files:write  - rooms:read"), the unchanged entries folded in a
/// <details> block, then findings and partial outputs. No secret, like every form.
std::string render_markdown(const Plan& plan);

/// The summary line alone, e.g. "Plan: 1 to create, 1 to update, 0 to replace, 0 to delete."
/// or "No changes. The portal matches the manifest."
std::string render_summary(const Plan& plan);

/// {"formatVersion": 2, "changes": bool, "blocked": bool, "actions": [...], "summary": {...}}
/// (schema in docs/json-output.md), as JSON text indented by `indent` spaces (-1: one line).
/// Text rather than a JSON library's value, so that no third-party type is in this interface.
std::string render_json(const Plan& plan, int indent = 2);

}  // namespace provision::plan
