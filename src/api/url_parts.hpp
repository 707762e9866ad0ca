#pragma once
/// Splitting of portal URLs, shared by check_portal_url and the transport (which bypasses
/// proxies for loopback hosts).

#include <optional>
#include <string>
#include <string_view>

namespace provision::api::detail {

struct UrlParts {
    std::string scheme; ///< lower-cased
    std::string host;   ///< lower-cased; IPv6 literals without brackets
    std::string port;   ///< empty when absent
    std::string rest;   ///< path, query and fragment ("" or starts with '/', '?' or '#')
    bool has_user_info = false;
};

/// Splits "scheme://[userinfo@]host[:port][rest]"; nullopt when the shape is not that.
std::optional<UrlParts> split_url(std::string_view url);

/// True for 127.0.0.0/8 dotted quads, "localhost" and "::1".
bool is_loopback_host(std::string_view host) noexcept;

} // namespace provision::api::detail
