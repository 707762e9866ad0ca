// Prometheus text exposition (prometheus.hpp).

#include "provision/core/prometheus.hpp"

namespace provision::core {

std::string prometheus_gauge(std::string_view name, std::string_view help) {
    std::string out = "# HELP ";
    out.append(name).append(" ").append(help).append("\n# TYPE ").append(name).append(" gauge\n");
    return out;
}

std::string prometheus_label(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace provision::core
