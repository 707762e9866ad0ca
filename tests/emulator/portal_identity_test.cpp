// Contract Appendix B: GET /api/2.0/portal, the identity of the tenant a request reached, with
// `--tenant-id` / `--tenant-alias`, a new id for every registered portal, in both profiles.
#include "helpers.hpp"

using namespace emulator_test;

namespace {

const std::string k_portal = "/api/2.0/portal";

json portal_of(const Emulator& emulator, const std::string& auth) {
    const HttpResult result = emulator.get(k_portal, auth);
    REQUIRE(result.status == 200);
    const json envelope = result.json();
    CHECK(envelope.at("status") == 0);
    CHECK(envelope.at("links").at(0).at("action") == "GET");
    return envelope.at("response");
}

/// Registers a portal and returns the register answer's `tenant`.
json register_portal(const Emulator& emulator, const std::string& name, const std::string& email) {
    const HttpResult result = emulator.post("/apisystem/portal/register",
                                            {{"portalName", name},
                                             {"firstName", "Ada"},
                                             {"lastName", "King"},
                                             {"email", email},
                                             {"password", "S3cret!"},
                                             {"language", "en"}},
                                            "");
    REQUIRE(result.status == 200);
    return result.json().at("tenant");
}

std::string log_in(const Emulator& emulator, const std::string& email) {
    return "Bearer " +
           emulator
               .post("/api/2.0/authentication", {{"userName", email}, {"password", "S3cret!"}}, "")
               .json()
               .at("response")
               .at("token")
               .get<std::string>();
}

}  // namespace

TEST_CASE("the owner reads the whole portal identity, in both profiles", "[portal][identity]") {
    for (const std::string profile : {"3.7.2", "latest"}) {
        CAPTURE(profile);
        Emulator emulator({"--server-behavior", profile});
        const json portal = portal_of(emulator, owner_auth());
        CHECK(portal.at("tenantId") == 1);
        CHECK(portal.at("tenantAlias") == "emulator");
        CHECK(portal.at("name") == "emulator");
        CHECK(portal.at("ownerId") == owner_id(emulator));
        CHECK(is_api_date(portal.at("creationDateTime")));
    }
}

TEST_CASE("the tenant id and alias options set the start-up identity", "[portal][identity]") {
    Emulator emulator({"--tenant-id", "4711", "--tenant-alias", "acme"});
    const json portal = portal_of(emulator, owner_auth());
    CHECK(portal.at("tenantId") == 4711);
    CHECK(portal.at("tenantAlias") == "acme");
    CHECK(emulator.state().at("tenant").at("id") == 4711);
}

TEST_CASE("without the portal-settings right only tenantId is filled, with no error",
          "[portal][identity]") {
    Emulator emulator({"--tenant-id", "7"});
    for (const std::string role : {"RoomAdmin", "User", "Guest"}) {
        CAPTURE(role);
        const std::string auth = "Bearer " + emulator.create_user(role + "@example.com", role);
        CHECK(portal_of(emulator, auth) == json{{"tenantId", 7}});
    }
    const std::string admin = "Bearer " + emulator.create_user("a@example.com", "DocSpaceAdmin");
    CHECK(portal_of(emulator, admin).at("tenantAlias") == "emulator");
}

TEST_CASE("the portal route needs a credential, and an API key passes the scope gate",
          "[portal][identity][auth]") {
    Emulator emulator;
    CHECK(emulator.get(k_portal, "").status == 401);
    CHECK(emulator.get(k_portal, "Bearer not-a-token").status == 401);
    const json full = emulator.create_key(owner_auth(), {{"name", "full"}});
    CHECK(portal_of(emulator, key_auth(full)).at("tenantAlias") == "emulator");
    const json reader =
        emulator.create_key(owner_auth(), {{"name", "reader"}, {"permissions", {"*:read"}}});
    CHECK(portal_of(emulator, key_auth(reader)).at("tenantId") == 1);
    const json files =
        emulator.create_key(owner_auth(), {{"name", "files"}, {"permissions", {"files:read"}}});
    CHECK(emulator.get(k_portal, key_auth(files)).status == 403);
    CHECK(emulator.post(k_portal, json::object(), owner_auth()).status == 404);
}

TEST_CASE("every registered portal gets a new tenant id, also after a reset",
          "[portal][identity][register]") {
    Emulator emulator;
    const json first = register_portal(emulator, "First", "ada@example.com");
    CHECK(first.at("tenantId") == 2);
    const json portal = portal_of(emulator, log_in(emulator, "ada@example.com"));
    CHECK(portal.at("tenantId") == 2);
    CHECK(portal.at("tenantAlias") == "first");
    CHECK(portal.at("name") == "First");
    CHECK(portal.at("ownerId") == first.at("ownerId"));
    const json second = register_portal(emulator, "Second", "bob@example.com");
    CHECK(second.at("tenantId") == 3);
    emulator.reset();
    CHECK(portal_of(emulator, owner_auth()).at("tenantId") == 1);
    CHECK(register_portal(emulator, "Third", "cy@example.com").at("tenantId") == 4);
}

TEST_CASE("a state file keeps the tenant identity across a restart", "[portal][persistence]") {
    test_support::TempDir dir;
    const std::string file = (dir / "state.json").string();
    {
        Emulator emulator({"--state-file", file, "--tenant-id", "9"});
        register_portal(emulator, "Kept", "ada@example.com");
    }
    Emulator restarted({"--state-file", file});
    const json portal = portal_of(restarted, log_in(restarted, "ada@example.com"));
    CHECK(portal.at("tenantId") == 10);
    CHECK(portal.at("tenantAlias") == "kept");
    CHECK(register_portal(restarted, "Next", "bob@example.com").at("tenantId") == 11);
}
