/// Text helpers shared by the output formats: base64 for Kubernetes `data` (OpenSSL's
/// EVP_EncodeBlock/EVP_DecodeBlock, with a canonical-form check on top), UTF-8 validation
/// (JSON and YAML can only carry well-formed UTF-8) and YAML double-quoted scalars.
///
/// YAML scalars are always written double-quoted, never plain or block: a plain scalar can be
/// re-typed by a reader ("yes", "017", "null"), and block scalars depend on indentation and
/// trailing-newline rules. Inside double quotes only `"`, `\` and control or line-breaking
/// characters need escapes, and yaml-cpp reads every escape used here back exactly (it writes
/// `\N` as a raw byte, so NEL is written as `\u0085`).

#include "output/formats.hpp"

#include "provision/core/json_positions.hpp"

#include <openssl/evp.h>

#include <climits>
#include <cstdint>

namespace provision::output::detail {

namespace {

void append_hex_escape(std::string& out, char kind, std::uint32_t value, int digits) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    out.push_back('\\');
    out.push_back(kind);
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
        out.push_back(k_hex[(value >> static_cast<unsigned>(shift)) & 0xFU]);
    }
}

/// Decodes the code point starting at text[i] (valid UTF-8 assumed); advances i.
std::uint32_t next_code_point(std::string_view text, std::size_t& i) noexcept {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 1;
    std::uint32_t value = lead;
    if (lead >= 0xF0) {
        length = 4;
        value = lead & 0x07U;
    } else if (lead >= 0xE0) {
        length = 3;
        value = lead & 0x0FU;
    } else if (lead >= 0xC0) {
        length = 2;
        value = lead & 0x1FU;
    }
    for (std::size_t k = 1; k < length && i + k < text.size(); ++k) {
        value = (value << 6U) | (static_cast<unsigned char>(text[i + k]) & 0x3FU);
    }
    i += length;
    return value;
}

}  // namespace

core::Error parse_error(std::string_view text, std::size_t offset, const std::string& expected) {
    return core::make_error(core::Errc::invalid_input,
                            core::line_column(text, offset) + ": " + expected);
}

core::Error io_error(const std::string& message) {
    return core::make_error(core::Errc::io, message);
}

std::string base64_encode(std::string_view data) {
    // EVP_EncodeBlock writes 4 characters per 3 bytes (the last group padded), no line breaks,
    // and a terminating NUL.
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                       reinterpret_cast<const unsigned char*>(data.data()),
                                       static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(length));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    // EVP_DecodeBlock trims white space around the text, reads '=' as a zero digit anywhere
    // and counts the padding's zero bytes in its result. What it accepts is therefore only a
    // candidate: the text is taken when it is exactly the canonical encoding of what came out
    // (a multiple of 4 characters, '=' only as padding, the bits padding drops all zero).
    const std::size_t kept = text.find_last_not_of('=');
    const std::size_t padding =
        kept == std::string_view::npos ? text.size() : text.size() - kept - 1;
    if (padding > 2 || text.size() > static_cast<std::size_t>(INT_MAX)) {
        return std::nullopt;
    }
    std::string out(text.size() / 4 * 3, '\0');
    const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                       reinterpret_cast<const unsigned char*>(text.data()),
                                       static_cast<int>(text.size()));
    if (length < 0 || static_cast<std::size_t>(length) < padding) {
        return std::nullopt;
    }
    out.resize(static_cast<std::size_t>(length) - padding);
    if (base64_encode(out) != text) {
        return std::nullopt;
    }
    return out;
}

bool is_valid_utf8(std::string_view text) noexcept {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        std::uint32_t min = 0;
        std::uint32_t value = 0;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if ((c & 0xE0U) == 0xC0) {
            length = 2;
            min = 0x80;
            value = c & 0x1FU;
        } else if ((c & 0xF0U) == 0xE0) {
            length = 3;
            min = 0x800;
            value = c & 0x0FU;
        } else if ((c & 0xF8U) == 0xF0) {
            length = 4;
            min = 0x10000;
            value = c & 0x07U;
        } else {
            return false;
        }
        if (i + length > text.size()) {
            return false;
        }
        for (std::size_t k = 1; k < length; ++k) {
            const auto cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xC0U) != 0x80) {
                return false;
            }
            value = (value << 6U) | (cc & 0x3FU);
        }
        if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
            return false;
        }
        i += length;
    }
    return true;
}

std::string yaml_quote(std::string_view text) {
    std::string out = "\"";
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t start = i;
        const std::uint32_t cp = next_code_point(text, i);
        switch (cp) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\r':
            out += "\\r";
            break;
        default:
            if (cp < 0x20 || cp == 0x7F) {
                append_hex_escape(out, 'x', cp, 2);
            } else if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF) {
                append_hex_escape(out, 'u', cp, 4);
            } else {
                out.append(text.substr(start, i - start));
            }
        }
    }
    out += '"';
    return out;
}

}  // namespace provision::output::detail
