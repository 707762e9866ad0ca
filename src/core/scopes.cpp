#include "provision/core/scopes.hpp"

#include <algorithm>

namespace provision::core {

const std::vector<std::string>& scope_catalogue() {
    static const std::vector<std::string> k_catalogue = {"*",
                                                         "*:read",
                                                         "*:write",
                                                         "accounts:read",
                                                         "accounts:write",
                                                         "accounts.self:read",
                                                         "accounts.self:write",
                                                         "files:read",
                                                         "files:write",
                                                         "rooms:read",
                                                         "rooms:write"};
    return k_catalogue;
}

bool is_known_scope(std::string_view scope) noexcept {
    const auto& all = scope_catalogue();
    return std::find(all.begin(), all.end(), scope) != all.end();
}

Scopes Scopes::from_list(const std::vector<std::string>& list) {
    if (list.empty() || std::find(list.begin(), list.end(), "*") != list.end()) {
        return Scopes::all();
    }
    Scopes scopes;
    scopes.items = list;
    std::sort(scopes.items.begin(), scopes.items.end());
    scopes.items.erase(std::unique(scopes.items.begin(), scopes.items.end()), scopes.items.end());
    return scopes;
}

std::vector<std::string> Scopes::to_request() const {
    if (unrestricted) {
        return {"*"};
    }
    return items;
}

std::string Scopes::to_display() const {
    if (unrestricted) {
        return "*";
    }
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) {
            out += ", ";
        }
        out += item;
    }
    return out;
}

}  // namespace provision::core
