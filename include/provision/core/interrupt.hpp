#pragma once
/// Graceful stop on SIGINT/SIGTERM. The first signal asks the run to start no new work and to
/// finish what is in flight; the second asks in-flight transfers to abort. Neither stops the
/// writes that make an already received secret durable.

namespace provision::core {

/// Installs the handlers (idempotent). Called once by the CLI at start-up.
void install_interrupt_handlers();

/// True once a first SIGINT or SIGTERM arrived.
bool stop_requested() noexcept;

/// True once a second signal arrived: abort transfers in flight.
bool abort_requested() noexcept;

/// The first signal received (SIGINT or SIGTERM), 0 if none.
int interrupt_signal() noexcept;

/// Tells the signal handler whether a live status line is on the terminal's last line now
/// (src/cli/status_line.hpp keeps it up to date), so that its notice replaces that line instead
/// of leaving it above the notice.
void set_status_line_shown(bool shown) noexcept;

/// What set_status_line_shown last said: the notice a signal would write now is
/// interrupt_notice(count, status_line_shown()).
bool status_line_shown() noexcept;

/// The notice the `count`th signal writes on standard error (1: stopping, more: aborting).
/// With a status line shown it starts by erasing that line ("\r" and erase to the end of the
/// line); without one, by a newline. Async-signal-safe: a pointer to a constant string.
const char* interrupt_notice(int count, bool status_line_shown) noexcept;

}  // namespace provision::core
