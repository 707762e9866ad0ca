#pragma once
/// The audit report as text (a table sized to its content, then the findings), as versioned
/// JSON and as Prometheus text exposition. Pure: `now` and the run's settings come in, so the
/// same report renders byte for byte the same. No form holds a secret: a key shows its postfix.

#include "provision/audit/audit.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace provision::audit {

struct RenderContext {
    core::Timestamp now;
    std::string portal;                  ///< the portal's URL
    std::vector<std::string> manifests;  ///< labels, as given
    Options options;
    Severity fail_on = Severity::warning;
    /// A terminal's width: the table is cut to fit it (long cells end in "..."). 0 when piped:
    /// every cell is whole, so a script or a log keeps every name and scope.
    std::size_t width = 0;
};

/// The table (NAME, KEY, MANAGED BY, CREATOR, SCOPES, AGE, EXPIRES, USED, ACTIVE), each column
/// as wide as its widest cell; with a `width` the columns of names and scopes are capped and
/// give up space until a line fits (longer cells end in "..."). Then one line per finding and a
/// summary line.
std::string render_text(const Report& report, const RenderContext& context);

/// formatVersion 1 (schema in docs/audit.md), as JSON text indented by `indent` spaces.
std::string render_json(const Report& report, const RenderContext& context, int indent = 2);

/// Gauges: keys by managed, findings by rule and severity (every rule, zeros included), one
/// series per finding, and the time of the audit.
std::string render_prometheus(const Report& report, const RenderContext& context);

}  // namespace provision::audit
