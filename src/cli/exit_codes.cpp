// The one map from a failure to an exit code (exit_codes.hpp), as ccache keeps its statuses
// in one place: a command never picks a failure code itself. plan's two rules for
// --detailed-exitcode live here too, and so does the order of severity for several manifests.

#include "cli/exit_codes.hpp"

#include "provision/core/interrupt.hpp"

#include <algorithm>
#include <csignal>
#include <iterator>

namespace provision::cli {

int exit_code_for(core::Errc code) {
    switch (code) {
    case core::Errc::invalid_input:
        return k_exit_invalid;
    case core::Errc::lock_held:
        return k_exit_lock_held;
    case core::Errc::partial_failure:
        return k_exit_partial;
    case core::Errc::unknown_outcome:
        return k_exit_unknown_outcome;
    case core::Errc::not_persisted:
        return k_exit_not_persisted;
    case core::Errc::blocked:
        return k_exit_blocked;
    case core::Errc::cancelled:
        switch (core::interrupt_signal()) {
        case SIGINT:
            return k_exit_sigint;
        case SIGTERM:
            return k_exit_sigterm;
        default:
            return k_exit_error;
        }
    default:
        return k_exit_error;
    }
}

int plan_exit_code(const plan::Plan& plan, bool detailed_exitcode) {
    return detailed_exitcode && (plan.has_changes() || plan.has_blocked()) ? k_exit_changes
                                                                           : k_exit_ok;
}

int plan_failure_code(int code, bool detailed_exitcode) {
    return detailed_exitcode && code != k_exit_ok ? static_cast<int>(k_exit_error) : code;
}

int most_severe(int a, int b) {
    // Least severe first; a code not listed (none is) would count as an error.
    static constexpr int k_order[] = {
        k_exit_ok,      k_exit_changes,         k_exit_expiring,      k_exit_findings,
        k_exit_blocked, k_exit_lock_held,       k_exit_error,         k_exit_invalid,
        k_exit_partial, k_exit_unknown_outcome, k_exit_not_persisted, k_exit_sigterm,
        k_exit_sigint};
    const auto rank = [](int code) {
        const auto* const end = std::end(k_order);
        const auto* found = std::find(std::begin(k_order), end, code);
        if (found == end) {
            found = std::find(std::begin(k_order), end, static_cast<int>(k_exit_error));
        }
        return found - std::begin(k_order);
    };
    return rank(b) > rank(a) ? b : a;
}

std::optional<core::Errc> failure_of(apply::Outcome outcome) {
    switch (outcome) {
    case apply::Outcome::success:
        return std::nullopt;
    case apply::Outcome::blocked:
        return core::Errc::blocked;
    case apply::Outcome::partial_failure:
        return core::Errc::partial_failure;
    case apply::Outcome::unknown_outcome:
        return core::Errc::unknown_outcome;
    case apply::Outcome::not_persisted:
        return core::Errc::not_persisted;
    }
    return core::Errc::internal;
}

}  // namespace provision::cli
