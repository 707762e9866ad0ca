// Byte-level checks on the manifest text, before any YAML is looked at: size, UTF-8 validity
// (overlong forms, surrogates and code points above U+10FFFF are invalid too), NUL and control
// characters, and text that looks like an API key secret anywhere in the file, comments
// included, since manifests are committed.

#include "loader.hpp"

#include <cstdio>

namespace provision::manifest::detail {
namespace {

std::string hex_byte(unsigned char byte) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "0x%02X", static_cast<unsigned>(byte));
    return buffer;
}

/// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is invalid
/// (overlong forms, surrogates and code points above U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = at(i);
    std::size_t length = 0;
    unsigned min_second = 0x80;
    unsigned max_second = 0xBF;
    if (lead < 0x80) {
        return 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        min_second = lead == 0xE0 ? 0xA0 : 0x80;
        max_second = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        min_second = lead == 0xF0 ? 0x90 : 0x80;
        max_second = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (i + length > text.size() || at(i + 1) < min_second || at(i + 1) > max_second) {
        return 0;
    }
    for (std::size_t k = 2; k < length; ++k) {
        if (at(i + k) < 0x80 || at(i + k) > 0xBF) {
            return 0;
        }
    }
    return length;
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

std::size_t find_secret_like(std::string_view text, std::size_t from) {
    for (std::size_t at = text.find("sk-", from); at != std::string_view::npos;
         at = text.find("sk-", at + 1)) {
        if (at > 0 && is_alnum(text[at - 1])) {
            continue;
        }
        std::size_t hex = 0;
        while (at + 3 + hex < text.size() && is_hex(text[at + 3 + hex])) {
            ++hex;
        }
        if (hex >= 32) {
            return at;
        }
    }
    return std::string_view::npos;
}

bool check_bytes(std::string_view text, DiagnosticSink& sink) {
    if (text.size() > k_max_file_bytes) {
        sink.error(k_no_offset, "",
                   "the manifest is larger than the limit of 16 MiB (" +
                       std::to_string(k_max_file_bytes) +
                       " bytes); split it into several manifests");
        return false;
    }
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte == 0) {
            sink.error(i, "", "NUL byte: this is not a text file; a manifest is UTF-8 YAML");
            return false;
        }
        if ((byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') || byte == 0x7F) {
            sink.error(i, "",
                       "control character " + hex_byte(byte) +
                           " is not allowed in a manifest; remove it");
            return false;
        }
        const std::size_t length = utf8_sequence_length(text, i);
        if (length == 0) {
            sink.error(i, "",
                       "invalid UTF-8 (byte " + hex_byte(byte) + "); save the manifest as UTF-8");
            return false;
        }
        i += length;
    }
    return true;
}

}  // namespace provision::manifest::detail
