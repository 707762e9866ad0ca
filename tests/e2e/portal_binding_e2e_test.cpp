// A state belongs to one portal (issue 12, section 1): a run whose manifest reaches another
// portal is refused before any write, a new address of the same portal is accepted when its
// identity confirms it, --rebind-portal overrides, and --state / PROVISION_STATE / the
// manifest's state: give each portal its own state. Also the name checks of --target and the
// destroy preview.

#include "lifecycle_support.hpp"

using namespace e2e;

namespace {

/// The project's environment, pointed at `url` instead of its own emulator.
RunOptions at(const Project& project, const std::string& url) {
    auto options = project.env();
    options.env["DOCSPACE_URL"] = url;
    return options;
}

std::string localhost_url(const Emulator& emu) {
    return "http://localhost:" + std::to_string(emu.port());
}

}  // namespace

TEST_CASE("a run whose manifest reaches another portal is refused before any write, naming both",
          "[e2e][portal]") {
    Emulator staging;
    Emulator production;
    Project project(staging);
    apply_ok(project);
    const std::string state_before = read_text(project.state_file());
    const auto state = nlohmann::json::parse(state_before);
    CHECK(state.at("tenant").at("id") == 1);
    CHECK(state.at("tenant").at("alias") == "emulator");
    CHECK_FALSE(state.at("tenant").at("owner").get<std::string>().empty());

    for (const std::string command : {"plan", "apply", "status"}) {
        const auto refused =
            project.run({command, project.manifest.string()}, at(project, production.url()));
        INFO(command << ": " << refused.out << refused.err);
        CHECK(refused.exit_code == 3);
        CHECK(contains(refused.err, staging.url()));
        CHECK(contains(refused.err, production.url()));
        CHECK(contains(refused.err, "--rebind-portal"));
    }
    CHECK(production.count_requests("POST", "/api/2.0/keys") == 0);
    CHECK(production.state().at("keys").empty());
    CHECK(read_text(project.state_file()) == state_before);
    require_clean_plan(project);
}

TEST_CASE("the same portal at a new address is accepted when its identity confirms it, and the "
          "state records the address",
          "[e2e][portal]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    const auto moved =
        project.run({"apply", project.manifest.string()}, at(project, localhost_url(emu)));
    INFO(moved.out << moved.err);
    CHECK(moved.exit_code == 0);
    CHECK(contains(moved.err, "is now reached at"));
    CHECK(project.posts() == 3);  // nothing recreated
    // A run with changes records the new address; a no-op run only warns.
    const auto state = nlohmann::json::parse(read_text(project.state_file()));
    CHECK(state.at("portal") == emu.url());
    REQUIRE(project
                .run({"rotate", project.manifest.string(), "--key", "Audit Reader"},
                     at(project, localhost_url(emu)))
                .exit_code == 0);
    CHECK(nlohmann::json::parse(read_text(project.state_file())).at("portal") ==
          localhost_url(emu));
}

TEST_CASE("a state moves to another portal only on purpose, with --rebind-portal",
          "[e2e][portal]") {
    Emulator old_portal;
    Emulator new_portal;
    Project project(old_portal);
    apply_ok(project);
    const auto rebound = project.run({"apply", project.manifest.string(), "--rebind-portal"},
                                     at(project, new_portal.url()));
    INFO(rebound.out << rebound.err);
    CHECK(rebound.exit_code == 0);
    CHECK(contains(rebound.err, "--rebind-portal"));
    CHECK(contains(rebound.out, "missing_on_portal"));
    CHECK(new_portal.state().at("keys").size() == 3);
    CHECK(nlohmann::json::parse(read_text(project.state_file())).at("portal") == new_portal.url());
}

TEST_CASE("one manifest serves several portals with a state each: --state, PROVISION_STATE or "
          "state: with a variable",
          "[e2e][portal]") {
    Emulator staging;
    Emulator production;
    Project project(staging);
    SECTION("--state and PROVISION_STATE") {
        const auto staged = project.run({"apply", project.manifest.string(), "--state",
                                         (project.dir.path() / "staging.state.json").string()});
        INFO(staged.out << staged.err);
        REQUIRE(staged.exit_code == 0);
        auto options = at(project, production.url());
        options.env["PROVISION_STATE"] = (project.dir.path() / "production.state.json").string();
        const auto produced = project.run({"apply", project.manifest.string()}, options);
        INFO(produced.out << produced.err);
        REQUIRE(produced.exit_code == 0);
        CHECK(fs::exists(project.dir.path() / "staging.state.json"));
        CHECK(fs::exists(project.dir.path() / "production.state.json"));
        CHECK_FALSE(fs::exists(project.state_file()));
    }
    SECTION("state: with ${ENVIRONMENT}") {
        std::string text = bots_manifest();
        text.replace(text.find("portal:"), 7, "state: bots.${ENVIRONMENT}.state.json\nportal:");
        write_text(project.manifest, text);
        auto options = project.env();
        options.env["ENVIRONMENT"] = "staging";
        REQUIRE(project.run({"apply", project.manifest.string()}, options).exit_code == 0);
        options = at(project, production.url());
        options.env["ENVIRONMENT"] = "production";
        const auto produced = project.run({"apply", project.manifest.string()}, options);
        INFO(produced.out << produced.err);
        REQUIRE(produced.exit_code == 0);
        CHECK(fs::exists(project.dir.path() / "manifests" / "bots.staging.state.json"));
        CHECK(fs::exists(project.dir.path() / "manifests" / "bots.production.state.json"));
    }
    CHECK(staging.state().at("keys").size() == 3);
    CHECK(production.state().at("keys").size() == 3);
}

TEST_CASE("a --target or rotate --key naming no entry exits 3 with a suggestion", "[e2e][cli]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    const auto target = project.command("plan", {"--target", "Integration Bto"});
    CHECK(target.exit_code == 3);
    CHECK(contains(target.err, "did you mean 'Integration Bot'?"));
    const auto key = project.command("rotate", {"--key", "Nope"});
    CHECK(key.exit_code == 3);
    CHECK(contains(key.err, "--key 'Nope' is not an entry"));
    CHECK(project.posts() == 3);
}

TEST_CASE("plan --destroy previews destroy without deleting anything", "[e2e][destroy]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    const auto preview = project.command("plan", {"--destroy", "--detailed-exitcode"});
    INFO(preview.out << preview.err);
    CHECK(preview.exit_code == 2);
    CHECK(contains(preview.out, "destroy_requested"));
    CHECK(contains(preview.out, "3 to delete"));
    const auto log = emu.requests();
    CHECK(std::none_of(log.begin(), log.end(),
                       [](const auto& r) { return r.at("method") == "DELETE"; }));
    CHECK(emu.state().at("keys").size() == 3);
    CHECK(project.command("plan", {"--destroy", "--out", "x.plan"}).exit_code == 3);
}
