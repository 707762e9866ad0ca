// leak_check: the suite-wide leak test's checker (reliability F.20; tests/CMakeLists.txt runs
// it after every e2e test, which all collect into one directory, see
// tests/support/leak_collect.hpp).
//
//   leak_check --reset DIR   empties DIR (before the suite)
//   leak_check DIR           searches DIR/transcripts and DIR/files for every key secret,
//                            token and other credential listed in DIR/issued; exits 1 listing
//                            file and byte offset
//                            of each hit (the secret redacted), or when too little was
//                            collected to prove anything; 0 otherwise.
#include "leak_scan.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Regular files under `dir`, sorted, so reports are stable.
std::vector<fs::path> files_under(const fs::path& dir) {
    std::vector<fs::path> files;
    if (!fs::exists(dir)) {
        return files;
    }
    for (const auto& item : fs::recursive_directory_iterator(dir)) {
        if (item.is_regular_file()) {
            files.push_back(item.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

struct Issued {
    std::vector<leak_scan::Credential> credentials;
    std::size_t keys = 0;
    std::size_t tokens = 0;
    std::size_t given = 0;  ///< credentials the tests handed provision
};

Issued read_issued(const fs::path& dir) {
    Issued issued;
    std::set<std::string> seen;
    const auto add = [&](const std::string& value, const std::string& kind) {
        if (seen.insert(value).second) {
            issued.credentials.push_back({value, kind});
            ++(kind == "key" ? issued.keys : kind == "token" ? issued.tokens : issued.given);
        }
    };
    std::vector<nlohmann::json> dumps;
    for (const auto& file : files_under(dir / "issued")) {
        dumps.push_back(nlohmann::json::parse(read_file(file)));
    }
    // What the emulators issued first, so a token a test also handed provision counts as
    // issued; then the other credentials the tests handed it.
    for (const auto& dump : dumps) {
        for (const auto& key : dump.at("keys")) {
            add(key.at("secret").get<std::string>(), "key");
        }
        for (const auto& token : dump.at("tokens")) {
            add(token.get<std::string>(), "token");
        }
    }
    for (const auto& dump : dumps) {
        for (const auto& given : dump.value("given", nlohmann::json::array())) {
            add(given.at("value").get<std::string>(), given.at("kind").get<std::string>());
        }
    }
    return issued;
}

/// The "# test: ..." line a transcript starts with, or "".
std::string test_of(const std::string& text) {
    if (text.rfind("# test: ", 0) != 0) {
        return "";
    }
    return text.substr(8, text.find('\n') - 8);
}

int reset(const fs::path& dir) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::cout << "leak_check: collecting into " << dir.string() << '\n';
    return 0;
}

int check(const fs::path& dir) {
    const Issued issued = read_issued(dir);
    const leak_scan::Scanner scanner(issued.credentials);
    std::size_t transcripts = 0;
    std::size_t traced = 0;
    std::size_t files = 0;
    std::size_t bytes = 0;
    std::size_t hits = 0;
    for (const std::string kind : {"transcripts", "files"}) {
        for (const auto& file : files_under(dir / kind)) {
            const std::string text = read_file(file);
            bytes += text.size();
            if (kind == "transcripts") {
                ++transcripts;
                // A trace line; on a terminal (script(1)) the level is coloured.
                if (text.find("\ntrace: ") != std::string::npos ||
                    text.find("trace\x1b[m: ") != std::string::npos) {
                    ++traced;
                }
            } else {
                ++files;
            }
            for (const auto& finding : scanner.scan(text)) {
                ++hits;
                std::cout << file.string() << ':' << finding.offset << ": " << finding.what << " ("
                          << finding.form << ")";
                if (const auto test = test_of(text); !test.empty()) {
                    std::cout << " in a run of test \"" << test << '"';
                }
                std::cout << '\n';
            }
        }
    }
    std::cout << "leak_check: " << transcripts << " provision runs (" << traced
              << " with trace output), " << files << " project files, " << bytes
              << " bytes searched for " << issued.keys << " key secrets and " << issued.tokens
              << " session tokens the emulators issued and " << issued.given
              << " other credentials the tests handed provision: " << hits << " hit(s)\n";
    if (hits > 0) {
        return 1;
    }
    if (transcripts == 0 || traced == 0 || issued.keys == 0 || issued.tokens == 0) {
        std::cout << "leak_check: too little was collected to prove anything; run it after the "
                     "e2e tests with PROVISION_E2E_LEAK_DIR="
                  << dir.string() << " (ctest -L e2e does)\n";
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    try {
        if (args.size() == 2 && args[0] == "--reset") {
            return reset(args[1]);
        }
        if (args.size() == 1 && !args[0].starts_with("-")) {
            return check(args[0]);
        }
    } catch (const std::exception& e) {
        std::cerr << "leak_check: " << e.what() << '\n';
        return 2;
    }
    std::cerr << "usage: leak_check --reset DIR | leak_check DIR\n";
    return 2;
}
