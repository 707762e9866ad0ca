// Removing the temporary files a killed run left: only this tool's names for the files the run
// owns, only regular files.

#include "provision/apply/leftovers.hpp"
#include "provision/output/age.hpp"

#include "process.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <fstream>

using namespace provision;
namespace fs = std::filesystem;

TEST_CASE("the tool's own temporary and probe names for a file are leftovers", "[leftovers]") {
    CHECK(apply::is_leftover_of(".bots.env.tmp-abcdefghij", "bots.env"));
    CHECK(apply::is_leftover_of(".bots.json.tmp-0a1b2c3d4e", "bots.json"));
    CHECK(apply::is_leftover_of(".bots.env.provision-probe-4242-1-a", "bots.env"));
    CHECK(apply::is_leftover_of(".bots.env.provision-probe-1-17-b", "bots.env"));
    CHECK(apply::is_leftover_of(".bots.state.json.tmp-zzzzzzzzzz", "bots.state.json"));
}

TEST_CASE("names that only look like the tool's temporary files are not leftovers", "[leftovers]") {
    for (const std::string name : {
             ".bots.env.tmp-short",        // suffix too short
             ".bots.env.tmp-abcdefghijk",  // too long
             ".bots.env.tmp-ABCDEFGHIJ",   // upper case is never generated
             ".bots.env.tmp-abcde_ghij",   // a character outside [a-z0-9]
             ".other.env.tmp-abcdefghij",  // another file's
             "notes.tmp-abcdefghij",       // a user's
             "bots.env.tmp-abcdefghij",    // no leading dot
             ".bots.env",                  // the name itself
             "bots.env",                   //
             ".bots.envx.tmp-abcdefghij",  // a longer name sharing the prefix
             ".bots.env.provision-probe-1-2-c",
             ".bots.env.provision-probe-1-a",
             ".bots.env.provision-probe-x-1-a",
             ".bots.env.provision-probe--1-a",
             ".bots.env.provision-probe-1-2-a.bak",
         }) {
        INFO(name);
        CHECK_FALSE(apply::is_leftover_of(name, "bots.env"));
    }
    CHECK_FALSE(apply::is_leftover_of(".tmp-abcdefghij", ""));
}

TEST_CASE("remove_leftovers removes only regular leftover files of the owned files",
          "[leftovers]") {
    test_support::TempDir dir;
    const auto secrets = dir / "secrets";
    fs::create_directories(secrets);
    const auto touch = [](const fs::path& path) { std::ofstream(path) << "sk-leftover\n"; };
    const std::vector<std::string> leftovers = {
        ".bots.env.tmp-abcdefghij", ".bots.env.provision-probe-99-3-b", ".bots.json.tmp-0123456789",
        ".bots.env.age.fingerprints.json.tmp-aaaaaaaaaa"};
    for (const auto& name : leftovers) {
        touch(secrets / name);
    }
    const std::vector<std::string> kept = {"bots.env", ".bots.env.tmp-short",
                                           ".other.env.tmp-abcdefghij", "notes.tmp-abcdefghij",
                                           ".unlisted.json.tmp-abcdefghij"};
    for (const auto& name : kept) {
        touch(secrets / name);
    }
    fs::create_directory(secrets / ".bots.json.tmp-dirdirdird");
    fs::create_symlink(secrets / "notes.tmp-abcdefghij", secrets / ".bots.json.tmp-linklinkli");
    touch(dir / ".bots.state.json.tmp-state00000");

    auto lock = apply::RunLock::acquire(dir / "bots.state.json.lock", std::chrono::milliseconds(0));
    REQUIRE(lock.ok());
    const auto removed = apply::remove_leftovers(
        lock.value(), {secrets / "bots.env", secrets / "bots.json",
                       output::age_index_path(secrets / "bots.env.age"), dir / "bots.state.json"});

    CHECK(removed.size() == leftovers.size() + 1);
    for (const auto& name : leftovers) {
        INFO(name);
        CHECK_FALSE(fs::exists(secrets / name));
    }
    CHECK_FALSE(fs::exists(dir / ".bots.state.json.tmp-state00000"));
    for (const auto& name : kept) {
        INFO(name);
        CHECK(fs::exists(secrets / name));
    }
    CHECK(fs::is_directory(secrets / ".bots.json.tmp-dirdirdird"));
    CHECK(fs::is_symlink(secrets / ".bots.json.tmp-linklinkli"));
}

TEST_CASE("the files a run owns are its outputs, their fingerprint indexes, the state and extras",
          "[leftovers]") {
    manifest::Manifest m;
    manifest::OutputSpec plain;
    plain.path = "/p/secrets/bots.env";
    manifest::OutputSpec sealed;
    sealed.path = "/p/secrets/bots.json.age";
    sealed.age_recipients = {"age1example"};
    m.outputs = {plain, sealed};
    m.state_path = "/p/bots.state.json";
    const auto owned = apply::owned_files(m, {"/p/bots.recovery"});
    CHECK(owned == std::vector<fs::path>{"/p/secrets/bots.env", "/p/secrets/bots.json.age",
                                         output::age_index_path("/p/secrets/bots.json.age"),
                                         "/p/bots.state.json", "/p/bots.state.json.recovery",
                                         "/p/bots.recovery"});
}
