// Authentication as DocSpace's scheme selection does it (contract §5, Appendix B): API keys as
// `Bearer sk-...`, session tokens raw, after `Bearer ` or in the `asc_auth_key` cookie, Basic
// credentials; then the scope gate of §4 for API-key callers.
#include "ids.hpp"
#include "portal.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace emulator {
namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
}

std::string trim(const std::string& text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

/// Basic credentials: "" when not base64 (a multiple of 4 characters, as .NET requires too).
std::string decode_base64(const std::string& text) {
    std::string out(text.size() / 4 * 3, '\0');
    const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                       reinterpret_cast<const unsigned char*>(text.data()),
                                       static_cast<int>(text.size()));
    // EVP_DecodeBlock counts the zero bytes the padding stands for.
    const std::size_t padding = text.size() - std::min(text.size(), text.find_last_not_of('=') + 1);
    if (length < 0 || padding > std::min<std::size_t>(2, static_cast<std::size_t>(length))) {
        return {};
    }
    out.resize(static_cast<std::size_t>(length) - padding);
    return out;
}

/// The value of cookie `name` in a Cookie header ("a=1; b=2"), or "" when absent.
std::string cookie_value(const std::string& header, const std::string& name) {
    std::size_t start = 0;
    while (start < header.size()) {
        const auto end = std::min(header.find(';', start), header.size());
        const std::string pair = trim(header.substr(start, end - start));
        const auto equals = pair.find('=');
        if (equals != std::string::npos && pair.substr(0, equals) == name) {
            return pair.substr(equals + 1);
        }
        start = end + 1;
    }
    return {};
}

}  // namespace

std::optional<Portal::Caller> Portal::authenticate(const ApiRequest& request) {
    std::string header = trim(request.header("authorization"));
    if (header.empty()) {
        // No Authorization header: the session token may come as the asc_auth_key cookie.
        // When both are sent, the header wins (Appendix A).
        header = cookie_value(request.header("cookie"), "asc_auth_key");
        if (header.empty()) {
            return std::nullopt;
        }
        return session_caller(header);
    }
    if (starts_with(header, "Bearer ")) {
        // The server cuts exactly 7 characters and uses the rest as is: "Bearer  sk-..." picks
        // the key handler (it trims to choose) but then looks up " sk-...", which matches nothing.
        const std::string token = header.substr(7);
        if (starts_with(trim(token), "sk-")) {
            const auto key = std::find_if(m_state.keys.begin(), m_state.keys.end(),
                                          [&](const ApiKey& k) { return k.secret == token; });
            const Ticks now = now_ticks();
            if (key == m_state.keys.end() || !key->is_active ||
                (key->expires_at && *key->expires_at <= now)) {
                return std::nullopt;
            }
            const User* owner = find_user(key->create_by);
            if (owner == nullptr || !owner->active) {
                return std::nullopt;
            }
            key->last_used = round_to_seconds(now);
            save();
            Caller caller{owner->id, owner->is_admin(), owner->role, AuthKind::apikey, key->id, {}};
            caller.claims =
                key->unrestricted() ? std::vector<std::string>{"*:write"} : *key->permissions;
            return caller;
        }
        header = token;
    } else if (starts_with(header, "Basic ")) {
        const std::string pair = decode_base64(trim(header.substr(6)));
        const auto colon = pair.find(':');
        if (colon == std::string::npos) {
            return std::nullopt;
        }
        for (const User& user : m_state.users) {
            if (to_lower(user.email) == to_lower(pair.substr(0, colon)) &&
                user.password == pair.substr(colon + 1) && user.active) {
                return Caller{user.id, user.is_admin(), user.role, AuthKind::session,
                              {},      {"*:write"}};
            }
        }
        return std::nullopt;
    }
    return session_caller(header);
}

std::optional<Portal::Caller> Portal::session_caller(const std::string& token) const {
    for (const User& user : m_state.users) {
        if (user.active &&
            std::find(user.tokens.begin(), user.tokens.end(), token) != user.tokens.end()) {
            return Caller{user.id, user.is_admin(), user.role, AuthKind::session, {}, {"*:write"}};
        }
    }
    return std::nullopt;
}

bool Portal::scope_allows(const Caller& caller, const std::string& method,
                          const std::string& path) const {
    if (caller.kind != AuthKind::apikey) {
        return true;
    }
    const std::string base = "/api/2.0/";
    const std::string rest = starts_with(path, base) ? path.substr(base.size()) : path;
    const bool read = method == "GET";
    if (read && rest == "keys/@self") {
        return true;
    }
    std::vector<std::string> allowed;
    if (starts_with(rest, "group")) {
        allowed = {read ? "accounts:read" : "accounts:write"};
    } else {
        std::string family;
        if (starts_with(rest, "files/rooms")) {
            family = "rooms";
        } else if (starts_with(rest, "files")) {
            family = "files";
        } else if (starts_with(rest, "people/@self")) {
            family = "accounts.self";
        } else if (starts_with(rest, "people")) {
            family = "accounts";
        }
        if (!family.empty()) {
            if (read) {
                allowed.push_back(family + ":read");
            }
            allowed.push_back(family + ":write");
        }
    }
    if (read) {
        allowed.emplace_back("*:read");
    }
    allowed.emplace_back("*:write");
    return std::any_of(caller.claims.begin(), caller.claims.end(), [&](const std::string& c) {
        return std::find(allowed.begin(), allowed.end(), c) != allowed.end();
    });
}

std::optional<Portal::Caller> Portal::admit(const ApiRequest& request, AuthKind& auth,
                                            std::optional<ApiResponse>& denied) {
    auto caller = authenticate(request);
    if (!caller) {
        denied = empty_status(401);
        return std::nullopt;
    }
    auth = caller->kind;
    if (!scope_allows(*caller, request.method, request.path)) {
        denied = empty_status(403);
        return std::nullopt;
    }
    return caller;
}

}  // namespace emulator
