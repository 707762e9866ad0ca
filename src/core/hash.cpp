// SHA-256 through OpenSSL's EVP interface, printed as lowercase hex.

#include "provision/core/hash.hpp"

#include <openssl/evp.h>

#include <array>
#include <string_view>

namespace provision::core {

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
    static constexpr std::string_view k_hex = "0123456789abcdef";
    std::string out;
    out.reserve(std::size_t{2} * length);
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(k_hex[digest[i] >> 4U]);
        out.push_back(k_hex[digest[i] & 0x0fU]);
    }
    return out;
}

}  // namespace provision::core
