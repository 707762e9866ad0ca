#pragma once
/// Secret: an API key or session token held in memory. It has no implicit conversion to a
/// string; printing it to an ostream yields only a redacted form such as "sk-***9f3a", and fmt
/// and spdlog have no formatter for it, so passing one to a log call does not compile (log
/// `secret.redacted()`). Only the output writers and the HTTP transport call reveal(). The
/// buffer is wiped on destruction (best effort).

#include <ostream>
#include <string>
#include <string_view>

namespace provision::core {

class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : m_value(std::move(value)) {}
    Secret(const Secret&) = default;
    Secret(Secret&& other) noexcept;
    Secret& operator=(const Secret& other);
    Secret& operator=(Secret&& other) noexcept;
    ~Secret();

    /// The plain value. Call sites are the transport and the output writers only.
    const std::string& reveal() const noexcept { return m_value; }
    bool empty() const noexcept { return m_value.empty(); }

    /// "sk-***" + last four characters for API keys, "***" for anything else (and for short
    /// values, which would leak too large a share).
    std::string redacted() const;

    /// "sha256:" + 64 lowercase hex of SHA-256(value). Stored in the state file to tell whether
    /// an output holds this key's secret without storing the secret.
    std::string fingerprint() const;

    /// True when the value ends with a non-empty `suffix` (a key's postfix, as the portal lists
    /// it), without handing the value out.
    bool ends_with(std::string_view suffix) const noexcept;

    bool operator==(const Secret& other) const noexcept { return m_value == other.m_value; }

private:
    void wipe() noexcept;
    std::string m_value;
};

std::ostream& operator<<(std::ostream& os, const Secret& secret);

/// True for a DocSpace API key secret: "sk-" followed by 64 lowercase hex digits.
bool looks_like_api_key(std::string_view text) noexcept;

/// Replaces every substring that looks like an API key secret ("sk-" + 64 hex) with its
/// redacted form. Used on anything that may echo server or user text into a log.
std::string redact_secrets(std::string_view text);

}  // namespace provision::core
