#pragma once
/// Transport-neutral request and response values, so route logic never sees cpp-httplib.

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace emulator {

struct ApiRequest {
    std::string method;
    std::string path;
    std::string query;                           ///< without the leading '?'
    std::map<std::string, std::string> headers;  ///< names lower-cased
    std::string body;
    std::string base_url;  ///< "http://host:port" as the client addressed it

    /// The header's value, or "" when absent.
    std::string header(const std::string& lower_name) const {
        const auto it = headers.find(lower_name);
        return it == headers.end() ? std::string() : it->second;
    }
    bool has_header(const std::string& lower_name) const { return headers.count(lower_name) != 0; }
    /// The display URL: scheme, host, path and query.
    std::string full_url() const { return base_url + path + (query.empty() ? "" : "?" + query); }
};

struct ApiResponse {
    int status = 200;
    std::string body;
    std::string content_type;  ///< empty when there is no body
    std::vector<std::pair<std::string, std::string>> headers;
};

/// How a request authenticated, for the request log.
enum class AuthKind { none, session, apikey };

}  // namespace emulator
