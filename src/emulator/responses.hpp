#pragma once
/// The three DocSpace response shapes: the success envelope, `ErrorApiResponse` (exceptions),
/// and ValidationProblemDetails wrapped in the success-style envelope.

#include "http_types.hpp"
#include "model.hpp"

#include <string>
#include <utility>
#include <vector>

namespace emulator {

/// 200 `{response, count, links:[{href, action}], status: 0, statusCode: 200}`.
ApiResponse envelope(const ApiRequest& request, Json payload, std::int64_t count = 1);

/// The same envelope around a payload already printed as JSON text.
ApiResponse envelope_text(const ApiRequest& request, const std::string& payload,
                          std::int64_t count = 1);

/// An exception rendered by the server's CustomExceptionHandler.
struct ServerException {
    int status;
    std::string type;  ///< e.g. "System.NullReferenceException"
    std::string message;
    std::int64_t hresult;
};

ServerException null_reference();
ServerException access_denied();
ServerException invalid_permissions();
ServerException argument_out_of_range();
ServerException item_not_found(const std::string& message);
ServerException authentication_failed();

/// `{error:{message,type,stack,hresult}, status:1, statusCode}` with nulls kept.
ApiResponse error_response(const ServerException& exception);

/// Validation errors in insertion order: key → messages.
using ValidationErrors = std::vector<std::pair<std::string, std::vector<std::string>>>;

/// HTTP 400 with the success-style envelope around a ValidationProblemDetails.
ApiResponse validation_problem(const ApiRequest& request, const ValidationErrors& errors);

/// A status with an empty body (401, 403, 404, 415, 429).
ApiResponse empty_status(int status);

/// A plain JSON body without envelope.
ApiResponse json_response(int status, const Json& body);

}  // namespace emulator
