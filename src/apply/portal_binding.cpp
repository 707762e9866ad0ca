// The state's portal check (portal_binding.hpp). The rules, in order:
//   a state that manages nothing yet      -> any portal (it is recorded with the first write)
//   same URL, identities known and apart  -> refused: another portal now answers at that URL
//   same URL otherwise                    -> ok
//   new URL, identity confirmed           -> ok, with a warning; the new URL is recorded
//   new URL, not confirmed                -> refused, unless --rebind-portal

#include "provision/apply/portal_binding.hpp"

#include "provision/api/http_keys_api.hpp"

namespace provision::apply {

namespace {

bool manages_nothing(const state::State& state) {
    return state.keys.empty() && state.retiring.empty();
}

/// How the recorded portal compares with the one answering now.
enum class Match { unknown, same, different };

Match compare(const state::PortalRecord& recorded, const api::PortalIdentity& now) {
    if (!recorded.tenant_id || !now.tenant_id) {
        return Match::unknown;
    }
    if (*recorded.tenant_id != *now.tenant_id) {
        return Match::different;
    }
    bool confirmed = false;
    const auto check = [&](bool both_known, bool equal) {
        if (both_known) {
            confirmed = confirmed || equal;
            return equal;
        }
        return true;
    };
    const bool agree =
        check(!recorded.alias.empty() && !now.alias.empty(), recorded.alias == now.alias) &&
        check(!recorded.owner_id.empty() && !now.owner_id.empty(),
              recorded.owner_id == now.owner_id) &&
        check(recorded.created && now.created, recorded.created == now.created);
    if (!agree) {
        return Match::different;
    }
    return confirmed ? Match::same : Match::unknown;
}

std::string describe(const std::string& url, const std::optional<long long>& tenant,
                     const std::string& alias) {
    std::string text = url;
    if (tenant) {
        text +=
            " (tenant " + std::to_string(*tenant) + (alias.empty() ? "" : " '" + alias + "'") + ")";
    }
    return text;
}

core::Error refused(const state::State& state, const std::string& url,
                    const api::PortalIdentity& identity, const std::string& why) {
    const auto& recorded = state.portal.value_or(state::PortalRecord{});
    return core::make_error(
        core::Errc::invalid_input,
        "the state belongs to portal " +
            describe(state.portal_url, recorded.tenant_id, recorded.alias) + ", but the manifest " +
            "reaches " + describe(url, identity.tenant_id, identity.alias) + ": " + why +
            "; nothing was changed. Point DOCSPACE_URL (portal.url) at the state's portal, use a "
            "state per portal (--state, PROVISION_STATE or the manifest's state:), or pass "
            "--rebind-portal if this is the same portal under a new address");
}

}  // namespace

state::PortalRecord portal_record(const api::PortalIdentity& identity) {
    return state::PortalRecord{identity.tenant_id, identity.alias, identity.owner_id,
                               identity.created};
}

core::Result<Binding> check_portal_binding(const state::State& state, const std::string& url,
                                           const api::PortalIdentity& identity, bool rebind) {
    if (manages_nothing(state) || state.portal_url.empty()) {
        return Binding{};
    }
    const bool same_url =
        api::normalize_portal_url(state.portal_url) == api::normalize_portal_url(url);
    const Match match = state.portal ? compare(*state.portal, identity) : Match::unknown;
    if (rebind && (!same_url || match == Match::different)) {
        return Binding{"--rebind-portal: the state of " + state.portal_url + " now belongs to " +
                       url + "; its keys are looked for there"};
    }
    if (match == Match::different) {
        return refused(state, url, identity,
                       same_url ? "another portal answers at that address now"
                                : "they are different portals");
    }
    if (same_url) {
        return Binding{};
    }
    if (match == Match::same) {
        return Binding{"the portal " + state.portal_url + " is now reached at " + url +
                       " (the same tenant, confirmed by its identity); the state records the "
                       "new address"};
    }
    return refused(state, url, identity,
                   "the portal's identity does not confirm that they are the same portal");
}

}  // namespace provision::apply
