#pragma once
/// Internals of the manifest loader, shared by its .cpp files only. The loader runs in stages:
/// byte checks and a lexical scan of the strict YAML subset (prescan.cpp), yaml-cpp parsing into
/// a plain tree (yaml_tree.cpp, the only file that sees yaml-cpp), then schema checks that turn
/// the tree into a Manifest (schema.cpp, values.cpp). Every stage adds to one DiagnosticSink.

#include "provision/core/diagnostic.hpp"
#include "provision/manifest/manifest.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace provision::manifest::detail {

/// Sized for 10,000 keys of about 20 values and 800 bytes each, with room to spare; yaml-cpp
/// parses the largest manifest these allow in well under a second.
inline constexpr std::size_t k_max_file_bytes = 16 * 1024 * 1024;
inline constexpr std::size_t k_max_depth = 16;
inline constexpr std::size_t k_max_scalar_bytes = 4096;
inline constexpr std::size_t k_max_nodes = 200'000;
inline constexpr std::size_t k_max_keys = 10'000;
inline constexpr std::size_t k_max_outputs = 32;
inline constexpr std::size_t k_max_list_items = 200;
inline constexpr std::size_t k_max_diagnostics = 100;

/// A byte offset into the manifest text; k_no_offset when a problem has no position.
inline constexpr std::size_t k_no_offset = static_cast<std::size_t>(-1);

/// Collects diagnostics for one manifest, turning byte offsets into 1-based line and
/// code-point column only when a diagnostic is reported (or a location is asked for).
class DiagnosticSink {
public:
    DiagnosticSink(std::string file, std::string_view text);

    /// `provision validate`: an environment variable that is not set is a warning and the
    /// value that uses it is left out, since CI jobs without secrets validate too.
    bool unset_variables_are_warnings = false;

    void error(std::size_t offset, std::string path, std::string message);
    void warning(std::size_t offset, std::string path, std::string message);
    /// 1-based line and column of a byte offset (0/0 for k_no_offset).
    Location location(std::size_t offset) const;
    bool has_errors() const noexcept { return m_errors > 0; }
    /// True once the cap on reported problems is reached; callers may stop early.
    bool full() const noexcept { return m_diagnostics.size() >= k_max_diagnostics; }
    /// The diagnostics sorted by position (problems without a position first).
    std::vector<core::Diagnostic> take();

private:
    void add(std::size_t offset, std::string path, std::string message, core::Severity severity);

    std::string m_file;
    std::string_view m_text;
    std::vector<std::size_t> m_line_starts;
    std::vector<core::Diagnostic> m_diagnostics;
    std::size_t m_errors = 0;
    bool m_truncated = false;
};

/// Byte-level checks (size, UTF-8, NUL and control characters). False when the text must not
/// be parsed at all.
bool check_bytes(std::string_view text, DiagnosticSink& sink);

/// Lexical scan for everything outside the strict YAML subset (anchors, aliases, tags,
/// directives, several documents, complex keys, nesting deeper than k_max_depth) and for
/// literal API key secrets anywhere in the text, comments included. False when yaml-cpp must
/// not see the text.
bool scan_subset(std::string_view text, DiagnosticSink& sink);

/// Offset of the first text at or after `from` that looks like an API key secret ("sk-" and at
/// least 32 hex digits, not inside a word), or npos.
std::size_t find_secret_like(std::string_view text, std::size_t from);

/// A parsed YAML node, detached from yaml-cpp.
struct Node {
    enum class Kind { null, scalar, sequence, map };
    /// One `key: value` of a map. A class of its own, not std::pair<Node, Node>: clang rejects
    /// a pair of the enclosing type while that type is still incomplete.
    struct Entry;
    Kind kind = Kind::null;
    std::string text;   ///< scalar value
    bool plain = true;  ///< false for quoted and block scalars
    std::size_t offset = k_no_offset;
    std::vector<Node> items;     ///< sequence
    std::vector<Entry> entries;  ///< map, in file order, duplicates removed
};

struct Node::Entry {
    Node key;
    Node value;
};

/// Parses one YAML document (already accepted by scan_subset) into a tree. nullopt on a
/// syntax error or a broken limit, which are reported to the sink.
std::optional<Node> parse_tree(std::string_view text, DiagnosticSink& sink);

/// Checks the tree against schema version 1 and builds the Manifest. Problems go to the sink;
/// the returned manifest is meaningful only when the sink holds no error.
Manifest build_manifest(const Node& root, std::string_view text, const std::filesystem::path& file,
                        const EnvLookup& env, DiagnosticSink& sink);

}  // namespace provision::manifest::detail
