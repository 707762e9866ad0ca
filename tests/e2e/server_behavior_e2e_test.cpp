// provision against both emulator profiles (contract Appendix B): what a later server answers
// with an API-layer 403, v3.7.2 answers with 200 `false` or lets through; provision must say
// the same clear thing in both and never loop. tests/CMakeLists.txt runs this file, like the
// whole suite, once per profile (Emulator::server_behavior()).

#include "lifecycle_support.hpp"

using namespace e2e;

TEST_CASE(
    "destroy with another user's credential says the key is not theirs, asks once and keeps it",
    "[e2e][behavior]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest());
    apply_ok(project);
    const std::string id = only_key(emu, "Integration Bot").at("id");
    const std::string user = emu.create_user("someone@example.com", "User");
    emu.clear_requests();

    auto env = project.env();
    env.env["DOCSPACE_TOKEN"] = user;
    const auto destroyed =
        project.run({"destroy", project.manifest.string(), "--auto-approve"}, env);
    INFO(destroyed.out << destroyed.err);
    CHECK(destroyed.exit_code == 5);
    CHECK(contains(destroyed.err, "it is not yours"));
    CHECK(emu.count_requests("DELETE", "/api/2.0/keys/" + id) == 1);
    CHECK(key_exists(emu, id));
    CHECK(contains(read_text(project.state_file()), id));
    CHECK_FALSE(contains(destroyed.out + destroyed.err, user));
}

TEST_CASE("a guest's apply fails with a clear message and creates nothing", "[e2e][behavior]") {
    Emulator emu;
    Project project(emu, lifecycle_manifest());
    const std::string guest = emu.create_user("guest@example.com", "Guest");
    auto env = project.env();
    env.env["DOCSPACE_TOKEN"] = guest;
    const auto applied = project.run({"apply", project.manifest.string()}, env);
    INFO(applied.out << applied.err);
    CHECK(applied.exit_code != 0);
    CHECK(contains(applied.err, "HTTP 403"));
    const std::string profile = Emulator::server_behavior();
    CHECK(emu.state().at("settings").at("serverBehavior") ==
          (profile.empty() ? "latest" : profile));
    if (profile == "3.7.2") {
        // v3.7.2 lets a guest list (nothing) and refuses the create, once.
        CHECK(contains(applied.err, "creating 'Integration Bot'"));
        CHECK(contains(applied.err, "Access denied"));
        CHECK(project.posts() == 1);
    } else {
        CHECK(contains(applied.err, "may not list API keys"));
        CHECK(project.posts() == 0);
    }
    CHECK(emu.state().at("keys").empty());
    CHECK_FALSE(contains(applied.out + applied.err, guest));
}
