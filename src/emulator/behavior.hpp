#pragma once
/// Which DocSpace release the emulator behaves like (contract Appendix B). `v3_7_2` keeps the
/// answers of §2-§6; `latest` applies the permission fixes later servers shipped. Everything
/// outside Appendix B's table is the same in both.

#include <optional>
#include <string>

namespace emulator {

enum class ServerBehavior { v3_7_2, latest };

/// The default when neither `--server-behavior` nor a state file says otherwise: `latest`,
/// since portals in the field run later releases (docs/emulator.md says why).
inline constexpr ServerBehavior k_default_server_behavior = ServerBehavior::latest;

/// "3.7.2" or "latest".
std::string server_behavior_name(ServerBehavior behavior);
/// Reads "3.7.2" or "latest" (exactly); nullopt otherwise.
std::optional<ServerBehavior> parse_server_behavior(const std::string& text);

}  // namespace emulator
