#include "provision/core/crash_point.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>

namespace provision::core {

void crash_point(const char* name) noexcept {
    static const char* const k_target = std::getenv("PROVISION_CRASH_AT");
    if (k_target != nullptr && std::strcmp(k_target, name) == 0) {
        std::raise(SIGKILL);
    }
}

}  // namespace provision::core
