#pragma once
/// Private to the output module: one renderer and one parser per format, and the text helpers
/// they share. Renderers assume their records were checked by check_records().

#include "provision/output/output.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace provision::output::detail {

using SecretMap = std::map<std::string, core::Secret>;

/// "# Managed by provision. Do not edit." plus a newline; first line of the text formats.
inline constexpr std::string_view k_header = "# Managed by provision. Do not edit.\n";

/// An error in an output's text at byte `offset`: "LINE:COLUMN: expected". Every parser below
/// reports this way, naming what it expected and never quoting the text (a secret); parse_output
/// puts the file's path in front.
core::Error parse_error(std::string_view text, std::size_t offset, const std::string& expected);

/// An error reading or writing a file, or running `age`: Errc::io with `message`.
core::Error io_error(const std::string& message);

core::Result<std::string> render_dotenv(const std::vector<SecretRecord>& records);
core::Result<SecretMap> parse_dotenv(std::string_view text);

core::Result<std::string> render_json(const std::vector<SecretRecord>& records);
core::Result<SecretMap> parse_json(std::string_view text);

core::Result<std::string> render_yaml(const std::vector<SecretRecord>& records);
core::Result<SecretMap> parse_yaml(std::string_view text);

core::Result<std::string> render_k8s_secret(const manifest::OutputSpec& spec,
                                            const std::vector<SecretRecord>& records);
core::Result<SecretMap> parse_k8s_secret(std::string_view text);

/// Standard base64 (RFC 4648 alphabet, '=' padding, no line breaks).
std::string base64_encode(std::string_view data);
/// Strict decode: nullopt for a wrong length, a foreign character (white space included),
/// misplaced padding or non-zero bits under the padding.
std::optional<std::string> base64_decode(std::string_view text);

/// True when text is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

/// A YAML double-quoted scalar that reads back as exactly `text` (which must be valid UTF-8):
/// quotes, backslashes and every control or line-breaking character are escaped.
std::string yaml_quote(std::string_view text);

}  // namespace provision::output::detail
