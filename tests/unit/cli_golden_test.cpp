// Golden output of every subcommand that prints something (issue 16): status, apply, rotate,
// destroy, import, validate, audit, state migrate and unlock, and errors, each rendered by the
// function the command prints with, from fixed inputs at a fixed `now`, and compared with
// tests/data/golden/ (PROVISION_UPDATE_GOLDEN=1 rewrites the files; golden.hpp). The README's
// and docs/'s example outputs are copies of these files (tests/doc_examples_check.py).
//
// The forms: text and JSON for each (and status's and audit's Prometheus form); colour on and
// off for the outputs that have colour, which are the plans that apply, rotate, destroy and
// import print first (status, audit, validate, state and errors are never coloured: the test
// says so by finding no escape code); 80 and 200 columns for the tables that take the
// terminal's width (status and audit), and the piped form (no width: every cell whole). The
// other outputs do not depend on the width. plan itself is in plan_render_test.cpp.

#include "cli/apply_run.hpp"
#include "cli/command_text.hpp"
#include "cli/common.hpp"
#include "cli/session.hpp"
#include "cli/status_report.hpp"
#include "golden.hpp"
#include "provision/audit/render.hpp"
#include "provision/plan/render.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace provision;
using plan::ActionKind;
using plan::Reason;
using std::chrono::hours;

namespace {

const core::Timestamp k_now = *core::parse_iso8601("2026-07-01T12:00:00Z");

hours days(int n) {
    return hours(24 * n);
}

const char* const k_manifest = R"(version: 1
portal:
  url: https://portal.example.com
  token: ${DOCSPACE_TOKEN}
outputs:
  - path: ../secrets/bots.env
    format: dotenv
  - path: ../secrets/bots.json
    format: json
keys:
  - name: Integration Bot
    permissions: [files:read, files:write, rooms:read, rooms:write]
    expiresInDays: 30
  - name: Backup Agent
    permissions: [files:read, rooms:read]
    expiresInDays: 90
  - name: Audit Reader
    permissions: ["*:read"]
    expiresInDays: never
  - name: Report Exporter
    permissions: [files:read, files:write, rooms:read, rooms:write, accounts:read, accounts.self:read]
    expiresInDays: 30
  - name: Deploy Bot
    permissions: [files:read]
    expiresInDays: 30
)";

manifest::LoadResult load_text(const std::string& text) {
    const manifest::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "DOCSPACE_TOKEN") {
            return std::string("session-token-for-tests");
        }
        return std::nullopt;
    };
    return manifest::load_manifest_text(text, "manifests/bots.yaml", env);
}

manifest::Manifest bots() {
    auto loaded = load_text(k_manifest);
    REQUIRE(loaded.manifest);
    // Never on disk: status's Prometheus form then has no last-apply series.
    loaded.manifest->state_path = "/nonexistent/bots.state.json";
    return std::move(*loaded.manifest);
}

state::ManagedKey managed(const std::string& entry, const std::string& id,
                          const std::string& postfix, std::vector<std::string> scopes,
                          std::optional<int> expires_in_days) {
    state::ManagedKey key;
    key.entry = entry;
    key.id = id;
    key.name = entry;
    key.postfix = postfix;
    key.permissions = core::Scopes::from_list(scopes);
    key.expires_in_days = expires_in_days;
    key.created_at = k_now - days(10);
    if (expires_in_days) {
        key.expires_at = key.created_at + days(*expires_in_days);
    }
    return key;
}

api::ApiKey observed_of(const state::ManagedKey& record) {
    api::ApiKey key;
    key.id = record.id;
    key.name = record.name;
    key.postfix = record.postfix;
    key.permissions = record.permissions;
    key.create_on = record.created_at;
    key.expires_at = record.expires_at;
    key.created_by_id = "aa11bb22-cc33-dd44-ee55-ff6677889900";
    key.created_by_name = "Ada Owner";
    return key;
}

/// Every state a status row can have: active and used, expired an hour ago, a secret no output
/// holds, deactivated, gone from the portal, not created yet, an entry the manifest no longer
/// has (listed last), long scope lists; a retiring key, an interrupted create and one key the
/// manifest does not manage.
cli::Session status_session() {
    cli::Session session;
    session.manifest = bots();
    auto& world = session.world;
    auto integration = managed("Integration Bot", "3f2a7c51-0b9e-4d2a-8c11-5e6f7a8b9c0d", "9f3a",
                               {"files:read", "files:write", "rooms:read", "rooms:write"}, 30);
    auto backup = managed("Backup Agent", "6b1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5", "ab12",
                          {"files:read", "rooms:read"}, 90);
    backup.expires_at = k_now - hours(1);
    auto reader = managed("Audit Reader", "0c1d2e3f-4a5b-4c6d-8e7f-0123456789ab", "77aa",
                          {"*:read"}, std::nullopt);
    auto exporter = managed("Report Exporter", "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", "4da7",
                            {"files:read", "files:write", "rooms:read", "rooms:write",
                             "accounts:read", "accounts.self:read"},
                            30);
    auto old =
        managed("Old Bot", "e1e1e1e1-2f3a-4b5c-8d6e-7f8091a2b3c4", "e1e1", {"files:read"}, 30);
    // The state is sorted by entry.
    world.state.keys = {reader, backup, integration, old, exporter};
    auto used = observed_of(integration);
    used.last_used = k_now - days(3);
    auto deactivated = observed_of(old);
    deactivated.is_active = false;
    api::ApiKey stranger;
    stranger.id = "8c1d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f";
    stranger.name = "Legacy Admin";
    stranger.postfix = "cd56";
    stranger.create_on = k_now - days(40);
    // Report Exporter's key is gone from the portal: "missing".
    world.observed = std::vector<api::ApiKey>{used, observed_of(backup), observed_of(reader),
                                              deactivated, stranger};
    world.secrets.emplace("Integration Bot", core::Secret{std::string(64, 'a')});
    world.secrets.emplace("Backup Agent", core::Secret{std::string(64, 'b')});
    state::RetiringKey retiring;
    retiring.entry = "Integration Bot";
    retiring.id = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";
    retiring.postfix = "1b2c";
    retiring.expires_at = k_now + days(20);
    retiring.retire_after = k_now + days(6);
    retiring.reason = "rotation_due";
    world.state.retiring = {retiring};
    plan::PendingCreate pending;
    pending.entry = "Deploy Bot";
    pending.sent_at = k_now - hours(2);
    pending.made = {{"7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", "c3d4", false}};
    session.pending = {pending};
    return session;
}

plan::Action action(ActionKind kind, Reason reason, const std::string& entry,
                    const std::string& postfix = {}, const std::string& detail = {}) {
    plan::Action a;
    a.kind = kind;
    a.reasons = {reason};
    a.entry = entry;
    a.postfix = postfix;
    a.detail = detail;
    return a;
}

bool has_escape(const std::string& text) {
    return text.find('\x1b') != std::string::npos;
}

/// What a command that carries out a plan prints on stdout in text mode: the plan, then its
/// report (execute_session, destroy and import print these, in this order).
/// `coloured_plan`: whether the plan has a coloured symbol (import's "<=" has none).
void check_run(const std::string& name, const plan::Plan& p, const apply::ApplyReport& report,
               const std::string& verb, const std::string& after = {}, bool coloured_plan = true) {
    const std::string plain = plan::render_text(p, {false, false}) + cli::report_text(report, verb);
    const std::string coloured =
        plan::render_text(p, {true, false}) + cli::report_text(report, verb);
    CHECK_FALSE(has_escape(plain));
    golden::check_golden(name + ".txt", plain + after);
    CHECK(has_escape(coloured) == coloured_plan);
    if (coloured_plan) {
        golden::check_golden(name + "-color.txt", coloured + after);
    } else {
        CHECK(coloured == plain);  // colour changes nothing
    }
    golden::check_golden(name + ".json", cli::report_document(report, p) + "\n");
}

}  // namespace

TEST_CASE("status: the table at 80 and 200 columns and piped, JSON and Prometheus match their "
          "golden files",
          "[cli][golden]") {
    const auto session = status_session();
    const auto window = std::optional<std::chrono::seconds>(days(14));
    const auto view = cli::status_of(session, "manifests/bots.yaml", k_now, window);
    const std::string piped = cli::render_status_text(view, k_now, 0);
    const std::string narrow = cli::render_status_text(view, k_now, 80);
    const std::string wide = cli::render_status_text(view, k_now, 200);
    for (const auto* text : {&piped, &narrow, &wide}) {
        CHECK_FALSE(has_escape(*text));
    }
    // The table's lines fit the terminal; piped, nothing is cut.
    const auto longest = [](const std::string& text) {
        std::size_t most = 0;
        std::size_t start = 0;
        for (std::size_t end = text.find('\n'); end != std::string::npos;
             start = end + 1, end = text.find('\n', start)) {
            most = std::max(most, end - start);
        }
        return most;
    };
    // At 80 columns the names, scopes and states are cut ("..."), and the ids to their first 8
    // characters, last: the table fits. KEY and EXPIRES IN are never cut. At 200 it fits whole;
    // piped, nothing is cut.
    const auto table = [](const std::string& text) { return text.substr(0, text.find("\n\n")); };
    CHECK(table(narrow).find("Int...") != std::string::npos);
    CHECK(table(narrow).find("3f2a7c51-0b...") != std::string::npos);
    CHECK(longest(table(narrow)) <= 80);
    CHECK(table(wide).find("3f2a7c51-0b9e-4d2a-8c11-5e6f7a8b9c0d") != std::string::npos);
    CHECK(longest(table(narrow)) < longest(table(wide)));
    CHECK(longest(table(wide)) <= 200);
    CHECK(piped.find("accounts.self:read, accounts:read, files:read") != std::string::npos);
    golden::check_golden("status.txt", piped);
    golden::check_golden("status-80.txt", narrow);
    golden::check_golden("status-200.txt", wide);
    golden::check_golden("status.json", cli::status_json(view, k_now, window).dump(2) + "\n");
    golden::check_golden("status.prom", cli::status_prometheus({view}));
}

TEST_CASE("apply: the plan and the report, with and without colour, and its JSON document match "
          "their golden files",
          "[cli][golden]") {
    plan::Plan p;
    p.actions.push_back(action(ActionKind::create, Reason::new_entry, "Integration Bot"));
    auto update = action(ActionKind::update, Reason::scopes_edited, "Backup Agent", "ab12");
    update.changes.push_back({"permissions", "files:read, rooms:read", "files:read, files:write"});
    p.actions.push_back(update);
    p.actions.push_back(action(ActionKind::noop, Reason::in_sync, "Audit Reader", "77aa"));
    p.actions.push_back(action(ActionKind::remove, Reason::entry_removed, "Old Bot", "e1e1",
                               "no longer in the manifest; deleted because pruning is on"));
    apply::ApplyReport report;
    report.created = 1;
    report.updated = 1;
    report.deleted = 1;
    report.unchanged = 1;
    report.outputs_written = true;
    check_run("apply", p, report, "Apply");

    // A run whose create failed: the report says which, on its own line.
    apply::ApplyReport failed = report;
    failed.created = 0;
    failed.failed = 1;
    failed.outcome = apply::Outcome::partial_failure;
    failed.messages = {"'Integration Bot': create failed: HTTP 503 from POST /api/2.0/keys"};
    golden::check_golden("apply-failed.txt",
                         plan::render_text(p, {false, false}) + cli::report_text(failed, "Apply"));
}

TEST_CASE("rotate: every key replaced, with and without colour, and its JSON document match "
          "their golden files",
          "[cli][golden]") {
    plan::Plan p;
    for (const auto& [entry, postfix] : std::vector<std::pair<std::string, std::string>>{
             {"Integration Bot", "9f3a"}, {"Backup Agent", "ab12"}, {"Audit Reader", "77aa"}}) {
        p.actions.push_back(action(ActionKind::replace, Reason::forced_rotation, entry, postfix,
                                   "rotation asked for; the old key stays usable for 7d"));
    }
    apply::ApplyReport report;
    report.replaced = 3;
    report.outputs_written = true;
    // rotate carries out its plan as apply does (execute_session): its report says "Apply".
    check_run("rotate", p, report, "Apply");
}

TEST_CASE("destroy: the keys deleted and the state removed, with and without colour, and its "
          "JSON document match their golden files",
          "[cli][golden]") {
    plan::Plan p;
    p.actions.push_back(
        action(ActionKind::remove, Reason::destroy_requested, "Integration Bot", "9f3a"));
    p.actions.push_back(
        action(ActionKind::remove, Reason::destroy_requested, "Backup Agent", "ab12"));
    p.actions.push_back(action(ActionKind::forget, Reason::destroy_requested, "Audit Reader",
                               "77aa", "already gone from the portal: only the state forgets it"));
    p.actions.push_back(action(ActionKind::retire, Reason::destroy_requested, "Integration Bot",
                               "1b2c", "the key a rotation replaced, retiring"));
    apply::ApplyReport report;
    report.deleted = 3;
    report.forgotten = 1;
    check_run("destroy", p, report, "Destroy",
              cli::destroy_outcome_text(true, "manifests/bots.state.json"));
    CHECK(cli::destroy_outcome_text(false, "manifests/bots.state.json") ==
          "Destroy incomplete: the state keeps the rest.\n");
}

TEST_CASE("import: the key bound, with and without colour, and its JSON document match their "
          "golden files",
          "[cli][golden]") {
    plan::Plan p;
    auto bind = action(ActionKind::import_key, Reason::import_requested, "Integration Bot", "9f3a",
                       "bind key 3f2a7c51-0b9e-4d2a-8c11-5e6f7a8b9c0d to this entry");
    bind.key_id = "3f2a7c51-0b9e-4d2a-8c11-5e6f7a8b9c0d";
    p.actions.push_back(bind);
    apply::ApplyReport report;
    report.imported = 1;
    report.outputs_written = true;
    check_run("import", p, report, "Import", cli::import_outcome_text(bind, false),
              /*coloured_plan=*/false);
    CHECK(cli::import_outcome_text(bind, true).find("its secret was verified") !=
          std::string::npos);
}

TEST_CASE("validate: text and JSON match their golden files", "[cli][golden]") {
    const auto manifest = bots();
    const std::string text = cli::validate_text("manifests/bots.yaml", manifest);
    CHECK_FALSE(has_escape(text));
    golden::check_golden("validate.txt", text);
    golden::check_golden("validate.json",
                         cli::validate_json("manifests/bots.yaml", manifest).dump(2) + "\n");
}

TEST_CASE("errors: a manifest's diagnostics on stderr and the JSON error object match their "
          "golden files",
          "[cli][golden]") {
    std::string text = k_manifest;
    text.replace(text.find("[files:read]\n"), 13, "[files:fly]\n");
    const auto loaded = load_text(text);
    REQUIRE_FALSE(loaded.manifest);
    REQUIRE_FALSE(loaded.diagnostics.empty());
    const auto& d = loaded.diagnostics.front();
    const std::string diagnostics = cli::diagnostics_text("manifests/bots.yaml", loaded);
    CHECK_FALSE(has_escape(diagnostics));
    golden::check_golden("error-manifest.txt", diagnostics);
    golden::check_golden(
        "error-manifest.json",
        cli::error_document(cli::error_json(core::Errc::invalid_input, cli::diagnostic_message(d),
                                            d.file, d.line, d.column),
                            3) +
            "\n");
    // A failure of the run, not of a position in the manifest; a secret in the message is
    // redacted.
    const auto unreachable = cli::error_json(
        core::Errc::not_sent,
        "cannot reach https://portal.example.com/api/2.0/keys: Could not connect to server "
        "(token sk-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef)");
    const std::string document = cli::error_document(unreachable, 1);
    CHECK(document.find("0123456789abcdef0123") == std::string::npos);
    golden::check_golden("error-unreachable.json", document + "\n");
}

TEST_CASE("state migrate and state unlock: their texts match their golden files", "[cli][golden]") {
    apply::Migration moved;
    moved.keys = 3;
    moved.journal_records = 0;
    moved.sealed = 1;
    golden::check_golden("state-migrate.txt",
                         cli::migrate_text("manifests/bots.yaml", moved,
                                           "manifests/bots.state.json",
                                           "postgresql://provision@db.example.com/infra#bots",
                                           "postgresql://provision@db.example.com/infra#bots"));
    // --to as given is shown with its password redacted.
    CHECK(cli::migrate_text("manifests/bots.yaml", moved, "a", "b",
                            "https://ci:hunter2@state.example.com/bots")
              .find("hunter2") == std::string::npos);
    apply::HeldLock held;
    held.id = "6f1c2a9e-3b7d-4e52-a1f0-9c8d7e6b5a43";
    held.who = "pid 4242 on build-7 since 2026-07-01T11:58:00Z";
    held.created = "2026-07-01T11:58:00Z";
    held.operation = "apply";
    // An HTTP state's lock outlives a killed run (a state file's flock never does).
    const std::string location =
        "https://gitlab.example.com/api/v4/projects/7/terraform/state/bots";
    golden::check_golden("state-unlock.txt",
                         cli::locked_text(location, held) + cli::released_text(location, held));
    golden::check_golden("state-unlock-not-locked.txt", cli::not_locked_text(location));
}

TEST_CASE("audit: the table at 80 and 200 columns and piped, JSON and Prometheus match their "
          "golden files",
          "[cli][golden][audit]") {
    const auto key = [](const std::string& id, const std::string& name,
                        std::vector<std::string> scopes, int age_days,
                        std::optional<int> expires_in_days, std::optional<int> used_days_ago) {
        auto k = observed_of(managed(name, id, id.substr(0, 4), std::move(scopes), std::nullopt));
        k.create_on = k_now - days(age_days);
        k.expires_at =
            expires_in_days ? std::optional(k_now + days(*expires_in_days)) : std::nullopt;
        if (used_days_ago) {
            k.last_used = k_now - days(*used_days_ago);
        }
        return k;
    };
    // In the portal's order, newest first.
    std::vector<api::ApiKey> keys = {
        key("07b6e3a1-5c2d-4e8f-9a0b-1c2d3e4f5a6b", "Forever Sync", {"files:read"}, 0, std::nullopt,
            1),
        key("cd56a2b4-7e8f-4a1b-9c2d-3e4f5a6b7c8d", "Legacy Admin", {"*"}, 0, 29, 0),
        key("4da7c3e2-1b0a-4f9e-8d7c-6b5a4f3e2d1c", "Backup Agent", {"files:read", "rooms:read"}, 0,
            89, std::nullopt),
        key("2176f5e4-d3c2-4b1a-8f9e-0d1c2b3a4f5e", "Deploy Bot", {"files:read", "files:write"}, 0,
            29, std::nullopt),
        key("a8ec1f2e-3d4c-4b5a-9e8f-7d6c5b4a3f2e", "Stale Importer", {"files:read"}, 40, -10, 20),
        key("7f85e6d7-c8b9-4a0f-9e1d-2c3b4a5f6e7d", "Old Report", {"files:read"}, 200, 164, 120),
    };
    audit::Source source;
    source.label = "manifests/bots.yaml";
    for (const auto& [name, scopes] : std::vector<std::pair<std::string, std::vector<std::string>>>{
             {"Deploy Bot", {"files:read", "files:write"}},
             {"Backup Agent", {"files:read", "rooms:read"}}}) {
        manifest::KeySpec spec;
        spec.name = name;
        spec.permissions = core::Scopes::from_list(scopes);
        spec.expires_in_days = 30;
        source.manifest.keys.push_back(spec);
    }
    source.state.keys = {
        managed("Backup Agent", keys[2].id, "4da7", {"files:read", "rooms:read"}, 90),
        managed("Deploy Bot", keys[3].id, "2176", {"files:read", "files:write"}, 30)};
    const auto report = audit::audit_keys(keys, {source}, k_now, {});
    audit::RenderContext context{k_now, "https://portal.example.com", {"manifests/bots.yaml"},
                                 {},    audit::Severity::warning,     0};
    const std::string piped = audit::render_text(report, context);
    context.width = 80;
    const std::string narrow = audit::render_text(report, context);
    context.width = 200;
    const std::string wide = audit::render_text(report, context);
    context.width = 0;
    for (const auto* text : {&piped, &narrow, &wide}) {
        CHECK_FALSE(has_escape(*text));
    }
    golden::check_golden("audit.txt", piped);
    golden::check_golden("audit-80.txt", narrow);
    golden::check_golden("audit-200.txt", wide);
    golden::check_golden("audit.json", audit::render_json(report, context) + "\n");
    golden::check_golden("audit.prom", audit::render_prometheus(report, context));
}
