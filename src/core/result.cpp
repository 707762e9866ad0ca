#include "provision/core/result.hpp"

namespace provision::core {

const char* to_string(Errc code) noexcept {
    switch (code) {
    case Errc::io:
        return "io";
    case Errc::invalid_input:
        return "invalid_input";
    case Errc::not_sent:
        return "not_sent";
    case Errc::timeout:
        return "timeout";
    case Errc::connection_lost:
        return "connection_lost";
    case Errc::http_status:
        return "http_status";
    case Errc::rate_limited:
        return "rate_limited";
    case Errc::unauthorized:
        return "unauthorized";
    case Errc::forbidden:
        return "forbidden";
    case Errc::protocol:
        return "protocol";
    case Errc::redirect:
        return "redirect";
    case Errc::tls:
        return "tls";
    case Errc::cancelled:
        return "cancelled";
    case Errc::deadline:
        return "deadline";
    case Errc::lock_held:
        return "lock_held";
    case Errc::unknown_outcome:
        return "unknown_outcome";
    case Errc::blocked:
        return "blocked";
    case Errc::partial_failure:
        return "partial_failure";
    case Errc::not_persisted:
        return "not_persisted";
    case Errc::internal:
        return "internal";
    }
    return "internal";
}

}  // namespace provision::core
