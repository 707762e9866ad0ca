#include "loader.hpp"

#include "provision/core/secret.hpp"

#include <algorithm>

namespace provision::manifest::detail {

DiagnosticSink::DiagnosticSink(std::string file, std::string_view text)
    : m_file(std::move(file)), m_text(text) {
    m_line_starts.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n') {
            m_line_starts.push_back(i + 1);
        }
    }
}

Location DiagnosticSink::location(std::size_t offset) const {
    if (offset == k_no_offset || offset > m_text.size()) {
        return {};
    }
    const auto next = std::upper_bound(m_line_starts.begin(), m_line_starts.end(), offset);
    const std::size_t line_index = static_cast<std::size_t>(next - m_line_starts.begin()) - 1;
    // Columns count code points, as editors do: skip UTF-8 continuation bytes.
    int column = 1;
    for (std::size_t i = m_line_starts[line_index]; i < offset; ++i) {
        if ((static_cast<unsigned char>(m_text[i]) & 0xC0U) != 0x80U) {
            ++column;
        }
    }
    return {static_cast<int>(line_index) + 1, column};
}

void DiagnosticSink::error(std::size_t offset, std::string path, std::string message) {
    add(offset, std::move(path), std::move(message), core::Severity::error);
}

void DiagnosticSink::warning(std::size_t offset, std::string path, std::string message) {
    add(offset, std::move(path), std::move(message), core::Severity::warning);
}

void DiagnosticSink::add(std::size_t offset, std::string path, std::string message,
                         core::Severity severity) {
    if (severity == core::Severity::error) {
        ++m_errors;
    }
    if (full()) {
        m_truncated = true;
        return;
    }
    const Location where = location(offset);
    core::Diagnostic d;
    d.file = m_file;
    d.line = where.line;
    d.column = where.column;
    d.path = std::move(path);
    // Messages may quote the user's values; none of them may carry a secret.
    d.message = core::redact_secrets(message);
    d.severity = severity;
    m_diagnostics.push_back(std::move(d));
}

std::vector<core::Diagnostic> DiagnosticSink::take() {
    std::stable_sort(m_diagnostics.begin(), m_diagnostics.end(),
                     [](const core::Diagnostic& a, const core::Diagnostic& b) {
                         return std::pair(a.line, a.column) < std::pair(b.line, b.column);
                     });
    if (m_truncated) {
        core::Diagnostic d;
        d.file = m_file;
        d.message =
            "too many problems; only the first " + std::to_string(k_max_diagnostics) + " are shown";
        m_diagnostics.push_back(std::move(d));
        m_truncated = false;
    }
    return std::move(m_diagnostics);
}

}  // namespace provision::manifest::detail
