// Rendering a plan for people and machines: colours, folded unchanged entries, scope changes
// as additions and removals, the summary's counts, and JSON arrays for scopes.

#include "golden.hpp"
#include "provision/plan/plan.hpp"
#include "provision/plan/render.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace provision;
using plan::ActionKind;
using plan::Reason;

namespace {

plan::Action action(ActionKind kind, Reason reason, const std::string& entry) {
    plan::Action a;
    a.kind = kind;
    a.reasons = {reason};
    a.entry = entry;
    return a;
}

/// One entry created, one whose scopes were edited on the portal, two unchanged.
plan::Plan sample_plan() {
    plan::Plan p;
    p.actions.push_back(action(ActionKind::create, Reason::new_entry, "Integration Bot"));
    auto update = action(ActionKind::update, Reason::scopes_edited, "Backup Agent");
    update.postfix = "ab12";
    update.changes.push_back({"permissions", "files:read, rooms:read", "files:read, files:write"});
    p.actions.push_back(update);
    p.actions.push_back(action(ActionKind::noop, Reason::in_sync, "Audit Reader"));
    p.actions.push_back(action(ActionKind::noop, Reason::in_sync, "Report Bot"));
    return p;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("unchanged entries are folded into the summary unless asked for", "[plan][render]") {
    const auto p = sample_plan();
    const auto folded = plan::render_text(p, {false, false});
    CHECK_FALSE(contains(folded, "Audit Reader"));
    CHECK_FALSE(contains(folded, "noop"));
    CHECK(contains(folded,
                   "Plan: 1 to create, 1 to update, 0 to replace, 0 to delete. 2 unchanged."));
    const auto listed = plan::render_text(p, {false, true});
    CHECK(contains(listed, "Audit Reader"));
    CHECK(contains(listed, "Report Bot"));
}

TEST_CASE("a scope change shows the scopes added and removed, not both lists", "[plan][render]") {
    const auto text = plan::render_text(sample_plan(), {false, false});
    CHECK(contains(text, "        permissions: + files:write  - rooms:read\n"));
    CHECK_FALSE(contains(text, "->"));
}

TEST_CASE("colours follow Terraform's and are off unless asked for", "[plan][render]") {
    auto p = sample_plan();
    p.actions.push_back(action(ActionKind::replace, Reason::expired, "Old Bot"));
    p.actions.push_back(action(ActionKind::remove, Reason::entry_removed, "Gone Bot"));
    const auto plain = plan::render_text(p, {false, true});
    CHECK_FALSE(contains(plain, "\x1b["));
    const auto coloured = plan::render_text(p, {true, true});
    CHECK(contains(coloured, "\x1b[32m+  \x1b[0m"));  // create: green
    CHECK(contains(coloured, "\x1b[33m~  \x1b[0m"));  // update: yellow
    CHECK(contains(coloured, "\x1b[35m-/+\x1b[0m"));  // replace: magenta
    CHECK(contains(coloured, "\x1b[31m-  \x1b[0m"));  // delete: red
    CHECK(contains(coloured, "\x1b[32m+ files:write\x1b[0m"));
    CHECK(contains(coloured, "\x1b[31m- rooms:read\x1b[0m"));
    // The colours change nothing else: without the escapes the text is the plain one.
    std::string stripped;
    for (std::size_t i = 0; i < coloured.size(); ++i) {
        if (coloured[i] == '\x1b') {
            i = coloured.find('m', i);
            continue;
        }
        stripped += coloured[i];
    }
    CHECK(stripped == plain);
}

TEST_CASE("plan JSON format 2: a scope change's from and to are arrays", "[plan][render][json]") {
    const auto json = nlohmann::json::parse(plan::render_json(sample_plan()));
    CHECK(json.at("formatVersion") == 2);
    const auto& change = json.at("actions").at(1).at("changes").at(0);
    CHECK(change.at("field") == "permissions");
    CHECK(change.at("from") == nlohmann::json::array({"files:read", "rooms:read"}));
    CHECK(change.at("to") == nlohmann::json::array({"files:read", "files:write"}));
    CHECK(change.at("added") == nlohmann::json::array({"files:write"}));
    CHECK(change.at("removed") == nlohmann::json::array({"rooms:read"}));
    CHECK(json.at("summary").at("unchanged") == 2);
}

TEST_CASE("plan Markdown: a table of the changes, unchanged entries folded, no escape codes",
          "[plan][render]") {
    auto p = sample_plan();
    p.actions[0].entry = "Bot | Pipe";
    const auto text = plan::render_markdown(p);
    CHECK(contains(text,
                   "**Plan: 1 to create, 1 to update, 0 to replace, 0 to delete. 2 unchanged.**"));
    CHECK(contains(text, "| `+` | create | Bot \\| Pipe |"));
    CHECK(contains(text, "| `~` | update | Backup Agent | `sk-***ab12` | scopes_edited | "
                         "permissions: + files:write  - rooms:read |"));
    CHECK(contains(text,
                   "<details><summary>2 unchanged</summary>\n\n- Audit Reader\n- Report Bot\n"));
    CHECK_FALSE(contains(text, "\x1b["));
}

TEST_CASE("every form of a plan matches its golden file", "[plan][render][golden]") {
    auto p = sample_plan();
    auto replace = action(ActionKind::replace, Reason::rotation_due, "Deploy Bot");
    replace.postfix = "9f3a";
    replace.detail = "expires in 2d 4h, within the rotation window";
    p.actions.push_back(replace);
    auto blocked = action(ActionKind::blocked, Reason::secret_unknown, "Backup Reader");
    blocked.postfix = "77aa";
    blocked.detail = "no output holds the secret of key sk-***77aa: restore the output file";
    p.actions.push_back(blocked);
    // In the planner's order: the manifest's entries, then entries it no longer has, then
    // retiring keys (README.md and docs/json-output.md show these files).
    auto removed = action(ActionKind::remove, Reason::entry_removed, "Old Bot");
    removed.postfix = "e1e1";
    removed.detail = "no longer in the manifest; deleted because pruning is on";
    p.actions.push_back(removed);
    auto retiring = action(ActionKind::noop, Reason::in_grace_period, "Deploy Bot");
    retiring.postfix = "0c1d";
    retiring.detail = "retiring in 6d 0h: the replaced key stays usable until 2026-07-07T12:00:00Z";
    p.actions.push_back(retiring);
    golden::check_golden("plan.txt", plan::render_text(p, {false, false}));
    golden::check_golden("plan-show-noop.txt", plan::render_text(p, {false, true}));
    golden::check_golden("plan-color.txt", plan::render_text(p, {true, false}));
    golden::check_golden("plan.json", plan::render_json(p) + "\n");
    golden::check_golden("plan.md", plan::render_markdown(p));
}
