#pragma once
/// Where each value of a JSON document starts, for error messages about files that are not
/// manifests (state, outputs, fingerprint indexes): a message can then point at "3:17" instead
/// of quoting the file, whose text may be a secret.

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace provision::core {

/// "LINE:COLUMN" (1-based; the column counts bytes) of byte `offset` in `text`.
std::string line_column(std::string_view text, std::size_t offset);

/// The start of every value of a JSON document down to a few levels, by path: object keys as
/// they read after unescaping, array elements by their decimal index. Built from text that a
/// JSON parser has already accepted; for a duplicate key the last one counts, as it does for
/// nlohmann::json. The text is scanned on the first `at`: a file that reads without an error
/// (every state load of a normal run) never pays for the scan. `text` must outlive this.
class JsonPositions {
public:
    explicit JsonPositions(std::string_view text);

    /// "LINE:COLUMN" of the value at `path`, or of its nearest enclosing value that exists
    /// (the document itself for an empty path).
    std::string at(const std::vector<std::string>& path) const;

private:
    std::string_view m_text;
    mutable std::once_flag m_scanned;
    mutable std::map<std::vector<std::string>, std::size_t> m_offsets;
};

}  // namespace provision::core
