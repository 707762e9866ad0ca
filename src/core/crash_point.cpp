#include "provision/core/crash_point.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <string>

namespace provision::core {

namespace {

/// PROVISION_CRASH_AT as "name" or "name:N" (the Nth time the point is reached, N >= 1).
struct Target {
    std::string name;
    long hit = 1;
};

Target parse_target() {
    const char* text = std::getenv("PROVISION_CRASH_AT");
    if (text == nullptr) {
        return {};
    }
    Target target{text, 1};
    if (const auto colon = target.name.rfind(':'); colon != std::string::npos) {
        target.hit = std::max(1L, std::atol(target.name.c_str() + colon + 1));
        target.name.resize(colon);
    }
    return target;
}

}  // namespace

void crash_point(const char* name) noexcept {
    static const Target k_target = parse_target();
    static std::atomic<long> s_hits{0};
    if (!k_target.name.empty() && k_target.name == name && ++s_hits == k_target.hit) {
        std::raise(SIGKILL);
    }
}

}  // namespace provision::core
