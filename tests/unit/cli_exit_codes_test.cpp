// cli::most_severe: the exit code of a run of several manifests (docs/exit-codes.md).

#include "cli/exit_codes.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace provision::cli;

TEST_CASE("the exit code of several manifests is the most severe of theirs, in the documented "
          "order",
          "[cli]") {
    // docs/exit-codes.md "Several manifests", least severe first.
    const std::vector<int> order = {0, 2, 9, 10, 8, 4, 1, 3, 5, 6, 7, 143, 130};
    for (std::size_t i = 0; i < order.size(); ++i) {
        for (std::size_t j = 0; j < order.size(); ++j) {
            INFO(order[i] << " and " << order[j]);
            CHECK(most_severe(order[i], order[j]) == order[std::max(i, j)]);
        }
    }
    // plan --detailed-exitcode: any failure (1) outranks changes (2).
    CHECK(most_severe(k_exit_changes, k_exit_error) == k_exit_error);
}
