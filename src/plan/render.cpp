// Rendering a plan (render.hpp) as aligned text for people and versioned JSON for machines.
// Columns are padded with fmt's dynamic widths ({:<{}}). Colours stay the five
// SGR codes below rather than fmt::text_style: fmt 9 writes bold and a colour as two escape
// sequences (the blocked action's `1;31` would become `1m` then `31m`), changing the bytes of
// the golden colour plan and users' logs for no less code here.

#include "provision/plan/render.hpp"

#include "provision/core/table.hpp"
#include "provision/core/text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace provision::plan {

namespace {

const char* symbol(ActionKind kind) {
    switch (kind) {
    case ActionKind::noop:
        return "=";
    case ActionKind::create:
        return "+";
    case ActionKind::update:
    case ActionKind::reactivate:
        return "~";
    case ActionKind::replace:
        return "-/+";
    case ActionKind::retire:
    case ActionKind::remove:
        return "-";
    case ActionKind::forget:
        return ".";
    case ActionKind::write_outputs:
        return ">";
    case ActionKind::adopt:
        return "<";
    case ActionKind::blocked:
        return "!";
    case ActionKind::settle:
        return "*";
    case ActionKind::import_key:
        return "<";
    }
    return "?";
}

/// Terraform's colours: + green, ~ yellow, -/+ magenta, - red; ! bold red, * yellow.
const char* color_of(ActionKind kind) {
    switch (kind) {
    case ActionKind::create:
        return "\x1b[32m";
    case ActionKind::update:
    case ActionKind::reactivate:
    case ActionKind::settle:
        return "\x1b[33m";
    case ActionKind::replace:
        return "\x1b[35m";
    case ActionKind::retire:
    case ActionKind::remove:
        return "\x1b[31m";
    case ActionKind::blocked:
        return "\x1b[1;31m";
    default:
        return "";
    }
}

constexpr const char* k_green = "\x1b[32m";
constexpr const char* k_red = "\x1b[31m";

std::string paint(std::string text, const char* color, bool on) {
    if (!on || *color == '\0') {
        return text;
    }
    return color + text + "\x1b[0m";
}

/// "files:read, rooms:read" (Scopes::to_display) as its items.
std::vector<std::string> list_items(const std::string& text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto comma = text.find(", ", start);
        items.push_back(
            text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 2;
    }
    return items;
}

/// The items of `from` not in `to`.
std::vector<std::string> missing_from(const std::vector<std::string>& from,
                                      const std::vector<std::string>& to) {
    std::vector<std::string> out;
    for (const auto& item : from) {
        if (std::find(to.begin(), to.end(), item) == to.end()) {
            out.push_back(item);
        }
    }
    return out;
}

/// An entry in sync, which the text leaves to the summary's count. Every other noop has
/// something to say and is shown: a key in its grace period, an entry that left the manifest
/// (kept without --prune), a key kept with its secret unknown.
bool folded(const Action& action, const TextOptions& options) {
    return action.kind == ActionKind::noop && !options.show_noop &&
           action.reasons == std::vector<Reason>{Reason::in_sync};
}

bool is_list_field(const Action::Change& change) {
    return change.field == "permissions";
}

/// "permissions: + files:write  - rooms:read" for a list; "name: a -> b" otherwise.
std::string change_text(const Action::Change& change, bool color) {
    if (!is_list_field(change)) {
        return fmt::format("{}: {} -> {}", change.field, change.from, change.to);
    }
    const auto from = list_items(change.from);
    const auto to = list_items(change.to);
    std::string out = change.field + ":";
    for (const auto& item : missing_from(to, from)) {
        out += " " + paint("+ " + item, k_green, color) + " ";
    }
    for (const auto& item : missing_from(from, to)) {
        out += " " + paint("- " + item, k_red, color) + " ";
    }
    while (!out.empty() && out.back() == ' ') {
        out.pop_back();
    }
    return out;
}

std::string reasons_text(const Action& action) {
    std::string out;
    for (auto reason : action.reasons) {
        if (!out.empty()) {
            out += ", ";
        }
        out += to_string(reason);
    }
    return out;
}

}  // namespace

std::string render_summary(const Plan& plan) {
    if (!plan.has_changes() && !plan.has_blocked()) {
        return "No changes. The portal matches the manifest.";
    }
    const std::size_t creates = plan.count(ActionKind::create);
    const std::size_t updates = plan.count(ActionKind::update) + plan.count(ActionKind::reactivate);
    const std::size_t replaces = plan.count(ActionKind::replace);
    const std::size_t deletes = plan.count(ActionKind::remove) + plan.count(ActionKind::retire);
    std::string text = fmt::format("Plan: {} to create, {} to update, {} to replace, {} to delete.",
                                   creates, updates, replaces, deletes);
    if (const std::size_t adopted = plan.count(ActionKind::adopt); adopted > 0) {
        text += fmt::format(" {} to adopt.", adopted);
    }
    if (const std::size_t imported = plan.count(ActionKind::import_key); imported > 0) {
        text += fmt::format(" {} to import.", imported);
    }
    if (const std::size_t settle = plan.count(ActionKind::settle); settle > 0) {
        text += fmt::format(" {} to settle (left by an interrupted run).", settle);
    }
    if (const std::size_t blocked = plan.count(ActionKind::blocked); blocked > 0) {
        text += fmt::format(" {} blocked (needs your decision).", blocked);
    }
    if (const std::size_t forget = plan.count(ActionKind::forget); forget > 0) {
        text += fmt::format(" {} to forget.", forget);
    }
    if (const std::size_t unchanged = plan.count(ActionKind::noop); unchanged > 0) {
        text += fmt::format(" {} unchanged.", unchanged);
    }
    return text;
}

std::string render_text(const Plan& plan, const TextOptions& options) {
    // The entry column is as wide as the longest entry shown, so the columns line up whatever
    // the names' lengths.
    std::size_t entry_width = 9;  // "(outputs)"
    for (const auto& action : plan.actions) {
        if (!folded(action, options)) {
            entry_width = std::max(entry_width, core::code_points(action.entry));
        }
    }
    std::string out;
    for (const auto& action : plan.actions) {
        if (folded(action, options)) {
            continue;
        }
        const std::string key = action.postfix.empty() ? std::string{} : "sk-***" + action.postfix;
        const char* color = color_of(action.kind);
        std::string line =
            fmt::format("  {} {} {:<{}} {:<11} {}",
                        paint(fmt::format("{:<3}", symbol(action.kind)), color, options.color),
                        paint(fmt::format("{:<13}", to_string(action.kind)), color, options.color),
                        action.entry.empty() ? "(outputs)" : action.entry, entry_width, key,
                        reasons_text(action));
        while (!line.empty() && line.back() == ' ') {
            line.pop_back();
        }
        out += line + "\n";
        if (!action.detail.empty()) {
            out += fmt::format("        {}\n", action.detail);
        }
        for (const auto& change : action.changes) {
            out += "        " + change_text(change, options.color) + "\n";
        }
    }
    for (const auto& partial : plan.partial_outputs) {
        const std::string lacking = core::join(partial.lacking);
        out += fmt::format("\n  ! output {} would lack {} (secret unknown): it is not rewritten\n",
                           partial.output, lacking);
    }
    for (const auto& loss : plan.output_losses) {
        const std::string lost = core::join(loss.lost);
        out +=
            loss.empty
                ? fmt::format("\n  ! output {} will be empty: it holds {} now\n", loss.output, lost)
                : fmt::format("\n  ! output {} will no longer hold {}\n", loss.output, lost);
    }
    if (!plan.findings.empty()) {
        out += "\nPolicy findings (the portal breaks the manifest's policy):\n";
        for (const auto& finding : plan.findings) {
            out += fmt::format("  ! {:<30} sk-***{:<4} {}\n", finding.entry, finding.postfix,
                               finding.message);
        }
    }
    if (!out.empty()) {
        out += "\n";
    }
    out += render_summary(plan) + "\n";
    return out;
}

namespace {

/// A table cell: '|' escaped, newlines as spaces.
std::string markdown_cell(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '|') {
            out += "\\|";
        } else if (c == '\n') {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

std::string render_markdown(const Plan& plan) {
    std::string out = "#### provision plan\n\n**" + render_summary(plan) + "**\n";
    std::vector<const Action*> unchanged;
    std::string rows;
    for (const auto& action : plan.actions) {
        if (action.kind == ActionKind::noop) {
            unchanged.push_back(&action);
            continue;
        }
        std::string what = action.detail;
        for (const auto& change : action.changes) {
            what += (what.empty() ? "" : "; ") + change_text(change, false);
        }
        rows += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", symbol(action.kind),
                            to_string(action.kind),
                            markdown_cell(action.entry.empty() ? "(outputs)" : action.entry),
                            action.postfix.empty() ? "" : "`sk-***" + action.postfix + "`",
                            reasons_text(action), markdown_cell(what));
    }
    if (!rows.empty()) {
        out +=
            "\n| | action | entry | key | reasons | details |\n|---|---|---|---|---|---|\n" + rows;
    }
    if (!unchanged.empty()) {
        out += fmt::format("\n<details><summary>{} unchanged</summary>\n\n", unchanged.size());
        for (const auto* action : unchanged) {
            out += "- " + markdown_cell(action->entry) + "\n";
        }
        out += "\n</details>\n";
    }
    if (!plan.findings.empty()) {
        out += "\n**Policy findings** (the portal breaks the manifest's policy):\n\n";
        for (const auto& finding : plan.findings) {
            out += "- " + markdown_cell(finding.entry) + " (`sk-***" + finding.postfix +
                   "`): " + markdown_cell(finding.message) + "\n";
        }
    }
    for (const auto& partial : plan.partial_outputs) {
        const std::string lacking = core::join(partial.lacking);
        out += "\n> output `" + partial.output + "` would lack " + lacking +
               " (secret unknown): it is not rewritten\n";
    }
    for (const auto& loss : plan.output_losses) {
        const std::string lost = core::join(loss.lost);
        out += "\n> output `" + loss.output + "` " +
               (loss.empty ? "will be empty: it holds " + lost + " now\n"
                           : "will no longer hold " + lost + "\n");
    }
    return out;
}

namespace {

nlohmann::json partial_json(const Plan& plan) {
    nlohmann::json partial = nlohmann::json::array();
    for (const auto& output : plan.partial_outputs) {
        partial.push_back({{"output", output.output}, {"lacking", output.lacking}});
    }
    return partial;
}

nlohmann::json losses_json(const Plan& plan) {
    nlohmann::json losses = nlohmann::json::array();
    for (const auto& loss : plan.output_losses) {
        losses.push_back({{"output", loss.output}, {"lost", loss.lost}, {"empty", loss.empty}});
    }
    return losses;
}

nlohmann::json findings_json(const Plan& plan) {
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& finding : plan.findings) {
        findings.push_back({{"entry", finding.entry},
                            {"keyId", finding.key_id},
                            {"keyPostfix", finding.postfix},
                            {"rule", std::string("policy.") + manifest::to_string(finding.rule)},
                            {"message", finding.message}});
    }
    return findings;
}

}  // namespace

std::string render_json(const Plan& plan, int indent) {
    nlohmann::json actions = nlohmann::json::array();
    for (const auto& action : plan.actions) {
        nlohmann::json a;
        a["action"] = to_string(action.kind);
        a["entry"] = action.entry;
        a["keyId"] = action.key_id ? nlohmann::json(*action.key_id) : nlohmann::json(nullptr);
        a["keyPostfix"] =
            action.postfix.empty() ? nlohmann::json(nullptr) : nlohmann::json(action.postfix);
        nlohmann::json reasons = nlohmann::json::array();
        for (auto reason : action.reasons) {
            reasons.push_back(to_string(reason));
        }
        a["reasons"] = reasons;
        a["detail"] = action.detail;
        nlohmann::json changes = nlohmann::json::array();
        for (const auto& change : action.changes) {
            if (is_list_field(change)) {
                const auto from = list_items(change.from);
                const auto to = list_items(change.to);
                changes.push_back({{"field", change.field},
                                   {"from", from},
                                   {"to", to},
                                   {"added", missing_from(to, from)},
                                   {"removed", missing_from(from, to)}});
            } else {
                changes.push_back(
                    {{"field", change.field}, {"from", change.from}, {"to", change.to}});
            }
        }
        a["changes"] = changes;
        actions.push_back(std::move(a));
    }
    const nlohmann::json document{
        {"formatVersion", k_json_format_version},
        {"changes", plan.has_changes()},
        {"blocked", plan.has_blocked()},
        {"actions", actions},
        {"findings", findings_json(plan)},
        {"partialOutputs", partial_json(plan)},
        {"outputLosses", losses_json(plan)},
        {"summary",
         {{"create", plan.count(ActionKind::create)},
          {"update", plan.count(ActionKind::update) + plan.count(ActionKind::reactivate)},
          {"replace", plan.count(ActionKind::replace)},
          {"delete", plan.count(ActionKind::remove) + plan.count(ActionKind::retire)},
          {"adopt", plan.count(ActionKind::adopt)},
          {"import", plan.count(ActionKind::import_key)},
          {"settle", plan.count(ActionKind::settle)},
          {"blocked", plan.count(ActionKind::blocked)},
          {"unchanged", plan.count(ActionKind::noop)}}},
    };
    return document.dump(indent);
}

}  // namespace provision::plan
