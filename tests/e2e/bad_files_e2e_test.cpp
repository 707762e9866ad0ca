// One rule for files the user hands provision: every invalid input file (token file, output,
// state file, the manifest) is exit 3 with a message saying what is wrong and what to do, before
// anything reaches the portal; and no error about a mangled file quotes the file.

#include "e2e_support.hpp"

#include <unistd.h>

using namespace e2e;

namespace {

const std::string k_marker = "hunter2-not-a-var";

/// The worked example with a token file instead of the token.
std::string manifest_with_token_file(const fs::path& token_file) {
    std::string text = bots_manifest();
    const std::string from = "token: ${DOCSPACE_TOKEN}";
    text.replace(text.find(from), from.size(), "tokenFile: " + token_file.string());
    return text;
}

/// `command` exits 3 with a message holding every needle, and the portal saw no API request.
void require_invalid_file(const Project& project, const ProcessResult& run,
                          const std::vector<std::string>& needles) {
    INFO(run.out << run.err);
    CHECK(run.exit_code == 3);
    for (const auto& needle : needles) {
        CHECK(run.err.find(needle) != std::string::npos);
    }
    CHECK(run.err.find("hunter2") == std::string::npos);
    CHECK(api_requests(project.emulator) == 0);
    CHECK(project.posts() == 0);
}

}  // namespace

TEST_CASE("a token file that is not a private regular file is exit 3 before any request",
          "[e2e][bad_files]") {
    Emulator emu;
    TempDir dir;
    const auto fifo = dir / "token.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const auto directory = dir / "token.d";
    fs::create_directory(directory);
    fs::permissions(directory, fs::perms::owner_all);
    const auto shared = dir / "token.txt";
    write_text(shared, Emulator::owner_token() + "\n");
    fs::permissions(shared, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                fs::perms::others_read);

    struct Case {
        fs::path file;
        std::vector<std::string> needles;
    };
    const std::vector<Case> cases = {
        {"/dev/zero", {"token file /dev/zero is not a regular file (it is a character device)"}},
        {fifo, {"is not a regular file (it is a FIFO)"}},
        {directory, {"is a directory; give the path of the file that holds the token"}},
        {shared, {"is readable by group or others; run `chmod 600 " + shared.string() + "`"}},
    };
    for (const auto& c : cases) {
        INFO("token file " << c.file.string());
        SECTION("portal.tokenFile: " + c.file.filename().string()) {
            Project project(emu, manifest_with_token_file(c.file));
            auto env = project.env();
            env.env.erase("DOCSPACE_TOKEN");
            env.unset_env.push_back("DOCSPACE_TOKEN");
            const auto applied = project.run({"apply", project.manifest.string()}, env);
            require_invalid_file(project, applied, c.needles);
            CHECK(applied.err.find("chmod 600 /dev/zero") == std::string::npos);
            CHECK(applied.err.find(Emulator::owner_token()) == std::string::npos);
        }
        SECTION("--token-file " + c.file.filename().string()) {
            Project project(emu);
            const auto planned = project.command("plan", {"--token-file", c.file.string()});
            require_invalid_file(project, planned, c.needles);
        }
    }
}

TEST_CASE("an output that is a symlink, a directory or a FIFO is exit 3 before any request",
          "[e2e][bad_files]") {
    Emulator emu;
    Project project(emu);
    fs::create_directories(project.secrets(""));
    std::string needle;
    SECTION("a symbolic link") {
        write_text(project.dir.path() / "elsewhere.env", "");
        fs::create_symlink(project.dir.path() / "elsewhere.env", project.secrets("bots.env"));
        needle = "it is a symbolic link; point the manifest at the real file instead";
    }
    SECTION("a directory") {
        fs::create_directory(project.secrets("bots.env"));
        needle = "it is a directory; give the path of a file inside it instead";
    }
    SECTION("a FIFO") {
        REQUIRE(::mkfifo(project.secrets("bots.env").c_str(), 0600) == 0);
        needle = "it is not a regular file (it is a FIFO); remove it or choose another path";
    }
    for (const std::string command : {"plan", "apply"}) {
        INFO(command);
        require_invalid_file(project, project.command(command), {"bots.env", needle});
    }
}

TEST_CASE("a mangled output of any format is exit 3 with its path, line and column, never its text",
          "[e2e][bad_files]") {
    Emulator emu;
    std::string manifest = bots_manifest();
    const std::string extra = "  - path: ../secrets/bots.yaml\n    format: yaml\n"
                              "  - path: ../secrets/bots-secret.yaml\n    format: kubernetes\n"
                              "    kubernetes: {name: bots}\n";
    manifest.insert(manifest.find("keys:\n"), extra);
    Project project(emu, manifest);

    struct Case {
        std::string file;
        std::string text;
        std::string position;
    };
    const std::vector<Case> cases = {
        {"bots.env", "# Managed by provision. Do not edit.\n" + k_marker + " 'x'\n",
         ":2:19: expected '='"},
        {"bots.json", "{\n  \"version\": 1,\n  \"keys\": {\"" + k_marker + "\": 7}\n}\n",
         ":3:33: expected an object"},
        {"bots.yaml", "version: 1\nkeys:\n  " + k_marker + ": {id: x}\n",
         ":3:22: expected a \"secret\" string"},
        {"bots-secret.yaml", "apiVersion: v1\nkind: Secret\ndata:\n  " + k_marker + ": \"!!\"\n",
         ":4:22: expected a base64 string"},
    };
    for (const auto& c : cases) {
        SECTION(c.file) {
            write_text(project.secrets(c.file), c.text);
            const auto planned = project.command("plan");
            require_invalid_file(project, planned, {"secrets/" + c.file + c.position});
        }
    }
}

TEST_CASE("a mangled state file is exit 3 with its path, line and column, never its text",
          "[e2e][bad_files]") {
    Emulator emu;
    Project project(emu);
    write_text(project.state_file(), "{\n  \"version\": 1,\n  \"" + k_marker +
                                         "\": 1,\n  \"portal\": \"\",\n  \"owner\": \"\",\n  "
                                         "\"keys\": [],\n  \"retiring\": []\n}\n");
    const auto planned = project.command("plan");
    require_invalid_file(project, planned, {"bots.state.json:3:24 is corrupt"});
}

TEST_CASE("a manifest that is not a regular file is exit 3 before any request",
          "[e2e][bad_files]") {
    Emulator emu;
    Project project(emu);
    const auto fifo = project.dir.path() / "manifest.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    require_invalid_file(project, project.run({"plan", fifo.string()}), {"not a regular file"});
    // A directory stands for the manifests in it (several_manifests_e2e_test.cpp): one with
    // none is refused.
    require_invalid_file(project, project.run({"plan", project.dir.path().string()}),
                         {"holds no manifest"});
}
