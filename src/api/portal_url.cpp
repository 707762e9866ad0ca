#include "provision/api/http_keys_api.hpp"

#include "api/url_parts.hpp"
#include "provision/core/secret.hpp"

#include <algorithm>
#include <cctype>

namespace provision::api {

namespace detail {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool is_port(std::string_view text) noexcept {
    if (text.empty() || text.size() > 5) {
        return false;
    }
    unsigned value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value >= 1 && value <= 65535;
}

} // namespace

std::optional<UrlParts> split_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0) {
        return std::nullopt;
    }
    UrlParts parts;
    parts.scheme = lower(url.substr(0, scheme_end));
    std::string_view rest = url.substr(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    parts.rest =
        authority_end == std::string_view::npos ? "" : std::string(rest.substr(authority_end));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        parts.has_user_info = true;
        authority = authority.substr(at + 1);
    }
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        parts.host = lower(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (!after.starts_with(':')) {
                return std::nullopt;
            }
            parts.port = std::string(after.substr(1));
        }
    } else {
        const auto colon = authority.find(':');
        parts.host = lower(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            parts.port = std::string(authority.substr(colon + 1));
        }
    }
    if (parts.host.empty() || (!parts.port.empty() && !is_port(parts.port)) ||
        (parts.port.empty() && authority.ends_with(':'))) {
        return std::nullopt;
    }
    for (char c : parts.host) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isspace(u) || std::iscntrl(u) || c == '%' || c == '\\') {
            return std::nullopt;
        }
    }
    return parts;
}

bool is_loopback_host(std::string_view host) noexcept {
    if (host == "localhost" || host == "::1") {
        return true;
    }
    // A dotted quad whose first octet is 127, each octet 0-255 without leading zeros.
    int octets = 0;
    std::size_t i = 0;
    int first = -1;
    while (i <= host.size()) {
        std::size_t j = i;
        int value = 0;
        while (j < host.size() && host[j] >= '0' && host[j] <= '9' && j - i < 3) {
            value = value * 10 + (host[j] - '0');
            ++j;
        }
        const std::size_t digits = j - i;
        if (digits == 0 || value > 255 || (digits > 1 && host[i] == '0')) {
            return false;
        }
        if (first < 0) {
            first = value;
        }
        ++octets;
        if (j == host.size()) {
            break;
        }
        if (host[j] != '.') {
            return false;
        }
        i = j + 1;
    }
    return octets == 4 && first == 127;
}

} // namespace detail

core::Status check_portal_url(std::string_view url) {
    const auto parts = detail::split_url(url);
    if (!parts) {
        return core::make_error(core::Errc::invalid_input,
                                "the portal URL '" + core::redact_secrets(url) +
                                    "' is not of the form https://host[:port][/path]");
    }
    const std::string shown =
        parts->scheme + "://" +
        (parts->host.find(':') != std::string::npos ? "[" + parts->host + "]" : parts->host) +
        (parts->port.empty() ? "" : ":" + parts->port);
    if (parts->has_user_info) {
        return core::make_error(core::Errc::invalid_input,
                                "the portal URL for " + shown +
                                    " must not contain user info (user:password@); pass the "
                                    "credential as a token instead");
    }
    if (parts->rest.find_first_of("?#") != std::string::npos) {
        return core::make_error(core::Errc::invalid_input,
                                "the portal URL for " + shown +
                                    " must not contain a query or fragment");
    }
    if (parts->scheme == "https") {
        return core::ok_status();
    }
    if (parts->scheme == "http" && detail::is_loopback_host(parts->host)) {
        return core::ok_status();
    }
    return core::make_error(core::Errc::invalid_input,
                            "the portal URL '" + shown +
                                "' is refused: use https:// (http:// is allowed only for "
                                "loopback addresses such as 127.0.0.1, localhost and [::1])");
}

} // namespace provision::api
