#pragma once
// Credentials inside a state location (a postgresql:// URI, an https:// address): where they
// are, so that every message can print the location without them (state_store.hpp's
// redact_location) and a library's message that quotes the URL can be scrubbed, and taking
// them out of an address that is sent elsewhere.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace provision::apply {

/// Where the credentials of `url` are, as [begin, end) ranges: the password of user:PASSWORD@,
/// and the value of every query parameter whose name says it is one (password, sslpassword,
/// private_token, access_token, ...).
std::vector<std::pair<std::size_t, std::size_t>> credential_ranges(std::string_view url);

/// `text` with %XX sequences decoded.
std::string percent_decoded(std::string_view text);

/// An address without its user information, and the user and password it held (decoded).
struct UserInfo {
    std::string url;
    std::string user;
    std::string password;
};

/// `url` with `user:password@` (or `user@`) taken out of it.
UserInfo split_userinfo(const std::string& url);

}  // namespace provision::apply
