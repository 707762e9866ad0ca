// No partial outputs (issue 12, section 2): after the outputs lost a managed key's secret
// (onSecretUnknown: keep), a run that would rewrite them with the other keys only leaves them
// untouched and exits 8 naming what they would lack; plan says so; allowPartial: true opts out.

#include "lifecycle_support.hpp"

using namespace e2e;

namespace {

/// A Kubernetes Secret output holding two entries; `extra` adds lines to the output's spec.
std::string k8s_manifest(const std::string& extra, bool with_third_entry) {
    std::string text = "version: 1\n"
                       "portal:\n"
                       "  url: ${DOCSPACE_URL}\n"
                       "  token: ${DOCSPACE_TOKEN}\n"
                       "outputs:\n"
                       "  - path: ../secrets/bots.k8s.yaml\n"
                       "    format: kubernetes\n"
                       "    kubernetes: {name: bots, namespace: ci}\n" +
                       extra +
                       "defaults:\n"
                       "  onSecretUnknown: keep\n"
                       "keys:\n"
                       "  - name: Integration Bot\n"
                       "    permissions: [files:read]\n"
                       "    expiresInDays: 30\n"
                       "  - name: Backup Agent\n"
                       "    permissions: [rooms:read]\n"
                       "    expiresInDays: 30\n";
    if (with_third_entry) {
        text += "  - name: Audit Reader\n"
                "    permissions: [files:read]\n"
                "    expiresInDays: 30\n";
    }
    return text;
}

}  // namespace

TEST_CASE("an output that would lack a managed key's secret is left untouched and the run exits 8",
          "[e2e][outputs]") {
    Emulator emu;
    Project project(emu, k8s_manifest("", false));
    apply_ok(project);
    const auto output = project.secrets("bots.k8s.yaml");
    fs::remove_all(output.parent_path());  // a fresh runner: the outputs are gone
    write_text(project.manifest, k8s_manifest("", true));

    const auto plan = project.command("plan", {"--detailed-exitcode"});
    INFO(plan.out << plan.err);
    CHECK(plan.exit_code == 2);
    CHECK(contains(plan.out,
                   "output ../secrets/bots.k8s.yaml would lack Integration Bot, Backup Agent"));
    CHECK(contains(plan.out, "partial_output"));
    const auto json = nlohmann::json::parse(project.command("plan", {"--output", "json"}).out);
    CHECK(json.at("partialOutputs").at(0).at("lacking").size() == 2);

    const auto applied = project.command("apply");
    INFO(applied.out << applied.err);
    CHECK(applied.exit_code == 8);
    CHECK(contains(applied.out + applied.err, "allowPartial"));
    CHECK_FALSE(fs::exists(output));
    CHECK(keys_named(emu, "Audit Reader").empty());  // its secret would have had nowhere to go
}

TEST_CASE("allowPartial: true rewrites an output without the secrets it lost", "[e2e][outputs]") {
    Emulator emu;
    Project project(emu, k8s_manifest("    allowPartial: true\n", false));
    apply_ok(project);
    const auto output = project.secrets("bots.k8s.yaml");
    fs::remove_all(output.parent_path());
    write_text(project.manifest, k8s_manifest("    allowPartial: true\n", true));
    const auto applied = project.command("apply");
    INFO(applied.out << applied.err);
    CHECK(applied.exit_code == 0);
    REQUIRE(fs::exists(output));
    const std::string text = read_text(output);
    CHECK(contains(text, "AUDIT_READER_API_KEY"));
    CHECK_FALSE(contains(text, "INTEGRATION_BOT_API_KEY"));
}

TEST_CASE("plan names an output that will no longer hold a secret it holds now", "[e2e][outputs]") {
    Emulator emu;
    Project project(emu, k8s_manifest("", true));
    apply_ok(project);
    const auto output = project.secrets("bots.k8s.yaml");
    REQUIRE(contains(read_text(output), "AUDIT_READER_API_KEY"));
    write_text(project.manifest, k8s_manifest("", false));  // Audit Reader leaves the manifest

    const auto plan = project.command("plan", {"--prune"});
    INFO(plan.out << plan.err);
    CHECK(contains(plan.out, "! output ../secrets/bots.k8s.yaml will no longer hold Audit Reader"));
    const auto json =
        nlohmann::json::parse(project.command("plan", {"--prune", "--output", "json"}).out);
    REQUIRE(json.at("outputLosses").size() == 1);
    CHECK(json.at("outputLosses").at(0).at("output") == "../secrets/bots.k8s.yaml");
    CHECK(json.at("outputLosses").at(0).at("lost") == nlohmann::json::array({"Audit Reader"}));
    CHECK(json.at("outputLosses").at(0).at("empty") == false);

    const auto applied = project.command("apply", {"--prune"});
    INFO(applied.out << applied.err);
    CHECK(applied.exit_code == 0);
    CHECK(contains(applied.out, "will no longer hold Audit Reader"));
    CHECK_FALSE(contains(read_text(output), "AUDIT_READER_API_KEY"));
    CHECK(contains(read_text(output), "BACKUP_AGENT_API_KEY"));

    const auto again = project.command("plan", {"--output", "json"});
    CHECK(nlohmann::json::parse(again.out).at("outputLosses").empty());
}
