// The Catch2 main of every test executable. It also tells the leak collection (which has no
// Catch2 of its own, so the benchmarks can link it) the name of the running test.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "leak_collect.hpp"

namespace {

std::string current_test_name() {
    return Catch::getResultCapture().getCurrentTestName();
}

const bool g_test_named = (test_support::leak::set_test_name_source(&current_test_name), true);

}  // namespace
