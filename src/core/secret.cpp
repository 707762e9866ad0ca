#include "provision/core/secret.hpp"

#include "provision/core/hash.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>

namespace provision::core {

namespace {
constexpr std::size_t k_api_key_hex = 64;
constexpr std::string_view k_api_key_prefix = "sk-";

bool is_lower_hex(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
}  // namespace

Secret::Secret(Secret&& other) noexcept : m_value(std::move(other.m_value)) {
    other.wipe();
}

Secret& Secret::operator=(const Secret& other) {
    if (this != &other) {
        wipe();
        m_value = other.m_value;
    }
    return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe();
        m_value = std::move(other.m_value);
        other.wipe();
    }
    return *this;
}

Secret::~Secret() {
    wipe();
}

void Secret::wipe() noexcept {
    if (!m_value.empty()) {
        OPENSSL_cleanse(m_value.data(), m_value.size());
    }
    m_value.clear();
}

std::string Secret::redacted() const {
    if (m_value.size() > 16 && m_value.starts_with(k_api_key_prefix)) {
        return "sk-***" + m_value.substr(m_value.size() - 4);
    }
    return "***";
}

std::string Secret::fingerprint() const {
    return "sha256:" + sha256_hex(m_value);
}

bool Secret::ends_with(std::string_view suffix) const noexcept {
    return !suffix.empty() && std::string_view(m_value).ends_with(suffix);
}

std::ostream& operator<<(std::ostream& os, const Secret& secret) {
    return os << secret.redacted();
}

bool looks_like_api_key(std::string_view text) noexcept {
    if (text.size() != k_api_key_prefix.size() + k_api_key_hex ||
        !text.starts_with(k_api_key_prefix)) {
        return false;
    }
    return std::ranges::all_of(text.substr(k_api_key_prefix.size()), is_lower_hex);
}

std::string redact_secrets(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t at = text.find(k_api_key_prefix, i);
        if (at == std::string_view::npos) {
            out.append(text.substr(i));
            break;
        }
        out.append(text.substr(i, at - i));
        std::size_t end = at + k_api_key_prefix.size();
        while (end < text.size() && std::isxdigit(static_cast<unsigned char>(text[end])) != 0) {
            ++end;
        }
        const std::size_t hex = end - at - k_api_key_prefix.size();
        if (hex >= 16) {
            out.append("sk-***").append(text.substr(end - 4, 4));
        } else {
            out.append(text.substr(at, end - at));
        }
        i = end;
    }
    return out;
}

}  // namespace provision::core
