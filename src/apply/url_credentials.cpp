// Credentials inside a state location (url_credentials.hpp), and the functions of
// state_store.hpp that print or split a location without them.

#include "apply/url_credentials.hpp"

#include "provision/apply/state_store.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace provision::apply {

namespace {

constexpr auto npos = std::string_view::npos;

/// Where the user information `user:password@` of `url` ends (at its '@'); npos without one.
std::size_t userinfo_end(std::string_view url, std::size_t authority) {
    // The authority ends at the first '/', '?' or '#' (RFC 3986). A password holding one of
    // them unencoded moves that end into the password, so when the authority has no '@' the
    // URL's last '@' ends the user information: a URL with an '@' further on (?user=a@b)
    // then hides more than its password, never less.
    const auto end = url.find_first_of("/?#", authority);
    auto at = url.substr(0, end).rfind('@');
    if (at == npos || at < authority) {
        at = url.rfind('@');
    }
    return at != npos && at >= authority ? at : npos;
}

}  // namespace

std::vector<std::pair<std::size_t, std::size_t>> credential_ranges(std::string_view url) {
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    const auto scheme = url.find("://");
    if (scheme == npos) {
        return ranges;
    }
    const auto authority = scheme + 3;
    const auto at = userinfo_end(url, authority);
    const auto colon = url.find(':', authority);
    if (at != npos && at > authority && colon != npos && colon < at) {
        ranges.emplace_back(colon + 1, at);
    }
    for (std::size_t pos = url.find_first_of("?&", authority); pos != npos;
         pos = url.find_first_of("?&", pos + 1)) {
        const auto equals = url.find('=', pos + 1);
        if (equals == npos || url.substr(pos + 1, equals - pos - 1).find_first_of("?&#/") != npos) {
            continue;
        }
        std::string name(url.substr(pos + 1, equals - pos - 1));
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (name.find("password") != npos || name.find("passwd") != npos ||
            name.find("token") != npos || name.find("secret") != npos) {
            const auto value_end = url.find_first_of("&#", equals + 1);
            ranges.emplace_back(equals + 1, value_end == npos ? url.size() : value_end);
        }
    }
    return ranges;
}

std::string percent_decoded(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() &&
            std::isxdigit(static_cast<unsigned char>(text[i + 1])) != 0 &&
            std::isxdigit(static_cast<unsigned char>(text[i + 2])) != 0) {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

UserInfo split_userinfo(const std::string& url) {
    const auto scheme = url.find("://");
    const auto at = scheme == std::string::npos ? npos : userinfo_end(url, scheme + 3);
    if (at == npos) {
        return {url, "", ""};
    }
    const std::string_view info = std::string_view(url).substr(scheme + 3, at - scheme - 3);
    const auto colon = info.find(':');
    return {url.substr(0, scheme + 3) + url.substr(at + 1), percent_decoded(info.substr(0, colon)),
            colon == npos ? "" : percent_decoded(info.substr(colon + 1))};
}

std::string redact_location(std::string_view location) {
    std::string text(location);
    auto ranges = credential_ranges(location);
    std::sort(ranges.rbegin(), ranges.rend());  // from the end, so earlier offsets hold
    for (const auto& [begin, end] : ranges) {
        text.replace(begin, end - begin, "***");
    }
    return text;
}

std::string scrub_url_password(std::string text, std::string_view url) {
    for (const auto& [begin, end] : credential_ranges(url)) {
        const std::string raw(url.substr(begin, end - begin));
        // The password, raw and decoded, and the pieces a parser may have cut it into at a
        // character that should have been percent-encoded (libpq reads "pa" of "u:pa/ss@h" as
        // a port).
        std::vector<std::string> secrets{raw, percent_decoded(raw)};
        for (std::size_t from = 0, cut = 0; cut != npos; from = cut + 1) {
            cut = raw.find_first_of("/?#@", from);
            if (cut != npos || from > 0) {
                secrets.push_back(raw.substr(from, cut == npos ? npos : cut - from));
            }
        }
        std::sort(secrets.begin(), secrets.end(),
                  [](const auto& a, const auto& b) { return a.size() > b.size(); });
        for (const auto& secret : secrets) {
            if (secret.empty() || text.find(secret) == std::string::npos) {
                continue;
            }
            if (secret.size() < 4) {
                // Too short to replace without mangling the message: withhold all of it.
                return "(the message is withheld: it could hold part of the password; "
                       "percent-encode / ? # @ and % in a password in a URL)";
            }
            for (auto pos = text.find(secret); pos != std::string::npos;
                 pos = text.find(secret, pos + 3)) {
                text.replace(pos, secret.size(), "***");
            }
        }
    }
    return text;
}

std::pair<std::string, std::string> split_fragment(const std::string& url) {
    std::size_t from = 0;
    for (const auto& [begin, end] : credential_ranges(url)) {
        from = std::max(from, end);
    }
    const auto hash = url.find('#', from);
    if (hash == std::string::npos) {
        return {url, ""};
    }
    return {url.substr(0, hash), url.substr(hash + 1)};
}

}  // namespace provision::apply
