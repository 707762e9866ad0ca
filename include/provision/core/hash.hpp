#pragma once
/// Plain hashing for values that are not secrets (saved-plan digests of the manifest, the
/// state and the portal's key list). Secret::fingerprint() builds on the same function.

#include <string>
#include <string_view>

namespace provision::core {

/// 64 lowercase hex digits of SHA-256(data).
std::string sha256_hex(std::string_view data);

}  // namespace provision::core
