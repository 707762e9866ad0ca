#pragma once
/// The `/__emulator/` test-control routes (docs/emulator.md "Test controls").

#include "faults.hpp"
#include "http_types.hpp"
#include "portal.hpp"

namespace emulator {

/// Answers one test-control request; 404 for an unknown control route.
ApiResponse handle_control(const ApiRequest& request, Portal& portal, FaultSet& faults,
                           RequestLog& log);

}  // namespace emulator
