// The order plans list their actions in (order.hpp).

#include "plan/order.hpp"

#include <algorithm>
#include <string_view>
#include <tuple>
#include <unordered_set>

namespace provision::plan {

std::vector<const state::ManagedKey*> removed_records(const PlanInput& in) {
    std::unordered_set<std::string_view> in_manifest;
    for (const auto& spec : in.manifest.keys) {
        in_manifest.insert(spec.name);
    }
    std::vector<const state::ManagedKey*> removed;
    for (const auto& record : in.state.keys) {
        if (in_manifest.count(record.entry) == 0 && in.options.targeted(record.entry)) {
            removed.push_back(&record);
        }
    }
    std::stable_sort(removed.begin(), removed.end(),
                     [](const auto* a, const auto* b) { return a->entry < b->entry; });
    return removed;
}

std::vector<const state::ManagedKey*> records_in_plan_order(const PlanInput& in) {
    const state::StateIndex index(in.state);
    std::vector<const state::ManagedKey*> records;
    for (const auto& spec : in.manifest.keys) {
        if (const auto* record = index.find(spec.name);
            record != nullptr && in.options.targeted(spec.name)) {
            records.push_back(record);
        }
    }
    const auto removed = removed_records(in);
    records.insert(records.end(), removed.begin(), removed.end());
    return records;
}

std::vector<const state::RetiringKey*> retiring_in_plan_order(const PlanInput& in) {
    std::vector<const state::RetiringKey*> retiring;
    for (const auto& r : in.state.retiring) {
        if (in.options.targeted(r.entry)) {
            retiring.push_back(&r);
        }
    }
    std::sort(retiring.begin(), retiring.end(), [](const auto* a, const auto* b) {
        return std::tie(a->retire_after, a->id) < std::tie(b->retire_after, b->id);
    });
    return retiring;
}

}  // namespace provision::plan
