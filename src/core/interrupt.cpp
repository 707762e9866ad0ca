// SIGINT/SIGTERM handling (interrupt.hpp): a counter the run polls and a notice on stderr.

#include "provision/core/interrupt.hpp"

#include <atomic>
#include <csignal>
#include <unistd.h>

namespace provision::core {

namespace {

std::atomic<int> g_signals{0};
std::atomic<int> g_first{0};

std::atomic<bool> g_status_line_shown{false};

void on_signal(int sig) {
    int expected = 0;
    g_first.compare_exchange_strong(expected, sig);
    const int count = g_signals.fetch_add(1) + 1;
    // Async-signal-safe notice on stderr: write(2) of a constant string.
    const char* text = interrupt_notice(count, status_line_shown());
    std::size_t length = 0;
    while (text[length] != '\0') {
        ++length;
    }
    [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, text, length);
}

}  // namespace

void install_interrupt_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR and notice the stop
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() noexcept {
    return g_signals.load() >= 1;
}
bool abort_requested() noexcept {
    return g_signals.load() >= 2;
}
int interrupt_signal() noexcept {
    return g_first.load();
}

void set_status_line_shown(bool shown) noexcept {
    g_status_line_shown.store(shown);
}

bool status_line_shown() noexcept {
    return g_status_line_shown.load();
}

const char* interrupt_notice(int count, bool status_line_shown) noexcept {
    // "\r\x1b[K" leaves the status line's row empty with the cursor at its start, so the
    // notice takes that row; the status line's next draw goes below the notice.
    if (count <= 1) {
        return status_line_shown ? "\r\x1b[Kprovision: stopping: no new work starts; finishing "
                                   "requests in flight (signal again to abort)\n"
                                 : "\nprovision: stopping: no new work starts; finishing "
                                   "requests in flight (signal again to abort)\n";
    }
    return status_line_shown ? "\r\x1b[Kprovision: aborting requests in flight; secrets already "
                               "received are still saved\n"
                             : "\nprovision: aborting requests in flight; secrets already "
                               "received are still saved\n";
}

}  // namespace provision::core
