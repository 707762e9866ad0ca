#pragma once
/// Searching text for secrets (reliability F.20), shared by the leak_check program and the
/// leak tests. A credential counts as leaked when any 16-character piece of it shows up, so a
/// truncated secret (half a response body) is caught too; the redacted form `sk-***` + four
/// characters is shorter than that and allowed. Besides the raw text, the pieces of its
/// base64 forms (standard and URL-safe, at any of the three byte alignments, so a secret
/// encoded inside a longer string such as `Bearer sk-...` is found) and of its percent-encoded
/// form are looked for. Findings name the credential only in redacted form.

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace leak_scan {

struct Credential {
    std::string value;
    std::string kind;  ///< "key", "token", ... (for the report)
};

struct Finding {
    std::size_t offset = 0;  ///< byte offset of the first matching piece
    std::string what;        ///< the credential, redacted: "key sk-***9f3a"
    std::string form;        ///< "raw", "base64", "base64url", "percent-encoded"
};

/// The pieces looked for are this long.
inline constexpr std::size_t k_piece = 16;

/// "kind ***" plus the last four characters of `value`.
std::string redacted(const Credential& credential);

class Scanner {
public:
    explicit Scanner(std::vector<Credential> credentials);
    Scanner(const Scanner&) = delete;
    Scanner& operator=(const Scanner&) = delete;

    /// Every place in `text` where a credential shows up in any of its forms; one finding per
    /// run of overlapping pieces.
    std::vector<Finding> scan(std::string_view text) const;
    std::size_t size() const { return m_credentials.size(); }

private:
    struct Piece {
        std::size_t credential;
        std::size_t form;
    };
    void add_form(std::size_t credential, std::string form_name, std::string text);

    std::vector<Credential> m_credentials;
    std::vector<std::string> m_form_names;
    std::vector<std::string> m_short;  ///< forms shorter than a piece, matched whole
    std::vector<Piece> m_short_owner;
    std::deque<std::string> m_storage;  ///< owns the text the index's keys point into (stable)
    std::unordered_map<std::string_view, Piece> m_pieces;
};

}  // namespace leak_scan
