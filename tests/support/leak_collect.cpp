// Leak collection: every file is written under a name made of the test process's pid and a
// counter, so the e2e tests CTest runs in parallel never write the same file.
#include "leak_collect.hpp"

#include "process.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace test_support::leak {
namespace {

namespace fs = std::filesystem;

std::atomic<int> g_counter{0};
std::string (*g_test_name_source)() = nullptr;

/// A fresh path under `kind` in the collection directory.
fs::path fresh_path(const fs::path& dir, const std::string& kind, const std::string& suffix) {
    const fs::path folder = dir / kind;
    fs::create_directories(folder);
    return folder / (std::to_string(::getpid()) + "-" + std::to_string(++g_counter) + suffix);
}

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

/// The running test's name, for finding where a leak came from.
std::string current_test() {
    try {
        return g_test_name_source != nullptr ? g_test_name_source() : "(no test)";
    } catch (...) {
        return "(no test)";
    }
}

bool mentions_provision(const std::string& arg) {
    return arg.find(provision_binary()) != std::string::npos;
}

}  // namespace

void set_test_name_source(std::string (*source)()) {
    g_test_name_source = source;
}

std::optional<fs::path> directory() {
    const char* dir = std::getenv("PROVISION_E2E_LEAK_DIR");
    if (dir == nullptr || *dir == '\0') {
        return std::nullopt;
    }
    return fs::path(dir);
}

bool runs_provision(const std::vector<std::string>& argv) {
    return std::any_of(argv.begin(), argv.end(), mentions_provision);
}

std::vector<std::string> traced(std::vector<std::string> argv) {
    if (!directory() || argv.empty()) {
        return argv;
    }
    const std::string binary = provision_binary();
    const bool has_level = std::any_of(argv.begin(), argv.end(), [](const std::string& arg) {
        return arg.find("--log-level") != std::string::npos;
    });
    if (has_level) {
        return argv;
    }
    if (argv[0] == binary) {
        argv.insert(argv.begin() + 1, {"--log-level", "trace"});
        return argv;
    }
    for (auto& arg : argv) {
        const auto at = arg.find(binary + " ");
        if (at != std::string::npos) {
            arg.insert(at + binary.size(), " --log-level trace");
        }
    }
    return argv;
}

void keep_transcript(const std::vector<std::string>& argv, const std::string& status,
                     const std::string& out, const std::string& err) {
    const auto dir = directory();
    if (!dir) {
        return;
    }
    std::string text = "# test: " + current_test() + "\n# argv:";
    for (const auto& arg : argv) {
        text += " " + arg;
    }
    text += "\n# status: " + status + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
    write_file(fresh_path(*dir, "transcripts", ".txt"), text);
}

void keep_given(const std::vector<std::string>& argv, const RunOptions& options) {
    const auto dir = directory();
    if (!dir) {
        return;
    }
    nlohmann::json given = nlohmann::json::array();
    const auto add = [&](const std::string& kind, std::string value) {
        while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) {
            value.pop_back();
        }
        if (value.size() >= 8) {
            given.push_back({{"kind", kind}, {"value", value}});
        }
    };
    const auto env = [&](const std::string& name) {
        const auto it = options.env.find(name);
        return it == options.env.end() ? std::string() : it->second;
    };
    const auto add_age_identity = [&](const std::string& text) {
        // Past the fixed "AGE-SECRET-KEY-1" prefix, which is no secret.
        const std::string prefix = "AGE-SECRET-KEY-1";
        const auto at = text.find(prefix);
        if (at != std::string::npos) {
            const auto start = at + prefix.size();
            add("age identity", text.substr(start, text.find('\n', start) - start));
        }
    };
    add("given token", env("DOCSPACE_TOKEN"));
    add("import secret", env("PROVISION_IMPORT_SECRET"));
    add_age_identity(env("PROVISION_AGE_IDENTITY"));
    if (const std::string file = env("PROVISION_AGE_IDENTITY_FILE"); !file.empty()) {
        std::ifstream in(file);
        add_age_identity(std::string(std::istreambuf_iterator<char>(in), {}));
    }
    const bool reads_stdin = std::any_of(argv.begin(), argv.end(), [](const std::string& arg) {
        return arg == "--token-stdin" || arg == "--secret-stdin";
    });
    if (reads_stdin && options.stdin_text) {
        add("stdin credential", *options.stdin_text);
    }
    if (!given.empty()) {
        write_file(fresh_path(*dir, "issued", ".json"),
                   nlohmann::json{{"keys", nlohmann::json::array()},
                                  {"tokens", nlohmann::json::array()},
                                  {"given", given}}
                       .dump(1));
    }
}

void keep_issued(const nlohmann::json& issued) {
    if (const auto dir = directory()) {
        write_file(fresh_path(*dir, "issued", ".json"), issued.dump(1));
    }
}

void keep_files(const fs::path& root, const std::vector<std::string>& skip) {
    const auto dir = directory();
    if (!dir || !fs::exists(root)) {
        return;
    }
    const fs::path target = fresh_path(*dir, "files", "");
    std::error_code ignored;
    for (auto it = fs::recursive_directory_iterator(root, ignored);
         it != fs::recursive_directory_iterator(); it.increment(ignored)) {
        const fs::path relative = fs::relative(it->path(), root, ignored);
        if (it->is_directory(ignored) &&
            std::find(skip.begin(), skip.end(), relative.string()) != skip.end()) {
            it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file(ignored) && !it->is_symlink(ignored)) {
            fs::create_directories((target / relative).parent_path(), ignored);
            fs::copy_file(it->path(), target / relative, ignored);
        }
    }
}

}  // namespace test_support::leak
