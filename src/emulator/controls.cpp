#include "controls.hpp"

#include <stdexcept>

namespace emulator {
namespace {

const std::string k_prefix = "/__emulator/";

ApiResponse bad_request(const std::string& message) {
    return json_response(400, Json{{"error", message}});
}

ApiResponse not_found(const std::string& message) {
    return json_response(404, Json{{"error", message}});
}

std::optional<Json> parse_body(const std::string& body) {
    if (body.empty()) {
        return Json::object();
    }
    try {
        return Json::parse(body);
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

}  // namespace

ApiResponse handle_control(const ApiRequest& request, Portal& portal, FaultSet& faults,
                           RequestLog& log) {
    const std::string route = request.path.substr(k_prefix.size());
    const std::string& method = request.method;
    const auto body = parse_body(request.body);
    if (!body) {
        return bad_request("the body is not valid JSON");
    }
    const Json empty = Json::object();
    try {
        if (route == "reset" && method == "POST") {
            portal.reset();
            faults.clear();
            log.clear();
            return json_response(200, empty);
        }
        if (route == "state" && method == "GET") {
            return json_response(200, portal.state_json());
        }
        if (route == "issued" && method == "GET") {
            return json_response(200, portal.issued_json());
        }
        if (route == "sweep" && method == "POST") {
            return json_response(200, Json{{"deactivated", portal.sweep()}});
        }
        if (route == "requests" && method == "GET") {
            return json_response(200, log.to_json());
        }
        if (route == "requests" && method == "DELETE") {
            log.clear();
            return json_response(200, empty);
        }
        if (route == "faults" && method == "POST") {
            return json_response(200, Json{{"id", faults.add(parse_fault_rule(*body))}});
        }
        if (route == "faults" && method == "GET") {
            return json_response(200, faults.to_json());
        }
        if (route == "faults" && method == "DELETE") {
            faults.clear();
            return json_response(200, empty);
        }
        if (route.rfind("faults/", 0) == 0 && method == "DELETE") {
            return faults.remove(route.substr(7)) ? json_response(200, empty)
                                                  : not_found("no such fault rule");
        }
        if (route == "keys" && method == "POST") {
            return json_response(200, portal.seed_keys(*body));
        }
        if (route.rfind("keys/", 0) == 0 && method == "PATCH") {
            const auto key = portal.patch_key(route.substr(5), *body);
            return key ? json_response(200, *key) : not_found("no such key");
        }
        if (route.rfind("keys/", 0) == 0 && method == "DELETE") {
            return portal.remove_key(route.substr(5)) ? json_response(200, empty)
                                                      : not_found("no such key");
        }
        if (route.rfind("users/", 0) == 0 && method == "PATCH") {
            const auto user = portal.patch_user(route.substr(6), *body);
            return user ? json_response(200, *user) : not_found("no such user");
        }
    } catch (const std::invalid_argument& e) {
        return bad_request(e.what());
    }
    return not_found("no such test control");
}

}  // namespace emulator
