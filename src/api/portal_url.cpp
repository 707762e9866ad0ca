// Portal URL checks: https://, or http:// to a loopback address, with no user info, query or
// fragment. The URL is split by libcurl's URL API (curl_url), the same parser the transport's
// requests go through, so the host judged here is the one libcurl connects to: it normalises
// IPv4 numbers ("0127.0.0.1" is 87.0.0.1, "127.1" is 127.0.0.1) and percent-decodes names.

#include "provision/api/http_keys_api.hpp"

#include "api/text.hpp"
#include "api/url_parts.hpp"
#include "provision/core/secret.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <memory>

namespace provision::api {

namespace detail {

namespace {

using Url = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

/// One part of a parsed URL; nullopt when the URL has none.
std::optional<std::string> part(const Url& url, CURLUPart which) {
    char* value = nullptr;
    if (curl_url_get(url.get(), which, &value, 0) != CURLUE_OK || value == nullptr) {
        return std::nullopt;
    }
    std::string text(value);
    curl_free(value);
    return text;
}

}  // namespace

std::optional<UrlParts> split_url(std::string_view text) {
    const Url url(curl_url(), &curl_url_cleanup);
    // Any scheme parses (check_portal_url names the ones it allows).
    if (!url || curl_url_set(url.get(), CURLUPART_URL, std::string(text).c_str(),
                             CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
        return std::nullopt;
    }
    UrlParts parts;
    parts.scheme = lower(part(url, CURLUPART_SCHEME).value_or(""));
    parts.host = lower(part(url, CURLUPART_HOST).value_or(""));
    if (parts.host.size() > 2 && parts.host.front() == '[' && parts.host.back() == ']') {
        parts.host = parts.host.substr(1, parts.host.size() - 2);
    }
    parts.port = part(url, CURLUPART_PORT).value_or("");
    parts.path = part(url, CURLUPART_PATH).value_or("/");
    parts.has_user_info =
        part(url, CURLUPART_USER) || part(url, CURLUPART_PASSWORD) || part(url, CURLUPART_OPTIONS);
    parts.has_query_or_fragment = part(url, CURLUPART_QUERY) || part(url, CURLUPART_FRAGMENT);
    if (parts.scheme.empty() || parts.host.empty() || parts.port == "0" ||
        part(url, CURLUPART_ZONEID)) {
        return std::nullopt;
    }
    return parts;
}

bool is_loopback_host(std::string_view host) noexcept {
    if (host == "localhost" || host == "::1") {
        return true;
    }
    // A dotted quad in 127.0.0.0/8 (inet_pton takes exactly four decimal octets, no leading
    // zeros); split_url has already turned the other IPv4 spellings into this one.
    std::array<char, 16> text{};  // "255.255.255.255" and its terminator
    if (host.size() >= text.size()) {
        return false;
    }
    std::copy(host.begin(), host.end(), text.begin());
    in_addr address{};
    return ::inet_pton(AF_INET, text.data(), &address) == 1 &&
           (ntohl(address.s_addr) >> 24U) == 127U;
}

}  // namespace detail

std::string normalize_portal_url(std::string_view url) {
    const auto parts = detail::split_url(url);
    if (!parts) {
        return std::string(url);
    }
    const bool default_port = parts->port.empty() ||
                              (parts->scheme == "https" && parts->port == "443") ||
                              (parts->scheme == "http" && parts->port == "80");
    std::string path = parts->path;
    while (!path.empty() && path.back() == '/') {
        path.pop_back();
    }
    return parts->scheme + "://" +
           (parts->host.find(':') != std::string::npos ? "[" + parts->host + "]" : parts->host) +
           (default_port ? "" : ":" + parts->port) + path;
}

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
    if (parts->has_query_or_fragment) {
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

}  // namespace provision::api
