// The order entries are listed in (README.md, "Using it"): plan, apply, status and destroy all
// list the manifest's entries in the manifest's order, then the entries it no longer has in
// the state's order (by entry name). One test checks each of the four with entries removed.

#include "lifecycle_support.hpp"

using namespace e2e;

namespace {

/// lifecycle_manifest's portal and output with `names` as its keys.
std::string manifest_of(const std::vector<std::string>& names) {
    std::string text = lifecycle_manifest();
    text.erase(text.find("keys:\n") + 6);
    for (const auto& name : names) {
        text += "  - name: " + name + "\n    permissions: [files:read]\n    expiresInDays: 30\n";
    }
    return text;
}

/// Whether `names` appear in `text` in this order (each after the one before).
bool in_order(const std::string& text, const std::vector<std::string>& names) {
    std::size_t at = 0;
    for (const auto& name : names) {
        at = text.find(name, at);
        if (at == std::string::npos) {
            return false;
        }
        at += name.size();
    }
    return true;
}

}  // namespace

TEST_CASE("plan, apply, status and destroy list entries in the manifest's order, then removed "
          "entries by name",
          "[e2e][cli][order]") {
    Emulator emu;
    Project project(emu,
                    manifest_of({"Zeta Bot", "Omega Bot", "Alpha Bot", "Beta Bot", "Mid Bot"}));
    const auto applied = apply_ok(project, {"--concurrency", "1"});
    CHECK(in_order(applied.out, {"Zeta Bot", "Omega Bot", "Alpha Bot", "Beta Bot", "Mid Bot"}));
    // Alpha moves after Mid; Omega and Beta leave the manifest.
    write_text(project.manifest, manifest_of({"Zeta Bot", "Mid Bot", "Alpha Bot"}));
    const std::vector<std::string> expected = {"Zeta Bot", "Mid Bot", "Alpha Bot", "Beta Bot",
                                               "Omega Bot"};

    const auto plan = project.command("plan", {"-v"});
    INFO(plan.out << plan.err);
    CHECK(plan.exit_code == 0);
    CHECK(in_order(plan.out, expected));
    const auto json = nlohmann::json::parse(project.command("plan", {"--output", "json"}).out);
    std::vector<std::string> listed;
    for (const auto& action : json.at("actions")) {
        if (action.at("entry") != "") {  // not the rewrite of the outputs
            listed.push_back(action.at("entry"));
        }
    }
    CHECK(listed == expected);

    const auto status = project.command("status");
    INFO(status.out);
    CHECK(status.exit_code == 0);
    CHECK(in_order(status.out, expected));

    // apply -v lists the unchanged entries too; --prune deletes the two removed ones, listed
    // after the manifest's entries (and carried out with more than one request at a time).
    const auto pruned =
        project.command("apply", {"-v", "--prune", "--auto-approve", "--concurrency", "4"});
    INFO(pruned.out << pruned.err);
    CHECK(pruned.exit_code == 0);
    CHECK(in_order(pruned.out, expected));
    CHECK(pruned.out.find("2 deleted") != std::string::npos);

    // Mid leaves the manifest too: destroy lists Zeta and Alpha, then Mid.
    write_text(project.manifest, manifest_of({"Zeta Bot", "Alpha Bot"}));
    const auto destroyed = project.command("destroy", {"--auto-approve", "--concurrency", "1"});
    INFO(destroyed.out << destroyed.err);
    CHECK(destroyed.exit_code == 0);
    CHECK(in_order(destroyed.out, {"Zeta Bot", "Alpha Bot", "Mid Bot"}));
    CHECK(emu.state().at("keys").empty());
}
