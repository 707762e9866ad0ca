#pragma once
/// Prometheus text exposition, as node_exporter's textfile collector reads it: metric headers
/// and escaped label values, shared by `audit --output prometheus` and
/// `status --output prometheus`.

#include <string>
#include <string_view>

namespace provision::core {

/// "# HELP name help\n# TYPE name gauge\n".
std::string prometheus_gauge(std::string_view name, std::string_view help);

/// A label value with '\', '"' and newlines escaped.
std::string prometheus_label(std::string_view text);

}  // namespace provision::core
