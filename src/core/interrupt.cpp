#include "provision/core/interrupt.hpp"

#include <atomic>
#include <csignal>
#include <unistd.h>

namespace provision::core {

namespace {

std::atomic<int> g_signals{0};
std::atomic<int> g_first{0};

void on_signal(int sig) {
    int expected = 0;
    g_first.compare_exchange_strong(expected, sig);
    const int count = g_signals.fetch_add(1) + 1;
    // Async-signal-safe notice on stderr.
    const char* text = count == 1 ? "\nprovision: stopping: no new work starts; finishing requests "
                                    "in flight (signal again to abort)\n"
                                  : "\nprovision: aborting requests in flight; secrets already "
                                    "received are still saved\n";
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

}  // namespace provision::core
