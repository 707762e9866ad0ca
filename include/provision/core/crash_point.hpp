#pragma once
/// Named crash points for the kill tests (reliability C.8): when the environment variable
/// PROVISION_CRASH_AT names a point, the process kills itself with SIGKILL on reaching it, the
/// most abrupt end there is. With the variable unset (always, in normal use) a crash point
/// costs one cached comparison.

namespace provision::core {

/// Points: "before_post", "after_response", "after_temp_file", "after_rename" (every atomic
/// file write: each output, its age index, the state), "after_outputs", "after_state", and
/// "after_settle_state" (reconciliation saved the state, the journal not yet marked).
/// "NAME:N" kills on the Nth time the point is reached, counted over the whole process, so
/// "after_rename:2" stops a run between its first and second output.
void crash_point(const char* name) noexcept;

}  // namespace provision::core
