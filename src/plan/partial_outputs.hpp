#pragma once
// Outputs a plan may not rewrite whole. No partial outputs: an output is rewritten only when
// it would hold the secret of every managed key it is meant to hold (unless the output says
// allowPartial: true). No sealed rewrites: an encrypted output this run cannot decrypt is not
// rewritten at all. Both ask the same question of each action, rewrites().

#include "provision/plan/plan.hpp"

namespace provision::plan {

/// Whether carrying out `action` rewrites output `spec`: write_outputs rewrites every output;
/// a create, replace, delete, forget (of an entry, not of a retired key) or import with a known
/// secret rewrites the outputs that select its entry; nothing else writes an output.
bool rewrites(const Action& action, const manifest::OutputSpec& spec, const OutputsView& outputs);

/// Turns every action that would rewrite an output lacking a managed key's secret into a
/// `blocked` action (reason partial_output) naming the output and the entries it would lack.
/// An entry lacks its secret when the state binds it to a key, no output holds the secret and
/// the plan does not make it a new key.
void block_partial_outputs(const PlanInput& in, Plan& plan);

/// Records in plan.output_losses every output the plan's writes would leave without a secret
/// it holds now (an entry that left the manifest, a key that is not the state's), or empty.
/// Outputs the plan does not rewrite (partial ones) are left out. Call after
/// block_partial_outputs.
void flag_output_losses(const PlanInput& in, Plan& plan);

/// Records in plan.sealed_rewrites every output of in.outputs.sealed that an action of the
/// plan rewrites.
void flag_sealed_rewrites(const PlanInput& in, Plan& plan);

}  // namespace provision::plan
