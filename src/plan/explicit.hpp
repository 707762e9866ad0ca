#pragma once
// Plans the user asks for by name rather than by manifest drift: `provision destroy` (every
// managed key deleted) and `provision import` (one named key bound to one entry). They are
// plans like any other, so they are previewed, rendered as JSON, carried out by the executor
// under the journal and the lock, and exit with the same codes.

#include "provision/plan/plan.hpp"

namespace provision::plan {

/// One `remove` per key the state binds to an entry and one `retire` (delete at once) per
/// retiring key, listed or not (a caller's list may not show every key). A protected entry is
/// `blocked` unless PlanOptions::override_protect. Keys the state does not know are never in
/// it, whatever their names.
Plan plan_destroy(const PlanInput& in);

/// The one `import_key` action binding `request.id` to `request.entry`, or one `blocked`
/// action (reason import_refused) saying why it cannot be: the entry is not in the manifest,
/// no such key is on the portal, the key belongs to another entry or is retiring, or the entry
/// is bound to another key.
Plan plan_import(const PlanInput& in, const ImportRequest& request);

}  // namespace provision::plan
