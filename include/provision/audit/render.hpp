#pragma once
/// The audit report as text (a table sized to its content, then the findings), as versioned
/// JSON and as Prometheus text exposition. Pure: `now` and the run's settings come in, so the
/// same report renders byte for byte the same. No form holds a secret: a key shows its postfix.

#include "provision/audit/audit.hpp"

#include <string>
#include <vector>

namespace provision::audit {

struct RenderContext {
    core::Timestamp now;
    std::string portal;                  ///< the portal's URL
    std::vector<std::string> manifests;  ///< labels, as given
    Options options;
    Severity fail_on = Severity::warning;
};

/// The table (NAME, KEY, MANAGED BY, CREATOR, SCOPES, AGE, EXPIRES, USED, ACTIVE), each column
/// as wide as its widest cell up to a cap (longer cells end in "..."), then one line per
/// finding and a summary line.
std::string render_text(const Report& report, const RenderContext& context);

/// formatVersion 1 (schema in docs/audit.md), as JSON text indented by `indent` spaces.
std::string render_json(const Report& report, const RenderContext& context, int indent = 2);

/// Gauges: keys by managed, findings by rule and severity (every rule, zeros included), one
/// series per finding, and the time of the audit.
std::string render_prometheus(const Report& report, const RenderContext& context);

}  // namespace provision::audit
