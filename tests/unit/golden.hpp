#pragma once
// Golden files: what a renderer prints, kept in tests/data/golden/ so that a change of output is
// a reviewed change of a file. PROVISION_UPDATE_GOLDEN=1 rewrites them from the actual output.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace golden {

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

inline void check_golden(const std::string& name, const std::string& actual) {
    const std::filesystem::path path =
        std::filesystem::path(PROJECT_SOURCE_DIR) / "tests/data/golden" / name;
    const char* update = std::getenv("PROVISION_UPDATE_GOLDEN");
    if (update != nullptr && std::string(update) == "1") {
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << actual;
        WARN("regenerated " << path);
    }
    REQUIRE(std::filesystem::exists(path));
    const std::string expected = read_text(path);
    INFO("golden file " << path << " differs; rerun with PROVISION_UPDATE_GOLDEN=1 if intended");
    CHECK(actual == expected);
}

}  // namespace golden
