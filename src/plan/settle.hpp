#pragma once
// Planning what interrupted creates left behind (PlanInput::pending).

#include "provision/plan/plan.hpp"

namespace provision::plan {

/// Appends one `settle` action per key a pending create made, and one per pending create
/// that no run has checked yet. A watched create that made nothing adds no action.
void plan_settlements(const PlanInput& in, Plan& plan);

}  // namespace provision::plan
