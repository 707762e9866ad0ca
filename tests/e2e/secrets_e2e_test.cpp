// Secret outputs through the real binary: age-encrypted outputs (write, decrypt, authenticate,
// rerun with and without an identity), the token kept out of age's environment, and every
// destination refusal (git, symlink, non-regular, another owner) happening before any POST.

#include "e2e_support.hpp"

#include <sys/stat.h>
#include <unistd.h>

using namespace e2e;

namespace {

/// The worked example with one age-encrypted dotenv output to `recipient`.
std::string encrypted_manifest(const std::string& recipient) {
    return bots_manifest_with_outputs("  - path: ../secrets/bots.env.age\n"
                                      "    format: dotenv\n"
                                      "    encrypt:\n"
                                      "      age: [" +
                                          recipient + "]\n",
                                      /*replace=*/true);
}

/// An age key pair made by age-keygen: the identity file and its recipient.
struct AgeKey {
    fs::path identity;
    std::string recipient;
};

AgeKey make_age_key(const fs::path& dir) {
    AgeKey key{dir / "age-key.txt", ""};
    const auto made =
        test_support::run_process({"/usr/bin/age-keygen", "-o", key.identity.string()});
    REQUIRE(made.exit_code == 0);
    const auto pub =
        test_support::run_process({"/usr/bin/age-keygen", "-y", key.identity.string()});
    REQUIRE(pub.exit_code == 0);
    key.recipient = pub.out.substr(0, pub.out.find('\n'));
    REQUIRE(key.recipient.rfind("age1", 0) == 0);
    return key;
}

/// Decrypts with the age CLI and reads the dotenv values back with bash.
std::map<std::string, std::string> decrypt_dotenv(const fs::path& encrypted, const AgeKey& key,
                                                  const fs::path& scratch) {
    const auto plain = scratch / "decrypted.env";
    const auto r = test_support::run_process({"/usr/bin/age", "-d", "-i", key.identity.string(),
                                              "-o", plain.string(), encrypted.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto values = source_dotenv(plain, k_bot_vars);
    fs::remove(plain);
    return values;
}

std::vector<std::string> portal_secrets(const Emulator& emu) {
    std::vector<std::string> secrets;
    const auto state = emu.state();
    for (const auto& key : state.at("keys")) {
        secrets.push_back(key.at("secret").get<std::string>());
    }
    return secrets;
}

void git(const fs::path& dir, std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/git", "-C", dir.string()});
    const auto r = test_support::run_process(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
}

/// apply must refuse with `exit_code`, naming `needle`, with not one key-creating request. A
/// refusal found while reading the outputs back is an I/O error (1); one found by the preflight
/// that follows the plan is an invalid input (3).
void require_refused_before_any_post(const Project& project, const std::string& needle,
                                     int exit_code) {
    const auto applied = project.command("apply");
    INFO(applied.out << applied.err);
    CHECK(applied.exit_code == exit_code);
    CHECK(applied.err.find(needle) != std::string::npos);
    CHECK(project.posts() == 0);
    CHECK(project.emulator.state().at("keys").empty());
}

}  // namespace

TEST_CASE("an age-encrypted output decrypts with age -d to secrets that each authenticate",
          "[e2e][age]") {
    Emulator emu;
    TempDir keys;
    const AgeKey key = make_age_key(keys.path());
    Project project(emu, encrypted_manifest(key.recipient));

    const auto applied = project.command("apply");
    INFO(applied.out << applied.err);
    REQUIRE(applied.exit_code == 0);
    CHECK(project.posts() == 3);

    const auto encrypted = project.secrets("bots.env.age");
    const auto ciphertext = read_text(encrypted);
    CHECK(ciphertext.rfind("-----BEGIN AGE ENCRYPTED FILE-----", 0) == 0);
    CHECK(mode_of(encrypted) == 0600U);
    const auto index_file = project.secrets("bots.env.age.fingerprints.json");
    CHECK(mode_of(index_file) == 0600U);
    const auto index = nlohmann::json::parse(read_text(index_file));
    CHECK(index.at("keys").size() == 3);

    const auto values = decrypt_dotenv(encrypted, key, keys.path());
    const auto issued = portal_secrets(emu);
    REQUIRE(issued.size() == 3);
    for (const auto& var : k_bot_vars) {
        const std::string& secret = values.at(var);
        CHECK(std::find(issued.begin(), issued.end(), secret) != issued.end());
        CHECK(self_with(emu, secret).status == 200);
        CHECK(ciphertext.find(secret) == std::string::npos);
        CHECK(read_text(index_file).find(secret) == std::string::npos);
    }
}

TEST_CASE("a second apply over an encrypted output sends zero POSTs with or without an identity",
          "[e2e][age]") {
    Emulator emu;
    TempDir keys;
    const AgeKey key = make_age_key(keys.path());
    Project project(emu, encrypted_manifest(key.recipient));
    REQUIRE(project.command("apply").exit_code == 0);
    const auto encrypted = project.secrets("bots.env.age");
    const auto first = read_text(encrypted);

    SECTION("without an identity the fingerprint index says the secrets are held") {
        const auto again = project.command("apply");
        INFO(again.out << again.err);
        CHECK(again.exit_code == 0);
        const auto plan = project.command("plan", {"--detailed-exitcode"});
        CHECK(plan.exit_code == 0);
    }
    SECTION("with PROVISION_AGE_IDENTITY_FILE the output is decrypted and matches") {
        auto env = project.env();
        env.env["PROVISION_AGE_IDENTITY_FILE"] = key.identity.string();
        const auto again = project.run({"apply", project.manifest.string()}, env);
        INFO(again.out << again.err);
        CHECK(again.exit_code == 0);
    }
    SECTION("with the identity text in PROVISION_AGE_IDENTITY") {
        auto env = project.env();
        env.env["PROVISION_AGE_IDENTITY"] = read_text(key.identity);
        const auto again = project.run({"apply", project.manifest.string()}, env);
        INFO(again.out << again.err);
        CHECK(again.exit_code == 0);
    }
    CHECK(project.posts() == 3);
    CHECK(read_text(encrypted) == first);  // nothing to change, so not even re-encrypted
}

TEST_CASE("a new key for an encrypted output needs the identity, and keeps the other secrets",
          "[e2e][age]") {
    Emulator emu;
    TempDir keys;
    const AgeKey key = make_age_key(keys.path());
    Project project(emu, encrypted_manifest(key.recipient));
    REQUIRE(project.command("apply").exit_code == 0);
    const auto encrypted = project.secrets("bots.env.age");
    const auto before = decrypt_dotenv(encrypted, key, keys.path());
    const auto state = nlohmann::json::parse(read_text(project.state_file()));
    std::string backup_id;
    for (const auto& record : state.at("keys")) {
        if (record.at("entry") == "Backup Agent") {
            backup_id = record.at("id").get<std::string>();
        }
    }
    REQUIRE(!backup_id.empty());
    REQUIRE(emu.del("/api/2.0/keys/" + backup_id, Emulator::owner_token()).status == 200);

    const auto refused = project.command("apply");
    INFO(refused.out << refused.err);
    CHECK(refused.exit_code == 3);
    CHECK(refused.err.find("PROVISION_AGE_IDENTITY_FILE") != std::string::npos);
    CHECK(project.posts() == 3);

    auto env = project.env();
    env.env["PROVISION_AGE_IDENTITY_FILE"] = key.identity.string();
    const auto applied = project.run({"apply", project.manifest.string()}, env);
    INFO(applied.out << applied.err);
    REQUIRE(applied.exit_code == 0);
    CHECK(project.posts() == 4);
    const auto after = decrypt_dotenv(encrypted, key, keys.path());
    CHECK(after.at("INTEGRATION_BOT_API_KEY") == before.at("INTEGRATION_BOT_API_KEY"));
    CHECK(after.at("AUDIT_READER_API_KEY") == before.at("AUDIT_READER_API_KEY"));
    CHECK(after.at("BACKUP_AGENT_API_KEY") != before.at("BACKUP_AGENT_API_KEY"));
    CHECK(self_with(emu, after.at("BACKUP_AGENT_API_KEY")).status == 200);
}

TEST_CASE("age runs with PATH as its only environment, so the portal token never reaches it",
          "[e2e][age]") {
    Emulator emu;
    TempDir keys;
    const AgeKey key = make_age_key(keys.path());
    Project project(emu, encrypted_manifest(key.recipient));
    const fs::path bin = keys.path() / "bin";
    const fs::path dump = keys.path() / "age-env.txt";
    write_text(bin / "age",
               "#!/bin/sh\n/usr/bin/env > '" + dump.string() + "'\nexec /usr/bin/age \"$@\"\n");
    fs::permissions(bin / "age", fs::perms::owner_all);
    auto env = project.env();
    env.env["PATH"] = bin.string() + ":/usr/local/bin:/usr/bin:/bin";
    env.env["PROVISION_AGE_IDENTITY_FILE"] = key.identity.string();

    const auto applied = project.run({"apply", project.manifest.string()}, env);
    INFO(applied.out << applied.err);
    REQUIRE(applied.exit_code == 0);
    const auto seen = read_text(dump);
    CHECK(seen.find("PATH=" + bin.string()) != std::string::npos);
    CHECK(seen.find(Emulator::owner_token()) == std::string::npos);
    CHECK(seen.find("DOCSPACE_TOKEN") == std::string::npos);
    CHECK(seen.find("DOCSPACE_URL") == std::string::npos);
    CHECK(seen.find("PROVISION_AGE_IDENTITY") == std::string::npos);
}

TEST_CASE(
    "a plaintext output in a git work tree that git does not ignore is refused before any POST",
    "[e2e][git]") {
    Emulator emu;
    Project project(emu);
    git(project.dir.path(), {"init", "-q"});

    require_refused_before_any_post(project, "git does not ignore it", 3);
    const auto plan = project.command("plan");
    CHECK(plan.exit_code == 3);
    CHECK(plan.err.find("allowGit: true") != std::string::npos);
    CHECK(project.posts() == 0);
}

TEST_CASE("a plaintext output that git tracks is refused even when .gitignore now matches it",
          "[e2e][git]") {
    Emulator emu;
    Project project(emu);
    git(project.dir.path(), {"init", "-q"});
    write_text(project.secrets("bots.env"), "# placeholder\n");
    git(project.dir.path(), {"add", "secrets/bots.env"});
    write_text(project.dir.path() / ".gitignore", "secrets/\n");

    require_refused_before_any_post(project, "git tracks it", 3);
}

TEST_CASE("plaintext outputs that git ignores, or with allowGit, and encrypted ones are written in "
          "a work tree",
          "[e2e][git]") {
    Emulator emu;
    TempDir keys;
    SECTION("ignored by .gitignore") {
        Project project(emu);
        git(project.dir.path(), {"init", "-q"});
        write_text(project.dir.path() / ".gitignore", "secrets/\n");
        const auto applied = project.command("apply");
        INFO(applied.err);
        CHECK(applied.exit_code == 0);
        CHECK(project.posts() == 3);
    }
    SECTION("allowGit: true on every output") {
        std::string manifest = bots_manifest();
        for (const std::string format : {"format: dotenv\n", "format: json\n"}) {
            const auto at = manifest.find(format);
            manifest.insert(at + format.size(), "    allowGit: true\n");
        }
        Project project(emu, manifest);
        git(project.dir.path(), {"init", "-q"});
        const auto applied = project.command("apply");
        INFO(applied.err);
        CHECK(applied.exit_code == 0);
        CHECK(project.posts() == 3);
    }
    SECTION("encrypted with age") {
        const AgeKey key = make_age_key(keys.path());
        Project project(emu, encrypted_manifest(key.recipient));
        git(project.dir.path(), {"init", "-q"});
        const auto applied = project.command("apply");
        INFO(applied.err);
        CHECK(applied.exit_code == 0);
        CHECK(project.posts() == 3);
    }
}

// A symlink, a directory or a FIFO as an output: bad_files_e2e_test.cpp.

TEST_CASE("an output owned by another user is refused before any POST", "[e2e][destination]") {
    Emulator emu;
    Project project(emu);
    write_text(project.secrets("bots.env"), "# someone else's\n");
    if (::geteuid() == 0) {
        REQUIRE(::chown(project.secrets("bots.env").c_str(), 65534, 65534) == 0);
    } else {
        // Without root, point the output at a file root owns.
        std::string manifest = bots_manifest();
        const std::string from = "../secrets/bots.env";
        manifest.replace(manifest.find(from), from.size(), "/etc/hostname");
        write_text(project.manifest, manifest);
    }
    require_refused_before_any_post(project, "owned by uid", 3);
}

TEST_CASE("destroy needs no age identity: it removes an encrypted output rather than rewriting it",
          "[e2e][age][destroy]") {
    Emulator emu;
    TempDir keys;
    const AgeKey key = make_age_key(keys.path());
    Project project(emu, encrypted_manifest(key.recipient));
    REQUIRE(project.command("apply").exit_code == 0);
    const auto encrypted = project.secrets("bots.env.age");
    REQUIRE(fs::exists(encrypted));
    // An apply now would recreate this key and so rewrite the output (refused without the
    // identity); destroy plans only deletions.
    const auto state = nlohmann::json::parse(read_text(project.state_file()));
    const std::string gone = state.at("keys").at(0).at("id").get<std::string>();
    REQUIRE(emu.del("/api/2.0/keys/" + gone, Emulator::owner_token()).status == 200);
    REQUIRE(project.command("apply").exit_code == 3);

    const auto destroyed = project.command("destroy", {"--auto-approve"});
    INFO(destroyed.out << destroyed.err);
    CHECK(destroyed.exit_code == 0);
    CHECK(emu.state().at("keys").empty());
    CHECK_FALSE(fs::exists(encrypted));
    CHECK_FALSE(fs::exists(project.state_file()));
}
