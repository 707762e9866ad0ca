#pragma once
/// Parsing of DocSpace keys responses (contract §1-§3, §6), independent of any transport so
/// that it can be unit-tested and fuzzed on plain strings.

#include "provision/api/http_transport.hpp"
#include "provision/api/types.hpp"
#include "provision/core/result.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace provision::api::detail {

/// The `response` member of a success envelope; protocol error when the body is not JSON,
/// not an object, lacks `response`, or has a non-zero `status`.
core::Result<nlohmann::json> parse_envelope(std::string_view body);

/// One key object (§3). Missing `permissions` => unrestricted; dates converted to UTC.
core::Result<ApiKey> parse_key(const nlohmann::json& object);

core::Result<std::vector<ApiKey>> parse_key_list(const nlohmann::json& response);

/// A whole success answer to GET /api/2.0/keys, read in one pass (a SAX handler,
/// key_list_reader.cpp): each key's members are kept as they stream by and the key made when its
/// object ends, so that a list of 10,000 keys costs the body and the ApiKey values, never a JSON
/// tree. Same checks and errors as parse_envelope followed by parse_key_list, except that the
/// first failing key object is reported before an item that is not an object, wherever it is.
core::Result<std::vector<ApiKey>> parse_key_list_envelope(std::string_view body);

/// A create answer: requires `id` and a well-formed full secret in `key`.
core::Result<CreatedKey> parse_created_key(const nlohmann::json& response);

core::Result<bool> parse_bool(const nlohmann::json& response);

core::Result<std::vector<std::string>> parse_string_list(const nlohmann::json& response);

core::Result<User> parse_user(const nlohmann::json& response);

/// The answer of GET /api/2.0/portal (`tenantId` required; alias, owner and creation time when
/// present).
core::Result<PortalIdentity> parse_portal(const nlohmann::json& response);

/// The server's own words about a failure: error.message of an ErrorApiResponse, the
/// `errors` of a ValidationProblemDetails ("Name: ..."), or a short, sanitised excerpt of
/// any other body (HTML reduced to its title). Empty for an empty body.
std::string describe_error_body(std::string_view body);

/// The error.type of an ErrorApiResponse body, or "".
std::string error_type(std::string_view body);

/// Maps a complete non-2xx response to an Error (§6): 401 unauthorized, 403 forbidden,
/// 429 rate_limited (with retry_after), anything else http_status. `what` names the action
/// ("listing keys"); `now` resolves Retry-After dates.
core::Error error_from_response(const HttpResponse& response, std::string_view what,
                                core::Timestamp now);

}  // namespace provision::api::detail
