#pragma once
/// Encrypted outputs that this run cannot decrypt ("sealed": no age identity is set). Their
/// fingerprint index says which secrets they hold, so the planner still knows those secrets are
/// kept; but such an output cannot be rewritten without losing them: outputs_view names them
/// (OutputsView::sealed), the planner flags a plan that would rewrite one
/// (Plan::sealed_rewrites), and apply::prepare refuses that plan before any key is created.

#include "provision/apply/executor.hpp"
#include "provision/output/output.hpp"

#include <map>
#include <string>
#include <vector>

namespace provision::apply {

/// Variable -> state fingerprint of the entries `spec` selects whose secret only a sealed
/// output holds (in world.sealed, not in world.secrets, recorded in the state).
std::map<std::string, std::string> sealed_for(const manifest::Manifest& manifest,
                                              const manifest::OutputSpec& spec, const World& world);

/// Whether writing `records` to the encrypted output `spec` would change what it holds. Decided
/// by its fingerprint index, since age output differs on every run: the variables and
/// fingerprints must match (sealed entries count as held) and, when every secret is known, the
/// fingerprint of the whole rendered text too (so metadata changes are written). The index comes
/// from World::age_indexes, read from the file the first time only.
bool encrypted_output_differs(const manifest::Manifest& manifest, const manifest::OutputSpec& spec,
                              const std::vector<output::SecretRecord>& records, World& world);

}  // namespace provision::apply
