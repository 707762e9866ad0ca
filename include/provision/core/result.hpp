#pragma once
/// Result<T>: a value or an Error, for expected run-time failures (portal unreachable, timeout,
/// 4xx/5xx, file not writable). Bugs and broken invariants are exceptions instead, caught in
/// one place (cli::run in src/cli/cli.cpp) that maps them to an exit code.

#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace provision::core {

/// What kind of failure an Error is. The executor decides retry and reconciliation from this,
/// never from message text.
enum class Errc {
    io,               ///< local file system
    invalid_input,    ///< the user's input (manifest, flags, files) is wrong
    not_sent,         ///< the request provably never reached the server (DNS, refused, TLS)
    timeout,          ///< the request may or may not have been processed
    connection_lost,  ///< connection dropped after the request was sent: outcome unknown
    http_status,      ///< the server answered with a non-2xx status (see Error::http_status)
    rate_limited,     ///< 429; Error::retry_after may say how long to wait
    unauthorized,     ///< 401: credential missing, invalid, expired or deactivated
    forbidden,        ///< 403: authenticated, but not allowed
    protocol,         ///< a response that does not follow the contract (malformed body, ...)
    redirect,         ///< a 3xx, refused; the message names the Location
    tls,              ///< certificate verification or TLS handshake failure
    cancelled,        ///< stopped by a signal
    deadline,         ///< the run's overall deadline passed; the request was not sent
    lock_held,        ///< another run holds the lock
    unknown_outcome,  ///< a create's outcome is unknown (it may have made a key); a later run
                      ///< settles it
    blocked,          ///< entries need a decision from the user; the rest was done
    partial_failure,  ///< some actions failed; every secret received was persisted
    not_persisted,    ///< a received secret could not be written; its key was revoked
    internal,         ///< a bug
};

/// Human-readable name of an Errc, e.g. "timeout".
const char* to_string(Errc code) noexcept;

struct Error {
    Errc code = Errc::internal;
    std::string message;  ///< complete sentence for the user; never contains a secret
    int http_status = 0;  ///< set for Errc::http_status, rate_limited, unauthorized, forbidden
    std::optional<std::chrono::seconds> retry_after;  ///< from a Retry-After header, if any
    /// The portal said it has no key with the id of a PUT or DELETE (DocSpace: HTTP 500 with a
    /// NullReferenceException body). Any other 500 leaves the key's fate unknown.
    bool unknown_id = false;
};

template <class T> class [[nodiscard]] Result {
public:
    Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {}      // NOLINT implicit
    Result(Error error) : m_data(std::in_place_index<1>, std::move(error)) {}  // NOLINT implicit

    bool ok() const noexcept { return m_data.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(m_data);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(m_data);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(m_data));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const {
        assert(!ok());
        return std::get<1>(m_data);
    }

private:
    std::variant<T, Error> m_data;
};

/// Result of an operation that yields nothing on success.
struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() {
    return Unit{};
}

inline Error make_error(Errc code, std::string message) {
    return Error{code, std::move(message), 0, std::nullopt};
}

}  // namespace provision::core
