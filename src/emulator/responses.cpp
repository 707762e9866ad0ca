#include "responses.hpp"

#include "ids.hpp"

namespace emulator {

ApiResponse envelope(const ApiRequest& request, Json payload, std::int64_t count) {
    return envelope_text(request, payload.dump(), count);
}

ApiResponse envelope_text(const ApiRequest& request, const std::string& payload,
                          std::int64_t count) {
    // The envelope without its payload, `{"count":...}`, printed after `{"response":PAYLOAD,`:
    // the same bytes, in the same order, as envelope() prints.
    const Json rest{
        {"count", count},
        {"links", Json::array({Json{{"href", request.full_url()}, {"action", request.method}}})},
        {"status", 0},
        {"statusCode", 200}};
    const std::string tail = rest.dump();
    ApiResponse response;
    response.status = 200;
    response.body.reserve(payload.size() + tail.size() + 16);
    response.body.append("{\"response\":").append(payload).append(",").append(tail, 1);
    response.content_type = "application/json; charset=utf-8";
    return response;
}

ServerException null_reference() {
    return {500, "System.NullReferenceException",
            "Object reference not set to an instance of an object.", -2147467261};
}

ServerException access_denied() {
    return {403, "System.UnauthorizedAccessException", "Access denied", -2147024891};
}

ServerException invalid_permissions() {
    return {400, "System.ArgumentException", "Permissions are not valid.", -2147024809};
}

ServerException argument_out_of_range() {
    return {400, "System.ArgumentOutOfRangeException",
            "startIndex cannot be larger than length of string. (Parameter 'startIndex')",
            -2146233086};
}

ServerException item_not_found(const std::string& message) {
    return {404, "ASC.Common.Web.ItemNotFoundException", message, -2146233088};
}

ServerException authentication_failed() {
    return {401, "", "User authentication failed", 0};
}

ApiResponse error_response(const ServerException& exception) {
    Json error{{"message", exception.message}};
    if (exception.type.empty()) {
        error["type"] = nullptr;
        error["stack"] = nullptr;
    } else {
        error["type"] = exception.type;
        error["stack"] = "   at ASC.Api.Core.Middleware (emulated stack trace)";
    }
    error["hresult"] = exception.hresult;
    return json_response(exception.status,
                         Json{{"error", error}, {"status", 1}, {"statusCode", exception.status}});
}

ApiResponse validation_problem(const ApiRequest& request, const ValidationErrors& errors) {
    Json error_object = Json::object();
    for (const auto& [key, messages] : errors) {
        error_object[key] = messages;
    }
    Json problem{{"type", "https://tools.ietf.org/html/rfc9110#section-15.5.1"},
                 {"title", "One or more validation errors occurred."},
                 {"status", 400},
                 {"errors", error_object},
                 {"traceId", "00-" + random_hex(16) + "-" + random_hex(8) + "-00"}};
    Json body{
        {"response", problem},
        {"count", 1},
        {"links", Json::array({Json{{"href", request.full_url()}, {"action", request.method}}})},
        {"status", 1},
        {"statusCode", 400}};
    return json_response(400, body);
}

ApiResponse empty_status(int status) {
    ApiResponse response;
    response.status = status;
    return response;
}

ApiResponse json_response(int status, const Json& body) {
    ApiResponse response;
    response.status = status;
    response.body = body.dump();
    response.content_type = "application/json; charset=utf-8";
    return response;
}

}  // namespace emulator
