#include "ids.hpp"

#include <openssl/rand.h>

#include <cctype>
#include <stdexcept>
#include <vector>

namespace emulator {
namespace {

std::string strip_guid(const std::string& text) {
    std::string inner = text;
    if (inner.size() == 38 && ((inner.front() == '{' && inner.back() == '}') ||
                               (inner.front() == '(' && inner.back() == ')'))) {
        inner = inner.substr(1, 36);
    }
    std::string hex;
    if (inner.size() == 36) {
        for (std::size_t i = 0; i < inner.size(); ++i) {
            const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash != (inner[i] == '-')) {
                return {};
            }
            if (!dash) {
                hex += inner[i];
            }
        }
    } else if (inner.size() == 32) {
        hex = inner;
    } else {
        return {};
    }
    for (const char c : hex) {
        if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
            return {};
        }
    }
    return to_lower(hex);
}

}  // namespace

std::string to_lower(std::string text) {
    for (char& c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}

std::string random_hex(std::size_t count) {
    std::vector<unsigned char> bytes(count);
    if (RAND_bytes(bytes.data(), static_cast<int>(count)) != 1) {
        throw std::runtime_error("the random number generator failed");
    }
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(count * 2);
    for (const unsigned char b : bytes) {
        out += k_digits[b >> 4];
        out += k_digits[b & 0x0f];
    }
    return out;
}

std::string new_guid() {
    std::string hex = random_hex(16);
    hex[12] = '4';
    static constexpr char k_variant[] = "89ab";
    hex[16] = k_variant[static_cast<unsigned char>(hex[16]) % 4];
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
}

bool is_guid(const std::string& text) {
    return !strip_guid(text).empty();
}

std::string normalize_guid(const std::string& text) {
    const std::string hex = strip_guid(text);
    if (hex.empty()) {
        return {};
    }
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace emulator
