// The exit-code functions of cli/exit_codes.hpp: exit_code_for (failure kind -> code), plan's
// codes with and without --detailed-exitcode, and most_severe for a run of several manifests
// (docs/exit-codes.md).

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

TEST_CASE("each failure kind maps to its documented exit code", "[cli]") {
    using provision::core::Errc;
    CHECK(exit_code_for(Errc::invalid_input) == 3);
    CHECK(exit_code_for(Errc::lock_held) == 4);
    CHECK(exit_code_for(Errc::partial_failure) == 5);
    CHECK(exit_code_for(Errc::unknown_outcome) == 6);
    CHECK(exit_code_for(Errc::not_persisted) == 7);
    CHECK(exit_code_for(Errc::blocked) == 8);
    for (const Errc other : {Errc::io, Errc::timeout, Errc::http_status, Errc::unauthorized,
                             Errc::forbidden, Errc::tls, Errc::internal}) {
        CHECK(exit_code_for(other) == 1);
    }
}

TEST_CASE("plan exits 2 for changes only with --detailed-exitcode, where every failure exits 1",
          "[cli]") {
    provision::plan::Plan none;
    provision::plan::Plan changes;
    changes.actions.push_back(provision::plan::Action{});
    changes.actions.back().kind = provision::plan::ActionKind::create;
    CHECK(plan_exit_code(none, true) == 0);
    CHECK(plan_exit_code(changes, true) == 2);
    CHECK(plan_exit_code(changes, false) == 0);
    for (const int failure : {1, 3, 4, 6}) {
        CHECK(plan_failure_code(failure, true) == 1);
        CHECK(plan_failure_code(failure, false) == failure);
    }
    CHECK(plan_failure_code(0, true) == 0);
}
