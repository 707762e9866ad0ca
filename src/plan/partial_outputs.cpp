// Outputs a plan may not rewrite whole (partial_outputs.hpp). An output is the whole truth for
// the tools that read it: a Kubernetes Secret rewritten without a live key and then applied
// with `kubectl apply` deletes that key from the cluster. So when the outputs lost a secret (a
// deleted directory, a fresh CI runner) and the entry keeps its key (onSecretUnknown: keep),
// the outputs that should hold it are left as they are and the run ends blocked (exit 8). An
// encrypted output without its identity is flagged instead (Plan::sealed_rewrites), since
// apply refuses such a plan as a whole.

#include "plan/partial_outputs.hpp"
#include "provision/core/text.hpp"

#include <algorithm>
#include <iterator>
#include <set>
#include <string_view>
#include <unordered_set>

namespace provision::plan {

namespace {

/// The manifest entries whose key the state binds but whose secret this run will not know
/// (no output holds it and the plan makes no new key), in manifest order. One pass: a lookup
/// per entry in the state would make planning quadratic.
std::vector<std::string> unknown_secrets(const PlanInput& in,
                                         const std::set<std::string>& renewed) {
    std::unordered_set<std::string_view> bound;
    for (const auto& record : in.state.keys) {
        bound.insert(record.entry);
    }
    std::vector<std::string> entries;
    for (const auto& key : in.manifest.keys) {
        if (bound.count(key.name) != 0 && in.outputs.entries_with_secret.count(key.name) == 0 &&
            renewed.count(key.name) == 0) {
            entries.push_back(key.name);
        }
    }
    return entries;
}

/// Those of `unknown` that output `spec` should hold.
std::vector<std::string> lacking(const manifest::OutputSpec& spec,
                                 const std::vector<std::string>& unknown) {
    std::vector<std::string> entries;
    std::copy_if(unknown.begin(), unknown.end(), std::back_inserter(entries),
                 [&](const std::string& entry) { return spec.selects(entry); });
    return entries;
}

/// The entries the plan gives a new key (and so a secret the outputs will hold).
std::set<std::string> renewed_entries(const Plan& plan) {
    std::set<std::string> renewed;
    for (const auto& action : plan.actions) {
        if (action.kind == ActionKind::create || action.kind == ActionKind::replace) {
            renewed.insert(action.entry);
        }
    }
    return renewed;
}

}  // namespace

bool rewrites(const Action& action, const manifest::OutputSpec& spec, const OutputsView& outputs) {
    switch (action.kind) {
    case ActionKind::write_outputs:
        return true;
    case ActionKind::create:
    case ActionKind::replace:
    case ActionKind::remove:
        return spec.selects(action.entry);
    case ActionKind::forget:  // a retired key's record holds no secret of the outputs
        return action.reasons.front() != Reason::grace_over && spec.selects(action.entry);
    case ActionKind::import_key:  // without the key's secret nothing is written
        return outputs.entries_with_secret.count(action.entry) != 0 && spec.selects(action.entry);
    default:
        return false;
    }
}

void block_partial_outputs(const PlanInput& in, Plan& plan) {
    const std::set<std::string> renewed = renewed_entries(plan);
    const auto unknown = unknown_secrets(in, renewed);
    if (unknown.empty()) {
        return;
    }
    for (const auto& spec : in.manifest.outputs) {
        if (spec.allow_partial) {
            continue;
        }
        const auto missing = lacking(spec, unknown);
        if (missing.empty()) {
            continue;
        }
        plan.partial_outputs.push_back(PartialOutput{spec.path_as_written, missing});
        for (auto& action : plan.actions) {
            if (!rewrites(action, spec, in.outputs)) {
                continue;
            }
            const std::string what = action.kind == ActionKind::write_outputs
                                         ? "rewriting the outputs"
                                         : std::string(to_string(action.kind));
            action.kind = ActionKind::blocked;
            action.reasons.push_back(Reason::partial_output);
            action.detail = what + " would leave output " + spec.path_as_written + " without " +
                            core::join(missing) +
                            " (secret unknown): it is left as it is. Restore "
                            "the output, let those keys be rotated (onSecretUnknown: rotate, or "
                            "`provision rotate --key`), or set allowPartial: true on the output";
        }
    }
}

void flag_output_losses(const PlanInput& in, Plan& plan) {
    if (in.outputs.held.empty()) {
        return;
    }
    const std::set<std::string> renewed = renewed_entries(plan);
    std::set<std::string_view> partial;
    for (const auto& output : plan.partial_outputs) {
        partial.insert(output.output);
    }
    for (const auto& spec : in.manifest.outputs) {
        const auto held = in.outputs.held.find(spec.path_as_written);
        if (held == in.outputs.held.end() || held->second.empty() ||
            partial.count(spec.path_as_written) != 0) {
            continue;
        }
        std::set<std::string> kept;
        for (const auto& key : in.manifest.keys) {
            if (spec.selects(key.name) && (in.outputs.entries_with_secret.count(key.name) != 0 ||
                                           renewed.count(key.name) != 0)) {
                kept.insert(key.name);
            }
        }
        OutputLoss loss{spec.path_as_written, {}, kept.empty()};
        std::set_difference(held->second.begin(), held->second.end(), kept.begin(), kept.end(),
                            std::back_inserter(loss.lost));
        if (!loss.lost.empty()) {
            plan.output_losses.push_back(std::move(loss));
        }
    }
}

void flag_sealed_rewrites(const PlanInput& in, Plan& plan) {
    for (const auto& spec : in.manifest.outputs) {
        if (in.outputs.sealed.count(spec.path_as_written) == 0) {
            continue;
        }
        if (std::any_of(plan.actions.begin(), plan.actions.end(),
                        [&](const Action& action) { return rewrites(action, spec, in.outputs); })) {
            plan.sealed_rewrites.push_back(spec.path_as_written);
        }
    }
}

}  // namespace provision::plan
