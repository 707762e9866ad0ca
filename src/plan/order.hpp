#pragma once
// The order every plan lists its actions in, kept in one place so that plan, apply, status and
// destroy agree (README.md, "Using it"): the manifest's entries in the manifest's order; then
// the state's records of entries the manifest no longer has, in the state's order (by entry
// name, as the state file keeps them, whatever order they are in memory); then replaced keys
// still retiring, by when they retire. Only targeted entries (--target) are listed.

#include "provision/plan/plan.hpp"

#include <vector>

namespace provision::plan {

/// The state's records of entries the manifest no longer has, in the state's order.
std::vector<const state::ManagedKey*> removed_records(const PlanInput& in);

/// Every record of the state: the manifest's entries' in the manifest's order, then
/// removed_records.
std::vector<const state::ManagedKey*> records_in_plan_order(const PlanInput& in);

/// The state's retiring keys, by when they retire (then by id).
std::vector<const state::RetiringKey*> retiring_in_plan_order(const PlanInput& in);

}  // namespace provision::plan
