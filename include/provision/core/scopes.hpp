#pragma once
/// Permission scopes of a DocSpace API key, normalised for comparison (contract §4, §11):
/// missing, [] or anything containing "*" all mean "unrestricted"; otherwise a set.

#include <string>
#include <string_view>
#include <vector>

namespace provision::core {

/// The 11 scope strings DocSpace accepts, in the order GET /api/2.0/keys/permissions returns.
const std::vector<std::string>& scope_catalogue();

bool is_known_scope(std::string_view scope) noexcept;

struct Scopes {
    bool unrestricted = false;
    std::vector<std::string> items;  ///< sorted, unique; empty when unrestricted

    /// From a list as written in a manifest or returned by the server.
    static Scopes from_list(const std::vector<std::string>& list);
    static Scopes all() { return Scopes{true, {}}; }

    /// What to send in a create/update body: ["*"] when unrestricted (never [], which the
    /// server treats as "no change" on PUT), else the sorted items.
    std::vector<std::string> to_request() const;

    /// "files:read, rooms:read" or "*" for tables and plans.
    std::string to_display() const;

    bool operator==(const Scopes&) const = default;
};

}  // namespace provision::core
