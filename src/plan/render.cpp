// Rendering a plan (render.hpp) as aligned text for people and versioned JSON for machines.

#include "provision/plan/render.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace provision::plan {

namespace {

const char* symbol(ActionKind kind) {
    switch (kind) {
    case ActionKind::noop: return "=";
    case ActionKind::create: return "+";
    case ActionKind::update:
    case ActionKind::reactivate: return "~";
    case ActionKind::replace: return "-/+";
    case ActionKind::retire:
    case ActionKind::remove: return "-";
    case ActionKind::forget: return ".";
    case ActionKind::write_outputs: return ">";
    case ActionKind::adopt: return "<";
    case ActionKind::blocked: return "!";
    case ActionKind::settle: return "*";
    case ActionKind::import_key: return "<";
    }
    return "?";
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
    return text;
}

std::string render_text(const Plan& plan) {
    std::string out;
    for (const auto& action : plan.actions) {
        const std::string key = action.postfix.empty() ? std::string{} : "sk-***" + action.postfix;
        out += fmt::format("  {:<3} {:<13} {:<30} {:<11} {}\n", symbol(action.kind),
                           to_string(action.kind), action.entry.empty() ? "(outputs)" : action.entry,
                           key, reasons_text(action));
        if (!action.detail.empty()) {
            out += fmt::format("        {}\n", action.detail);
        }
        for (const auto& change : action.changes) {
            out += fmt::format("        {}: {} -> {}\n", change.field, change.from, change.to);
        }
    }
    for (const auto& partial : plan.partial_outputs) {
        std::string lacking;
        for (const auto& entry : partial.lacking) {
            lacking += (lacking.empty() ? "" : ", ") + entry;
        }
        out += fmt::format("\n  ! output {} would lack {} (secret unknown): it is not rewritten\n",
                           partial.output, lacking);
    }
    for (const auto& loss : plan.output_losses) {
        std::string lost;
        for (const auto& entry : loss.lost) {
            lost += (lost.empty() ? "" : ", ") + entry;
        }
        out += loss.empty ? fmt::format("\n  ! output {} will be empty: it holds {} now\n",
                                        loss.output, lost)
                          : fmt::format("\n  ! output {} will no longer hold {}\n", loss.output,
                                        lost);
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
        a["keyPostfix"] = action.postfix.empty() ? nlohmann::json(nullptr) : nlohmann::json(action.postfix);
        nlohmann::json reasons = nlohmann::json::array();
        for (auto reason : action.reasons) {
            reasons.push_back(to_string(reason));
        }
        a["reasons"] = reasons;
        a["detail"] = action.detail;
        nlohmann::json changes = nlohmann::json::array();
        for (const auto& change : action.changes) {
            changes.push_back({{"field", change.field}, {"from", change.from}, {"to", change.to}});
        }
        a["changes"] = changes;
        actions.push_back(std::move(a));
    }
    const nlohmann::json document{
        {"formatVersion", 1},
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
