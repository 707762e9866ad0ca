// The command line as a whole: global flags in any position and in every help, unknown
// commands, `provision help`, PROVISION_<FLAG> from the environment, -C, colour and NO_COLOR,
// JSON errors, folded and readable plans.

#include "lifecycle_support.hpp"

using namespace e2e;

namespace {

const std::vector<std::string> k_commands = {"validate", "plan",    "apply", "rotate", "status",
                                             "import",   "destroy", "audit", "help"};

bool has_escape(const std::string& text) {
    return contains(text, "\x1b[");
}

}  // namespace

TEST_CASE("global flags work after the subcommand and its arguments too", "[e2e][cli]") {
    Emulator emu;
    Project project(emu);
    const auto after = project.command("apply", {"--log-level", "debug"});
    INFO(after.out << after.err);
    REQUIRE(after.exit_code == 0);
    CHECK(contains(after.err, "debug: "));
    const auto between = project.run(
        {"plan", "--log-level", "warn", project.manifest.string(), "--detailed-exitcode"});
    INFO(between.out << between.err);
    CHECK(between.exit_code == 0);
    CHECK_FALSE(contains(between.err, "debug: "));
    const auto bad = project.command("plan", {"--log-level", "loud"});
    CHECK(bad.exit_code == 3);
    CHECK(contains(bad.err, "unknown level 'loud'"));
}

TEST_CASE("every subcommand's help lists the global flags and the environment variables",
          "[e2e][cli]") {
    Emulator emu;
    Project project(emu);
    for (const auto& command : k_commands) {
        const auto help = project.run({command, "--help"});
        INFO(command << ":\n" << help.out);
        CHECK(help.exit_code == 0);
        CHECK(contains(help.out, "Usage: provision " + command));
        CHECK(contains(help.out, "Global options"));
        CHECK(contains(help.out, "--log-level"));
        CHECK(contains(help.out, "--no-color"));
        CHECK(contains(help.out, "-C,--chdir"));
        CHECK(contains(help.out, "PROVISION_LOG_LEVEL"));
    }
    const auto plan_help = project.run({"plan", "--help"});
    CHECK(contains(plan_help.out, "PROVISION_DETAILED_EXITCODE"));
    CHECK(contains(plan_help.out, "PROVISION_CONCURRENCY") == false);  // plan runs nothing
    CHECK(contains(project.run({"apply", "--help"}).out, "PROVISION_CONCURRENCY"));
    const auto root = project.run({"--help"});
    CHECK(contains(root.out, "Usage: provision "));
    CHECK_FALSE(contains(root.out, test_support::provision_binary()));
}

TEST_CASE("an unknown command is named with a suggestion, and `provision help` prints help",
          "[e2e][cli]") {
    Emulator emu;
    Project project(emu);
    const auto typo = project.run({"aply", project.manifest.string()});
    CHECK(typo.exit_code == 3);
    CHECK(contains(typo.err, "unknown command aply; did you mean apply?"));
    CHECK(emu.requests().empty());
    const auto nonsense = project.run({"frobnicate"});
    CHECK(nonsense.exit_code == 3);
    CHECK(contains(nonsense.err, "unknown command frobnicate"));
    CHECK_FALSE(contains(nonsense.err, "did you mean"));

    const auto help = project.run({"help"});
    CHECK(help.exit_code == 0);
    CHECK(contains(help.out, "Usage: provision"));
    CHECK(contains(help.out, "destroy"));
    const auto apply_help = project.run({"help", "apply"});
    CHECK(apply_help.exit_code == 0);
    CHECK(contains(apply_help.out, "Usage: provision apply"));
    CHECK(contains(apply_help.out, "--prune"));
    const auto unknown_help = project.run({"help", "stauts"});
    CHECK(unknown_help.exit_code == 3);
    CHECK(contains(unknown_help.err, "did you mean status?"));
}

TEST_CASE("every flag can come from PROVISION_<FLAG>, the command line winning",
          "[e2e][cli][env]") {
    Emulator emu;
    Project project(emu);
    auto env = project.env();
    env.env["PROVISION_OUTPUT"] = "json";
    const auto json = project.run({"plan", project.manifest.string()}, env);
    INFO(json.out << json.err);
    REQUIRE(json.exit_code == 0);
    CHECK(nlohmann::json::parse(json.out).at("summary").at("create") == 3);
    const auto text = project.run({"plan", project.manifest.string(), "--output", "text"}, env);
    CHECK(text.exit_code == 0);
    CHECK(contains(text.out, "Plan: 3 to create"));

    env.env["PROVISION_DETAILED_EXITCODE"] = "true";
    CHECK(project.run({"plan", project.manifest.string()}, env).exit_code == 2);

    auto bad = project.env();
    bad.env["PROVISION_CONCURRENCY"] = "99";
    const auto refused = project.run({"apply", project.manifest.string()}, bad);
    CHECK(refused.exit_code == 3);
    CHECK(contains(refused.err, "concurrency"));
    CHECK(project.posts() == 0);
}

TEST_CASE("chdir (-C) runs in another directory, as if started there", "[e2e][cli]") {
    Emulator emu;
    Project project(emu);
    const auto validated =
        project.run({"-C", project.manifest.parent_path().string(), "validate", "bots.yaml"});
    INFO(validated.out << validated.err);
    CHECK(validated.exit_code == 0);
    CHECK(contains(validated.out, "bots.yaml: valid (3 key(s)"));
    const auto applied =
        project.run({"apply", "bots.yaml", "--chdir", project.manifest.parent_path().string()});
    INFO(applied.out << applied.err);
    CHECK(applied.exit_code == 0);
    CHECK(fs::exists(project.state_file()));
    const auto missing =
        project.run({"-C", (project.dir.path() / "nowhere").string(), "validate", "bots.yaml"});
    CHECK(missing.exit_code == 3);
}

TEST_CASE("plans are coloured on a terminal, and NO_COLOR or --no-color turn every colour off",
          "[e2e][cli][color]") {
    Emulator emu;
    Project project(emu);
    const auto coloured = on_terminal(project, "plan", " --log-level trace", "");
    INFO(coloured.out);
    CHECK(coloured.exit_code == 0);
    CHECK(contains(coloured.out, "\x1b[32m+  \x1b[0m"));
    CHECK(contains(coloured.out, "trace"));  // the HTTP trace: log lines to colour

    const auto flagged = on_terminal(project, "plan", " --log-level trace --no-color", "");
    CHECK(flagged.exit_code == 0);
    CHECK(contains(flagged.out, "Plan: 3 to create"));
    CHECK_FALSE(has_escape(flagged.out));

    Project quiet(emu);
    auto env = quiet.env();
    env.env["NO_COLOR"] = "";
    env.stdin_text = "\n";
    const std::string line = test_support::provision_binary() + " plan '" +
                             quiet.manifest.string() + "' --log-level trace";
    const auto no_color =
        test_support::run_process({"/usr/bin/script", "-qec", line, "/dev/null"}, env);
    INFO(no_color.out);
    CHECK(no_color.exit_code == 0);
    CHECK(contains(no_color.out, "trace: "));
    CHECK_FALSE(has_escape(no_color.out));

    const auto piped = project.command("plan");
    CHECK_FALSE(has_escape(piped.out + piped.err));
}

TEST_CASE("with --output json an error is a JSON object on stdout as well as text on stderr",
          "[e2e][cli][json]") {
    Emulator emu;
    Project project(emu,
                    bots_manifest() +
                        "  - name: Broken\n    expiresInDays: 30\n    permissions: [files:fly]\n");
    const auto invalid = project.command("plan", {"--output", "json"});
    CHECK(invalid.exit_code == 3);
    CHECK(contains(invalid.err, "files:fly"));
    const auto document = nlohmann::json::parse(invalid.out);
    CHECK(document.at("formatVersion") == 2);
    const auto& error = document.at("error");
    CHECK(error.at("code") == "invalid_input");
    CHECK(error.at("exitCode") == 3);
    CHECK(contains(error.at("message").get<std::string>(), "files:fly"));
    CHECK(error.at("file") == project.manifest.string());
    CHECK(error.at("line").get<int>() > 1);
    CHECK(error.at("column").get<int>() > 1);

    const auto validate = project.command("validate", {"--output", "json"});
    CHECK(validate.exit_code == 3);
    CHECK(nlohmann::json::parse(validate.out).at("error").at("exitCode") == 3);

    const auto flag = project.command("status", {"--output", "json", "--no-such-flag"});
    CHECK(flag.exit_code == 3);
    CHECK(nlohmann::json::parse(flag.out).at("error").at("code") == "invalid_input");

    Project good(emu);
    auto env = good.env();
    env.env["DOCSPACE_TOKEN"] = "wrong-token";
    const auto denied = good.run({"status", good.manifest.string(), "--output", "json"}, env);
    CHECK(denied.exit_code != 0);
    const auto denial = nlohmann::json::parse(denied.out);
    CHECK(denial.at("error").at("exitCode") == denied.exit_code);
    CHECK(denial.at("error").at("file").is_null());
    CHECK_FALSE(contains(denied.out, "wrong-token"));

    const auto valid = good.command("validate", {"--output", "json"});
    CHECK(valid.exit_code == 0);
    const auto report = nlohmann::json::parse(valid.out);
    CHECK(report.at("valid") == true);
    CHECK(report.at("keys") == 3);
}

TEST_CASE("plans fold unchanged entries and show a scope change as what is added and removed",
          "[e2e][cli][plan]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    const std::string id = only_key(emu, "Backup Agent").at("id");
    REQUIRE(emu.put("/api/2.0/keys/" + id, {{"permissions", {"files:read", "files:write"}}},
                    Emulator::owner_token())
                .status == 200);
    const auto folded = project.command("plan");
    INFO(folded.out);
    CHECK(folded.exit_code == 0);
    CHECK(contains(folded.out, "Backup Agent"));
    CHECK_FALSE(contains(folded.out, "Audit Reader"));
    CHECK(contains(folded.out, "permissions: + rooms:read  - files:write\n"));
    CHECK(contains(folded.out,
                   "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete. 2 unchanged."));
    for (const std::string flag : {"-v", "--show-noop"}) {
        const auto listed = project.command("plan", {flag});
        CHECK(contains(listed.out, "Audit Reader"));
        CHECK(contains(listed.out, "Integration Bot"));
    }
    const auto json = nlohmann::json::parse(project.command("plan", {"--output", "json"}).out);
    for (const auto& action : json.at("actions")) {
        if (action.at("entry") == "Backup Agent") {
            CHECK(action.at("changes").at(0).at("added") == nlohmann::json::array({"rooms:read"}));
        }
    }
}

namespace {

/// What the bash completion script `provision completion bash` offers for `words` (the last
/// one being completed), with provision on the PATH as an installed one would be.
std::vector<std::string> bash_completions(const Project& project,
                                          const std::vector<std::string>& words) {
    const auto script = project.dir.path() / "provision.bash";
    const auto made = project.run({"completion", "bash"});
    REQUIRE(made.exit_code == 0);
    write_text(script, made.out);
    std::string array;
    for (const auto& word : words) {
        array += " '" + word + "'";
    }
    auto env = project.env();
    env.env["PATH"] =
        fs::path(test_support::provision_binary()).parent_path().string() + ":/usr/bin:/bin";
    const auto r =
        test_support::run_process({"/bin/bash", "-c",
                                   "source \"$0\"; COMP_WORDS=(" + array +
                                       "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
                                       "__provision_complete; printf '%s\\n' \"${COMPREPLY[@]}\"",
                                   script.string()},
                                  env);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) {
            lines.push_back(line);
        }
    }
    return lines;
}

bool offers(const std::vector<std::string>& completions, const std::string& word) {
    return std::find(completions.begin(), completions.end(), word) != completions.end();
}

}  // namespace

TEST_CASE("the bash completion offers commands, options, global flags and the manifest's entries",
          "[e2e][cli][completion]") {
    Emulator emu;
    Project project(emu);
    CHECK(bash_completions(project, {"provision", "pl"}) == std::vector<std::string>{"plan"});
    const auto apply = bash_completions(project, {"provision", "apply", "--pr"});
    CHECK(apply == std::vector<std::string>{"--prune"});
    CHECK(offers(bash_completions(project, {"provision", "plan", "--no-"}), "--no-color"));
    const auto targets = bash_completions(
        project, {"provision", "apply", project.manifest.string(), "--target", ""});
    CHECK(targets == k_bot_names);
    CHECK(bash_completions(project, {"provision", "--log-level", "de"}) ==
          std::vector<std::string>{"debug"});
    // A flag takes no value: the word after it is the command.
    CHECK(
        offers(bash_completions(project, {"provision", "--no-color", "plan", "--pr"}), "--prune"));
    // A command's own subcommands, then their options.
    CHECK(bash_completions(project, {"provision", "state", ""}) ==
          std::vector<std::string>{"migrate", "unlock", "force-unlock"});
    CHECK(bash_completions(project, {"provision", "state", "unlock", "--a"}) ==
          std::vector<std::string>{"--auto-approve"});
    CHECK(offers(bash_completions(project, {"provision", "state", "migrate", "--"}), "--to"));
    for (const std::string shell : {"zsh", "fish"}) {
        const auto script = project.run({"completion", shell});
        CHECK(script.exit_code == 0);
        CHECK(contains(script.out, "provision __entries"));
    }
    CHECK(contains(project.run({"completion", "fish"}).out,
                   "__fish_seen_subcommand_from state; and __fish_seen_subcommand_from unlock"));
    CHECK(project.run({"completion", "tcsh"}).exit_code == 3);
    const auto entries = project.run({"__entries", project.manifest.string()});
    CHECK(entries.out == "Integration Bot\nBackup Agent\nAudit Reader\n");
    CHECK_FALSE(contains(project.run({"--help"}).out, "__entries"));
}

TEST_CASE("status --output prometheus writes the textfile-collector format", "[e2e][cli][status]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    emu.patch_key(only_key(emu, "Backup Agent").at("id"), {{"isActive", false}});
    const auto r = project.command("status", {"--output", "prometheus"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    const std::string manifest = project.manifest.string();
    const auto labels = [&](const std::string& entry) {
        return "{manifest=\"" + manifest + "\",entry=\"" + entry + "\"}";
    };
    CHECK(contains(r.out, "# TYPE provision_key_expiry_timestamp_seconds gauge\n"));
    CHECK(contains(r.out,
                   "provision_key_expiry_timestamp_seconds" + labels("Integration Bot") + " "));
    CHECK(contains(r.out, "provision_key_active" + labels("Integration Bot") + " 1\n"));
    CHECK(contains(r.out, "provision_key_active" + labels("Backup Agent") + " 0\n"));
    CHECK(
        contains(r.out, "provision_last_apply_timestamp_seconds{manifest=\"" + manifest + "\"} "));
    CHECK(contains(r.out, "provision_unmanaged_keys{manifest=\"" + manifest + "\"} 0\n"));
    check_no_secret(emu, r.out);
    // Every sample line is "name{labels} number".
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line.front() == '#') {
            continue;
        }
        INFO(line);
        const auto space = line.rfind(' ');
        REQUIRE(space != std::string::npos);
        CHECK_NOTHROW(std::stoll(line.substr(space + 1)));
    }
}

TEST_CASE("plan --output markdown renders a pull-request comment without secrets",
          "[e2e][cli][plan]") {
    Emulator emu;
    Project project(emu);
    apply_ok(project);
    const std::string id = only_key(emu, "Backup Agent").at("id");
    REQUIRE(
        emu.put("/api/2.0/keys/" + id, {{"permissions", {"files:read"}}}, Emulator::owner_token())
            .status == 200);
    const auto r = project.command("plan", {"--output", "markdown"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out,
                   "**Plan: 0 to create, 1 to update, 0 to replace, 0 to delete. 2 unchanged.**"));
    CHECK(contains(r.out, "| `~` | update | Backup Agent |"));
    CHECK(contains(r.out, "permissions: + rooms:read |"));
    CHECK(contains(r.out, "<details><summary>2 unchanged</summary>"));
    check_no_secret(emu, r.out);
}
