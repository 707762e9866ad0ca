#pragma once
/// Named crash points for the kill tests (reliability C.8): when the environment variable
/// PROVISION_CRASH_AT names a point, the process kills itself with SIGKILL on reaching it, the
/// most abrupt end there is. With the variable unset (always, in normal use) a crash point
/// costs one cached comparison.

namespace provision::core {

/// Points: "before_post", "after_response", "after_temp_file", "after_rename",
/// "after_outputs", "after_state".
void crash_point(const char* name) noexcept;

}  // namespace provision::core
