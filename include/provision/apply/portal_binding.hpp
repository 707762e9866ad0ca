#pragma once
/// A state belongs to one portal. Before a run reads or writes anything it checks that the
/// portal the manifest's URL reaches is the state's: the URL (normalised) and, when the state
/// recorded it, the portal's identity from GET /api/2.0/portal. A tenant id alone does not
/// prove two portals are one (every self-hosted server's first tenant may have the same id), so
/// a new URL is accepted only when the id and everything else both sides can see (alias, owner,
/// creation time) agree; otherwise the run is refused unless the user says --rebind-portal.

#include "provision/apply/executor.hpp"

#include <string>

namespace provision::apply {

struct Binding {
    /// A line for the log when the state moves to a new URL (empty when nothing changes).
    std::string warning;
};

/// Ok (with a warning when the URL moves) or invalid_input naming both portals and the ways
/// out. `rebind`: the user confirmed that the manifest's portal is the state's.
core::Result<Binding> check_portal_binding(const state::State& state, const std::string& url,
                                           const api::PortalIdentity& identity, bool rebind);

/// The state's portal record for `identity` (what a write records).
state::PortalRecord portal_record(const api::PortalIdentity& identity);

}  // namespace provision::apply
