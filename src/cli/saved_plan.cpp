// Saved plans. The file is a JSON object:
//   {"kind": "provision-plan", "formatVersion": 1, "manifest": "<path from the plan's folder>",
//    "createdAt": "...", "options": {...}, "digests": {"manifest", "state", "portal"},
//    "plan": <the plan as `plan --output json` prints it>}
// Applying it opens a session with the saved options, recomputes the digests and the plan, and
// compares: any digest that differs is named in the refusal; a plan whose actions (kind, entry,
// key, reasons, field changes) differ is refused too. Only then are the actions executed. The
// human-readable `detail` is not compared: it may mention a remaining time that moves on.
// The manifest's path is kept relative to the plan file, so a plan made in one CI job's
// checkout applies in another job's checkout at a different path (an absolute path, as older
// plans hold, is used as it is).

#include "cli/saved_plan.hpp"

#include "cli/apply_run.hpp"
#include "provision/apply/state_store.hpp"
#include "provision/core/atomic_file.hpp"
#include "provision/core/hash.hpp"
#include "provision/plan/render.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace provision::cli {

namespace {

std::string digest_of(const std::string& text) {
    return "sha256:" + core::sha256_hex(text);
}

core::Result<std::string> digest_text(const core::Result<std::optional<std::string>>& content) {
    if (!content.ok()) {
        return content.error();
    }
    return content.value() ? digest_of(*content.value()) : std::string("absent");
}

core::Result<std::string> digest_file(const std::filesystem::path& path) {
    return digest_text(core::read_file_if_exists(path));
}

std::string digest_keys(std::vector<api::ApiKey> keys) {
    std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    nlohmann::json list = nlohmann::json::array();
    for (const auto& key : keys) {
        list.push_back({{"id", key.id},
                        {"name", key.name},
                        {"permissions", key.permissions.to_display()},
                        {"isActive", key.is_active},
                        {"expiresAt", key.expires_at ? core::format_iso8601(*key.expires_at)
                                                     : std::string("never")}});
    }
    return digest_of(list.dump());
}

nlohmann::json options_json(const plan::PlanOptions& o) {
    return {{"prune", o.prune},
            {"targets", std::vector<std::string>(o.targets.begin(), o.targets.end())},
            {"forceRotate", std::vector<std::string>(o.force_rotate.begin(), o.force_rotate.end())},
            {"allowDuplicate", o.allow_duplicate},
            {"overrideProtect", o.override_protect},
            {"adopt", o.adopt}};
}

std::set<std::string> string_set(const nlohmann::json& j, const char* field) {
    std::set<std::string> out;
    for (const auto& item : j.at(field)) {
        out.insert(item.get<std::string>());
    }
    return out;
}

plan::PlanOptions options_from(const nlohmann::json& j) {
    plan::PlanOptions o;
    o.prune = j.at("prune").get<bool>();
    o.targets = string_set(j, "targets");
    o.force_rotate = string_set(j, "forceRotate");
    o.allow_duplicate = j.at("allowDuplicate").get<bool>();
    o.override_protect = j.at("overrideProtect").get<bool>();
    o.adopt = j.at("adopt").get<bool>();
    return o;
}

/// The parts of a rendered plan that must match: everything but the prose.
nlohmann::json comparable(const nlohmann::json& rendered) {
    nlohmann::json actions = rendered.at("actions");
    for (auto& action : actions) {
        action.erase("detail");
    }
    return actions;
}

int refuse(const std::string& message) {
    return report_error(core::Errc::invalid_input,
                        "the saved plan is stale: " + message +
                            "; run `provision plan --out` again and review it");
}

}  // namespace

core::Result<PlanDigests> digest_session(const Session& session) {
    PlanDigests digests;
    auto manifest = digest_file(session.manifest.file);
    if (!manifest.ok()) {
        return manifest.error();
    }
    // The state as its backend holds it (the file, or a database row).
    auto state = session.world.store ? digest_text(session.world.store->load_text())
                                     : digest_file(session.manifest.state_path);
    if (!state.ok()) {
        return state.error();
    }
    digests.manifest = manifest.value();
    digests.state = state.value();
    digests.portal = digest_keys(session.world.observed);
    return digests;
}

core::Result<nlohmann::json> saved_plan_json(const std::string& path, const Session& session,
                                             const plan::PlanOptions& options) {
    auto digests = digest_session(session);
    if (!digests.ok()) {
        return digests.error();
    }
    return nlohmann::json{
        {"kind", k_saved_plan_kind},
        {"formatVersion", 1},
        {"manifest", std::filesystem::absolute(session.manifest.file)
                         .lexically_normal()
                         .lexically_relative(std::filesystem::absolute(path).parent_path())
                         .string()},
        {"createdAt", core::format_iso8601(core::now_utc())},
        {"options", options_json(options)},
        {"digests",
         {{"manifest", digests->manifest}, {"state", digests->state}, {"portal", digests->portal}}},
        {"plan", nlohmann::json::parse(plan::render_json(session.plan))}};
}

core::Status write_saved_plan(const std::string& path, const Session& session,
                              const plan::PlanOptions& options) {
    auto document = saved_plan_json(path, session, options);
    if (!document.ok()) {
        return document.error();
    }
    return core::write_file_atomic(path, document->dump(2) + "\n");
}

std::optional<nlohmann::json> read_saved_plan(const std::string& path) {
    auto content = core::read_file_if_exists(path);
    if (!content.ok() || !content.value()) {
        return std::nullopt;
    }
    const std::string& text = *content.value();
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || text[first] != '{') {
        return std::nullopt;
    }
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("kind") ||
        parsed.at("kind") != k_saved_plan_kind) {
        return std::nullopt;
    }
    return parsed;
}

int apply_saved_plan(const std::string& file, const nlohmann::json& saved,
                     const GlobalOptions& global) {
    apply::PrepareOptions session_options;
    std::string manifest_path;
    nlohmann::json saved_digests;
    try {
        if (saved.at("formatVersion").get<int>() != 1) {
            return report_error(core::Errc::invalid_input, "unsupported saved plan formatVersion");
        }
        manifest_path = (std::filesystem::absolute(file).parent_path() /
                         saved.at("manifest").get<std::string>())
                            .lexically_normal()
                            .string();
        session_options.plan = options_from(saved.at("options"));
        saved_digests = saved.at("digests");
        (void)saved.at("plan").at("actions");
    } catch (const nlohmann::json::exception&) {
        return report_error(core::Errc::invalid_input, "the saved plan file is malformed");
    }
    session_options.take_lock = true;
    auto opened = open_session(manifest_path, global, session_options);
    if (auto* code = std::get_if<int>(&opened)) {
        return *code;
    }
    Session& session = std::get<Session>(opened);
    auto digests = digest_session(session);
    if (!digests.ok()) {
        return report_error(digests.error());
    }
    std::vector<std::string> changed;
    if (saved_digests.value("manifest", "") != digests->manifest) {
        changed.emplace_back("the manifest");
    }
    if (saved_digests.value("state", "") != digests->state) {
        changed.emplace_back("the state file");
    }
    if (saved_digests.value("portal", "") != digests->portal) {
        changed.emplace_back("the portal's keys");
    }
    if (!changed.empty()) {
        std::string list;
        for (std::size_t i = 0; i < changed.size(); ++i) {
            list += (i == 0 ? "" : i + 1 == changed.size() ? " and " : ", ") + changed[i];
        }
        return refuse(list + " changed since the plan was saved");
    }
    if (comparable(nlohmann::json::parse(plan::render_json(session.plan))) !=
        comparable(saved.at("plan"))) {
        return refuse("the plan computed now differs from the saved one");
    }
    return execute_session(session, global);
}

}  // namespace provision::cli
