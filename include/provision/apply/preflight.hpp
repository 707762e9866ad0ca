#pragma once
/// Checks of the outputs that refuse a run before anything reaches the portal: a plaintext
/// output git could commit (plan and apply), and, for a run that writes, an output whose
/// directory does not accept an atomic write or whose file is not safe to replace.

#include "provision/manifest/manifest.hpp"

#include <string>
#include <vector>

namespace provision::apply {

/// One message per refused output (empty = the run may go on). `writes`: the run is about to
/// write the outputs (apply), so each must accept an atomic write; otherwise (plan) only the
/// git guard applies.
std::vector<std::string> output_refusals(const manifest::Manifest& manifest, bool writes);

}  // namespace provision::apply
