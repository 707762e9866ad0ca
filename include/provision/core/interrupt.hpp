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

}  // namespace provision::core
