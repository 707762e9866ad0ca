// The scanner indexes every 16-character piece of every form of every credential in a hash
// map, then slides a 16-character window over the text once: the cost is one lookup per byte
// of text, whatever the number of credentials (a whole e2e suite issues hundreds).
#include "leak_scan.hpp"

#include <algorithm>
#include <cctype>

namespace leak_scan {
namespace {

std::string base64(std::string_view bytes, bool url_safe) {
    static constexpr std::string_view k_standard =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static constexpr std::string_view k_url =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const std::string_view alphabet = url_safe ? k_url : k_standard;
    std::string out;
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const auto n = (static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16) |
                       (static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                       static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 2]));
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    return out;  // a trailing partial group depends on what follows, so it is left out
}

/// The base64 text of `value` that does not depend on the bytes around it, when `value`
/// starts `alignment` bytes into a 3-byte group.
std::string stable_base64(const std::string& value, std::size_t alignment, bool url_safe) {
    const std::string padded = std::string(alignment, '\0') + value;
    std::string encoded = base64(padded, url_safe);
    // The first group mixes in the bytes before the value.
    return alignment == 0 ? encoded : encoded.substr(std::min<std::size_t>(4, encoded.size()));
}

std::string percent_encoded(const std::string& value) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += k_hex[byte >> 4];
            out += k_hex[byte & 15];
        }
    }
    return out;
}

}  // namespace

std::string redacted(const Credential& credential) {
    const std::string& v = credential.value;
    return credential.kind + " " + (v.rfind("sk-", 0) == 0 ? "sk-" : "") + "***" +
           (v.size() > 8 ? v.substr(v.size() - 4) : "");
}

Scanner::Scanner(std::vector<Credential> credentials) : m_credentials(std::move(credentials)) {
    for (std::size_t c = 0; c < m_credentials.size(); ++c) {
        const std::string& value = m_credentials[c].value;
        add_form(c, "raw", value);
        if (const auto encoded = percent_encoded(value); encoded != value) {
            add_form(c, "percent-encoded", encoded);
        }
        for (std::size_t alignment = 0; alignment < 3; ++alignment) {
            add_form(c, "base64", stable_base64(value, alignment, false));
            add_form(c, "base64url", stable_base64(value, alignment, true));
        }
    }
}

void Scanner::add_form(std::size_t credential, std::string form_name, std::string text) {
    auto name = std::find(m_form_names.begin(), m_form_names.end(), form_name);
    if (name == m_form_names.end()) {
        m_form_names.push_back(form_name);
        name = m_form_names.end() - 1;
    }
    const Piece owner{credential, static_cast<std::size_t>(name - m_form_names.begin())};
    if (text.empty()) {
        return;
    }
    if (text.size() < k_piece) {
        m_short.push_back(std::move(text));
        m_short_owner.push_back(owner);
        return;
    }
    const std::string& stored = m_storage.emplace_back(std::move(text));
    for (std::size_t at = 0; at + k_piece <= stored.size(); ++at) {
        m_pieces.emplace(std::string_view(stored).substr(at, k_piece), owner);
    }
}

std::vector<Finding> Scanner::scan(std::string_view text) const {
    std::vector<Finding> findings;
    const auto report = [&](std::size_t offset, const Piece& piece) {
        findings.push_back(
            {offset, redacted(m_credentials[piece.credential]), m_form_names[piece.form]});
    };
    // Overlapping pieces of one credential are one occurrence, reported once.
    std::size_t covered_until = 0;
    std::size_t covered_credential = 0;
    for (std::size_t at = 0; at + k_piece <= text.size(); ++at) {
        const auto found = m_pieces.find(text.substr(at, k_piece));
        if (found == m_pieces.end()) {
            continue;
        }
        const bool same = at < covered_until && found->second.credential == covered_credential;
        if (!same) {
            report(at, found->second);
        }
        covered_until = at + k_piece;
        covered_credential = found->second.credential;
    }
    for (std::size_t i = 0; i < m_short.size(); ++i) {
        for (auto at = text.find(m_short[i]); at != std::string_view::npos;
             at = text.find(m_short[i], at + m_short[i].size())) {
            report(at, m_short_owner[i]);
        }
    }
    return findings;
}

}  // namespace leak_scan
