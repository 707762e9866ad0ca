// The diagnostics of a run's entry names (plan.hpp: unknown_rotations, unknown_targets): each
// name that is no entry is one message, with a "did you mean" for the closest entry. Pure, like
// the rest of the planner; apply::prepare refuses the run on any of them.

#include "provision/plan/plan.hpp"

#include <algorithm>
#include <string_view>

namespace provision::plan {

namespace {

/// Levenshtein distance, for "did you mean".
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

/// "; did you mean 'X'?" for the closest of `names` (at most a third of the name apart).
std::string suggestion(const std::string& name, const std::vector<std::string>& names) {
    const std::string* best = nullptr;
    std::size_t best_distance = name.size() / 3 + 1;
    for (const auto& candidate : names) {
        if (const std::size_t d = distance(name, candidate); d < best_distance) {
            best = &candidate;
            best_distance = d;
        }
    }
    return best != nullptr ? "; did you mean '" + *best + "'?" : "";
}

std::vector<std::string> entry_names(const manifest::Manifest& manifest) {
    std::vector<std::string> entries;
    for (const auto& spec : manifest.keys) {
        entries.push_back(spec.name);
    }
    return entries;
}

}  // namespace

std::vector<std::string> unknown_rotations(const manifest::Manifest& manifest,
                                           const PlanOptions& options) {
    std::vector<std::string> messages;
    for (const auto& name : options.force_rotate) {
        if (manifest.find_key(name) == nullptr) {
            messages.push_back("--key '" + name + "' is not an entry of " + manifest.file.string() +
                               suggestion(name, entry_names(manifest)));
        }
    }
    return messages;
}

std::vector<std::string> unknown_targets(const manifest::Manifest& manifest,
                                         const state::State& state, const PlanOptions& options) {
    std::vector<std::string> entries = entry_names(manifest);
    std::vector<std::string> messages;
    for (const auto& record : state.keys) {
        entries.push_back(record.entry);
    }
    for (const auto& name : options.targets) {
        if (!options.force_rotate.contains(name) &&
            std::find(entries.begin(), entries.end(), name) == entries.end()) {
            messages.push_back("--target '" + name + "' is not an entry of " +
                               manifest.file.string() + " or of its state" +
                               suggestion(name, entries));
        }
    }
    return messages;
}

}  // namespace provision::plan
