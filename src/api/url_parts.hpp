#pragma once
/// Splitting of portal URLs, shared by check_portal_url and the transport (which bypasses
/// proxies for loopback hosts). The parsing is libcurl's URL API, the parser the transport's
/// requests go through, so what is checked here is what libcurl will connect to.

#include <optional>
#include <string>
#include <string_view>

namespace provision::api::detail {

struct UrlParts {
    std::string scheme;  ///< lower-cased
    std::string host;    ///< lower-cased, as libcurl normalises it; IPv6 literals without brackets
    std::string port;    ///< decimal, 1-65535; empty when absent
    std::string path;    ///< as libcurl normalises it ("/" when absent)
    bool has_user_info = false;
    bool has_query_or_fragment = false;
};

/// Splits "scheme://[userinfo@]host[:port][/path][?query][#fragment]"; nullopt when libcurl
/// cannot parse it, when the port is 0 or when an IPv6 host carries a zone id.
std::optional<UrlParts> split_url(std::string_view text);

/// True for 127.0.0.0/8 dotted quads, "localhost" and "::1".
bool is_loopback_host(std::string_view host) noexcept;

}  // namespace provision::api::detail
