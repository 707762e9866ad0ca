// provision audit against a seeded portal: managed keys beside hand-made ones (unrestricted,
// never expiring, unused for 120 days, expired but active). The audit finds exactly those, in
// text, JSON and Prometheus, exits 10, and changes nothing. Also: policy violations refused by
// validate without a token (all four in one manifest, and each rule alone), plan's policy
// finding for portal drift, and status's last use.

#include "lifecycle_support.hpp"

#include <set>

using namespace e2e;
using namespace std::chrono_literals;

namespace {

const char* const k_audit_manifest = R"(version: 1
portal:
  url: ${DOCSPACE_URL}
  token: ${DOCSPACE_TOKEN}
outputs:
  - path: ../secrets/bots.env
    format: dotenv
keys:
  - name: Deploy Bot
    permissions: [files:read, files:write]
    expiresInDays: 30
  - name: Backup Agent
    permissions: [files:read, rooms:read]
    expiresInDays: 90
policy:
  allowedScopes: ["files:*", rooms:read]
  forbidUnrestricted: true
  requireExpiry: true
)";

using FindingSet = std::set<std::pair<std::string, std::string>>;  // key name, rule

/// The hand-made keys every audit test starts from, made as the owner, then aged through the
/// emulator's test controls; "Legacy Admin" is handed to a second admin with createBy.
struct SeededPortal {
    std::string carol_id;
    std::map<std::string, std::string> ids;  // name -> key id

    explicit SeededPortal(const Emulator& emu) {
        const std::string carol = emu.create_user("carol@example.com", "DocSpaceAdmin");
        carol_id = emu.get("/api/2.0/people/@self", carol).json().at("response").at("id");
        const std::string owner = Emulator::owner_token();
        auto make = [&](const std::string& name, const nlohmann::json& body) {
            nlohmann::json request = body;
            request["name"] = name;
            ids[name] = emu.create_key(owner, request).at("id").get<std::string>();
        };
        make("Legacy Admin", {{"permissions", {"*"}}, {"expiresInDays", 30}});
        make("Forever Sync", {{"permissions", {"files:read"}}});
        make("Old Report", {{"permissions", {"files:read"}}, {"expiresInDays", 365}});
        make("Stale Importer", {{"permissions", {"files:read"}}, {"expiresInDays", 30}});
        emu.patch_key(ids["Legacy Admin"],
                      {{"createBy", carol_id}, {"lastUsed", iso_from_now(-2h)}});
        emu.patch_key(ids["Forever Sync"], {{"lastUsed", iso_from_now(-24h)}});
        emu.patch_key(ids["Old Report"], {{"createOn", iso_from_now(-200 * 24h)},
                                          {"expiresAt", iso_from_now(165 * 24h)},
                                          {"lastUsed", iso_from_now(-120 * 24h)}});
        emu.patch_key(ids["Stale Importer"], {{"createOn", iso_from_now(-40 * 24h)},
                                              {"expiresAt", iso_from_now(-10 * 24h)},
                                              {"lastUsed", iso_from_now(-20 * 24h)},
                                              {"isActive", true}});
    }
};

const FindingSet k_seeded_findings = {{"Legacy Admin", "unrestricted-scope"},
                                      {"Forever Sync", "never-expires"},
                                      {"Old Report", "unused"},
                                      {"Stale Importer", "expired-but-active"}};

FindingSet findings_of(const nlohmann::json& audit) {
    FindingSet out;
    for (const auto& f : audit.at("findings")) {
        out.emplace(f.at("keyName").get<std::string>(), f.at("rule").get<std::string>());
    }
    return out;
}

/// The lines of the text report's findings section.
std::vector<std::string> finding_lines(const std::string& text) {
    std::vector<std::string> lines;
    const auto start = text.find("\nFindings:\n");
    if (start == std::string::npos) {
        return lines;
    }
    std::istringstream in(text.substr(start + 11));
    for (std::string line; std::getline(in, line) && !line.empty();) {
        lines.push_back(line);
    }
    return lines;
}

/// Every file under the project, with its contents: the audit must leave them as they were.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file()) {
            files[entry.path().string()] = read_text(entry.path());
        }
    }
    return files;
}

/// `provision validate` of the project's manifest with no token in its environment.
auto validate_without_token(Project& project) {
    auto env = project.env();
    env.env.erase("DOCSPACE_TOKEN");
    env.unset_env.push_back("DOCSPACE_TOKEN");
    return project.run({"validate", project.manifest.string()}, env);
}

}  // namespace

TEST_CASE("audit finds exactly the hand-made risky keys beside the managed ones and exits 10",
          "[e2e][audit]") {
    Emulator emu;
    Project project(emu, k_audit_manifest);
    apply_ok(project);
    const SeededPortal seeded(emu);
    const auto before = snapshot(project.dir.path());
    emu.clear_requests();

    const auto text = project.command("audit");
    INFO(text.out << text.err);
    CHECK(text.exit_code == 10);
    for (const std::string name : {"Deploy Bot", "Backup Agent", "Legacy Admin", "Forever Sync",
                                   "Old Report", "Stale Importer"}) {
        CHECK(contains(text.out, name));
    }
    const auto lines = finding_lines(text.out);
    CHECK(lines.size() == k_seeded_findings.size());
    for (const auto& [name, rule] : k_seeded_findings) {
        CHECK(std::count_if(lines.begin(), lines.end(),
                            [&, &n = name, &r = rule](const std::string& l) {
                                return contains(l, " " + r + " ") && contains(l, n + " sk-***");
                            }) == 1);
    }
    CHECK(contains(text.out,
                   "6 key(s) on the portal: 2 managed, 4 unmanaged. 1 error(s), 3 warning(s)."));
    CHECK(contains(text.err, "findings at or above --fail-on warning"));
    check_no_secret(emu, text.out + text.err);

    const auto json_run = project.command("audit", {"--output", "json"});
    CHECK(json_run.exit_code == 10);
    const auto json = nlohmann::json::parse(json_run.out);
    CHECK(json.at("formatVersion") == 1);
    CHECK(findings_of(json) == k_seeded_findings);
    CHECK(json.at("summary").at("managed") == 2);
    CHECK(json.at("summary").at("unmanaged") == 4);
    for (const auto& key : json.at("keys")) {
        const std::string name = key.at("name");
        INFO(name);
        if (name == "Deploy Bot" || name == "Backup Agent") {
            CHECK(key.at("managed").at("entry") == name);
            CHECK(key.at("managed").at("manifest") == project.manifest.string());
            CHECK(key.at("findings").empty());
        } else {
            CHECK(key.at("managed").is_null());
        }
        if (name == "Legacy Admin") {
            CHECK(key.at("createdBy").at("id") == seeded.carol_id);
            CHECK(key.at("scopes") == nlohmann::json::array({"*"}));
        }
        if (name == "Forever Sync") {
            CHECK(key.at("expiresAt").is_null());
        }
        if (name == "Old Report") {
            CHECK_FALSE(key.at("lastUsedAt").is_null());
        }
    }
    check_no_secret(emu, json_run.out + json_run.err);

    const auto prom = project.command("audit", {"--output", "prometheus"});
    CHECK(prom.exit_code == 10);
    CHECK(contains(prom.out, "provision_audit_keys{managed=\"true\"} 2\n"));
    CHECK(contains(prom.out, "provision_audit_findings{rule=\"unused\",severity=\"warning\"} 1\n"));
    CHECK(contains(
        prom.out,
        "provision_audit_findings{rule=\"scopes-exceed-manifest\",severity=\"error\"} 0\n"));
    check_no_secret(emu, prom.out + prom.err);

    // Read-only: the portal saw only key lists, and no file of the project changed.
    const auto all = emu.requests();
    for (const auto& r : all) {
        CHECK(r.at("method") == "GET");
    }
    CHECK(emu.count_requests("GET", "/api/2.0/keys") == 3);
    CHECK(snapshot(project.dir.path()) == before);
}

TEST_CASE("audit --fail-on error ignores warnings, and --unused-for moves the limit",
          "[e2e][audit]") {
    Emulator emu;
    Project project(emu, k_audit_manifest);
    apply_ok(project);
    const SeededPortal seeded(emu);
    CHECK(project.command("audit", {"--fail-on", "error"}).exit_code == 10);
    emu.patch_key(seeded.ids.at("Legacy Admin"), {{"permissions", {"files:read"}}});
    CHECK(project.command("audit", {"--fail-on", "error"}).exit_code == 0);
    CHECK(project.command("audit").exit_code == 10);

    const auto longer = project.command("audit", {"--unused-for", "150d", "--output", "json"});
    const auto json = nlohmann::json::parse(longer.out);
    CHECK(findings_of(json) ==
          FindingSet{{"Forever Sync", "never-expires"}, {"Stale Importer", "expired-but-active"}});
    CHECK(json.at("unusedForSeconds") == 150 * 86400);
    CHECK(project.command("audit", {"--unused-for", "soon"}).exit_code == 3);
    CHECK(project.command("audit", {"--fail-on", "info"}).exit_code == 3);
}

TEST_CASE("audit without a manifest lists every key as unmanaged", "[e2e][audit]") {
    Emulator emu;
    Project project(emu, k_audit_manifest);
    apply_ok(project);
    const auto r = project.run({"audit", "--output", "json"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);  // managed keys are fine, and nothing else is on the portal
    const auto json = nlohmann::json::parse(r.out);
    CHECK(json.at("summary").at("unmanaged") == 2);
    CHECK(json.at("portal") == emu.url());

    auto no_url = project.env();
    no_url.unset_env.push_back("DOCSPACE_URL");
    no_url.env.erase("DOCSPACE_URL");
    CHECK(project.run({"audit"}, no_url).exit_code == 3);
}

TEST_CASE("audit reports widened managed keys and unmanaged keys named like an entry, and plan "
          "shows the policy finding",
          "[e2e][audit]") {
    Emulator emu;
    Project project(emu, k_audit_manifest);
    apply_ok(project);
    const std::string deploy = only_key(emu, "Deploy Bot").at("id");
    emu.patch_key(deploy, {{"permissions", {"files:read", "files:write", "rooms:write"}}});
    emu.create_key(
        Emulator::owner_token(),
        {{"name", "Backup Agent"}, {"permissions", {"files:read"}}, {"expiresInDays", 7}});

    const auto r = project.command("audit", {"--output", "json"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 10);
    CHECK(findings_of(nlohmann::json::parse(r.out)) ==
          FindingSet{{"Deploy Bot", "scopes-exceed-manifest"},
                     {"Backup Agent", "unmanaged-name-match"}});

    const auto plan = project.command("plan");
    INFO(plan.out << plan.err);
    CHECK(contains(plan.out, "Policy findings"));
    CHECK(contains(
        plan.out,
        "on the portal: policy.allowedScopes: `rooms:write` is not among the allowed scopes"));
    const auto plan_json = nlohmann::json::parse(project.command("plan", {"--output", "json"}).out);
    REQUIRE(plan_json.at("findings").size() == 1);
    CHECK(plan_json.at("findings")[0].at("entry") == "Deploy Bot");
    CHECK(plan_json.at("findings")[0].at("rule") == "policy.allowedScopes");
}

TEST_CASE("validate refuses a manifest breaking each policy rule, without a token",
          "[e2e][audit][policy]") {
    Emulator emu;  // not contacted: validate is offline
    Project project(emu, R"(version: 1
portal:
  url: https://portal.example.com
outputs:
  - path: ../secrets/bots.env
    format: dotenv
keys:
  - name: Long Lived
    permissions: [files:read]
    expiresInDays: 120
  - name: Everything
    permissions: ["*"]
    expiresInDays: 30
  - name: Room Writer
    permissions: [rooms:write]
    expiresInDays: 30
  - name: Forever
    permissions: [files:read]
    expiresInDays: never
policy:
  maxExpiresInDays: 90
  forbidUnrestricted: true
  allowedScopes: ["files:*", "*:read"]
  requireExpiry: true
)");
    const auto r = validate_without_token(project);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 3);
    const std::string file = project.manifest.string();
    CHECK(contains(r.err, file + ":10:20: error: keys[0].expiresInDays: policy.maxExpiresInDays:"));
    CHECK(contains(r.err,
                   file + ":12:19: error: keys[1].permissions[0]: policy.forbidUnrestricted:"));
    CHECK(contains(
        r.err,
        file + ":15:19: error: keys[2].permissions[0]: policy.allowedScopes: `rooms:write`"));
    CHECK(contains(r.err, file + ":19:20: error: keys[3].expiresInDays: policy.requireExpiry:"));
    CHECK(api_requests(emu) == 0);
}

TEST_CASE("validate refuses a manifest that breaks one policy rule alone, at its position",
          "[e2e][audit][policy]") {
    struct Case {
        const char* rule;
        const char* entry;   // the one entry's permissions and expiresInDays lines
        const char* policy;  // the policy block's one rule
        const char* where;   // line:col of the error
        const char* path;
    };
    const Case c = GENERATE(
        Case{"policy.maxExpiresInDays", "    permissions: [files:read]\n    expiresInDays: 120\n",
             "  maxExpiresInDays: 90\n", ":10:20:", "keys[0].expiresInDays"},
        Case{"policy.forbidUnrestricted", "    permissions: [\"*\"]\n    expiresInDays: 30\n",
             "  forbidUnrestricted: true\n", ":9:19:", "keys[0].permissions[0]"},
        Case{"policy.allowedScopes", "    permissions: [rooms:write]\n    expiresInDays: 30\n",
             "  allowedScopes: [\"files:*\"]\n", ":9:19:", "keys[0].permissions[0]"},
        Case{"policy.requireExpiry", "    permissions: [files:read]\n    expiresInDays: never\n",
             "  requireExpiry: true\n", ":10:20:", "keys[0].expiresInDays"});
    INFO(c.rule);
    Emulator emu;  // not contacted: validate is offline
    Project project(emu, std::string("version: 1\nportal:\n  url: https://portal.example.com\n"
                                     "outputs:\n  - path: ../secrets/bots.env\n"
                                     "    format: dotenv\nkeys:\n  - name: Only Entry\n") +
                             c.entry + "policy:\n" + c.policy);
    const auto r = validate_without_token(project);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, project.manifest.string() + c.where + " error: " + c.path + ": " +
                              c.rule + ":"));
    std::size_t errors = 0;
    for (auto at = r.err.find(" error: "); at != std::string::npos;
         at = r.err.find(" error: ", at + 1)) {
        ++errors;
    }
    CHECK(errors == 1);  // that rule, and nothing else
    CHECK(api_requests(emu) == 0);
}

TEST_CASE("status shows when each managed key was last used", "[e2e][audit][status]") {
    Emulator emu;
    Project project(emu, k_audit_manifest);
    apply_ok(project);
    emu.patch_key(only_key(emu, "Deploy Bot").at("id"),
                  {{"lastUsed", iso_from_now(-3 * 24h - 1h)}});

    const auto text = project.command("status");
    INFO(text.out << text.err);
    REQUIRE(text.exit_code == 0);
    CHECK(contains(text.out, "LAST USED"));
    CHECK(contains(text.out, "used 3d ago"));
    CHECK(contains(text.out, "never used"));

    const auto json = nlohmann::json::parse(project.command("status", {"--output", "json"}).out);
    for (const auto& key : json.at("keys")) {
        if (key.at("entry") == "Deploy Bot") {
            CHECK(key.at("lastUsed") == "used 3d ago");
            CHECK_FALSE(key.at("lastUsedAt").is_null());
        } else {
            CHECK(key.at("lastUsed") == "never used");
            CHECK(key.at("lastUsedAt").is_null());
        }
    }
}
