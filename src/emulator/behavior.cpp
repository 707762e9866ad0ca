#include "behavior.hpp"

namespace emulator {

std::string server_behavior_name(ServerBehavior behavior) {
    return behavior == ServerBehavior::v3_7_2 ? "3.7.2" : "latest";
}

std::optional<ServerBehavior> parse_server_behavior(const std::string& text) {
    if (text == "3.7.2") {
        return ServerBehavior::v3_7_2;
    }
    if (text == "latest") {
        return ServerBehavior::latest;
    }
    return std::nullopt;
}

}  // namespace emulator
