#include "provision/output/output.hpp"

#include "process.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

using namespace provision;
using provision::manifest::OutputFormat;
using provision::manifest::OutputSpec;
using provision::output::SecretRecord;

namespace {

SecretRecord make_record(const std::string& entry, const std::string& env,
                         const std::string& value) {
    SecretRecord record;
    record.entry = entry;
    record.env = env;
    record.secret = core::Secret{value};
    record.id = "id-" + env;
    record.name = entry;
    record.postfix = "9f3a";
    record.permissions = core::Scopes::from_list({"files:read"});
    record.expires_at = core::parse_iso8601("2026-07-31T12:00:00Z");
    return record;
}

std::vector<SecretRecord> shell_hostile_records() {
    return {
        make_record("api", "API_KEY",
                    "sk-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d29f3a"),
        make_record("quotes", "QUOTES", "it's \"double\" '\\'' `cmd` $(echo pwned) $HOME ${X:-y}"),
        make_record("meta", "META", "#hash a=b; c & d | e > f < g * ? ~ !x \\"),
        make_record("lines", "LINES", "one\ntwo\r\n\tthree\n\n"),
        make_record("unicode", "UNICODE", "ünïcødé ключ 🔑 \u2028 \ufeff"),
        make_record("controls", "CONTROLS", std::string("bell\a esc\x1b[31m del\x7f")),
        make_record("spaces", "SPACES", "  padded  "),
        make_record("long", "LONG", std::string(20000, 'x') + "'$end"),
    };
}

OutputSpec spec_at(const std::filesystem::path& path, OutputFormat format) {
    OutputSpec spec;
    spec.path = path;
    spec.path_as_written = path.filename().string();
    spec.format = format;
    spec.k8s_name = "bots";
    return spec;
}

manifest::Manifest manifest_with(const std::vector<OutputSpec>& outputs,
                                 const std::vector<std::pair<std::string, std::string>>& keys) {
    manifest::Manifest m;
    m.outputs = outputs;
    for (const auto& [name, env] : keys) {
        manifest::KeySpec key;
        key.name = name;
        key.env = env;
        m.keys.push_back(key);
    }
    return m;
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

mode_t mode_of(const std::filesystem::path& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

/// Runs bash -c 'set -a; source FILE; printf %s "$NAME"' and returns its stdout.
std::string bash_value(const std::filesystem::path& file, const std::string& name) {
    const std::string command =
        "bash -c 'set -a; source \"$0\"; printf %s \"$" + name + "\"' '" + file.string() + "'";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
        out.append(buf, n);
    }
    CHECK(::pclose(pipe) == 0);
    return out;
}

/// Lines of `text` that carry one of the records' values (as written by its format).
std::vector<std::string> lines_with_env(const std::string& text,
                                        const std::vector<SecretRecord>& records) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.find("provision/keys") != std::string::npos) {
            continue;  // the Kubernetes annotation lists every key, so it grows with them
        }
        for (const auto& record : records) {
            if (line.find(record.env) != std::string::npos) {
                lines.push_back(line);
            }
        }
    }
    return lines;
}

}  // namespace

TEST_CASE("bash sources the dotenv output and gets every hostile value back exactly", "[output]") {
    test_support::TempDir dir;
    const auto spec = spec_at(dir / "bots.env", OutputFormat::dotenv);
    const auto records = shell_hostile_records();
    REQUIRE(output::write_output(spec, records).ok());
    for (const auto& record : records) {
        INFO("variable " << record.env);
        CHECK(bash_value(spec.path, record.env) == record.secret.reveal());
    }
}

TEST_CASE("outputs are written 0600 even under umask 0", "[output]") {
    test_support::TempDir dir;
    const mode_t old_mask = ::umask(0);
    for (const auto format :
         {OutputFormat::dotenv, OutputFormat::json, OutputFormat::yaml, OutputFormat::k8s_secret}) {
        const auto spec =
            spec_at(dir / ("out-" + std::to_string(static_cast<int>(format))), format);
        const auto written = output::write_output(spec, shell_hostile_records());
        CHECK(written.ok());
        CHECK(mode_of(spec.path) == 0600);
        const auto rendered = output::render_output(spec, shell_hostile_records());
        REQUIRE(rendered.ok());
        CHECK(read_text(spec.path) == *rendered);
    }
    ::umask(old_mask);
}

TEST_CASE("rewriting an output with one more key keeps the other keys' lines byte for byte",
          "[output]") {
    test_support::TempDir dir;
    const auto records = shell_hostile_records();
    for (const auto format :
         {OutputFormat::dotenv, OutputFormat::json, OutputFormat::yaml, OutputFormat::k8s_secret}) {
        const auto spec =
            spec_at(dir / ("out-" + std::to_string(static_cast<int>(format))), format);
        INFO("format " << static_cast<int>(format));
        REQUIRE(output::write_output(spec, records).ok());
        const std::string before = read_text(spec.path);

        std::vector<std::pair<std::string, std::string>> keys;
        for (const auto& record : records) {
            keys.emplace_back(record.entry, record.env);
        }
        keys.emplace_back("new", "NEW_KEY");
        const auto known = output::read_known_secrets(manifest_with({spec}, keys));
        REQUIRE(known.ok());
        REQUIRE(known->size() == records.size());

        std::vector<SecretRecord> next;
        for (const auto& record : records) {
            SecretRecord copy = record;
            copy.secret = known->at(record.entry);  // the secret as read back, not as remembered
            next.push_back(copy);
        }
        next.push_back(make_record("new", "NEW_KEY", "sk-" + std::string(64, 'b')));
        REQUIRE(output::write_output(spec, next).ok());
        const std::string after = read_text(spec.path);

        const auto old_lines = lines_with_env(before, records);
        REQUIRE(old_lines.size() >= records.size());
        for (const auto& line : old_lines) {
            CHECK(after.find(line) != std::string::npos);
        }
        if (format == OutputFormat::dotenv || format == OutputFormat::yaml) {
            CHECK(after.substr(0, before.size()) == before);
        }
        const auto reread = output::parse_output(spec, after);
        REQUIRE(reread.ok());
        CHECK(reread->at("NEW_KEY").reveal() == "sk-" + std::string(64, 'b'));
    }
}

TEST_CASE("an output path that is a symlink is refused and its target left alone", "[output]") {
    test_support::TempDir dir;
    const auto target = dir / "target.env";
    std::ofstream(target) << "UNTOUCHED=1\n";
    const auto link = dir / "bots.env";
    std::filesystem::create_symlink(target, link);
    const auto spec = spec_at(link, OutputFormat::dotenv);

    const auto written = output::write_output(spec, shell_hostile_records());
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().message.find(link.string()) != std::string::npos);
    CHECK(written.error().message.find("symbolic link") != std::string::npos);
    CHECK(read_text(target) == "UNTOUCHED=1\n");
    CHECK(std::filesystem::is_symlink(link));
    CHECK_FALSE(output::check_output_writable(spec).ok());
}

TEST_CASE("an output path that is a directory is refused", "[output]") {
    test_support::TempDir dir;
    std::filesystem::create_directory(dir / "bots.env");
    const auto spec = spec_at(dir / "bots.env", OutputFormat::dotenv);
    const auto written = output::write_output(spec, shell_hostile_records());
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().code == core::Errc::invalid_input);
    CHECK(written.error().message.find("is a directory") != std::string::npos);
    const auto checked = output::check_output_writable(spec);
    REQUIRE_FALSE(checked.ok());
    CHECK(checked.error().message.find(spec.path.string()) != std::string::npos);
}

TEST_CASE("an output file owned by another user is refused", "[output]") {
    test_support::TempDir dir;
    const auto path = dir / "bots.env";
    std::ofstream(path) << "A=1\n";
    if (::geteuid() != 0) {
        WARN("not root: cannot give a file to another user; ownership refusal not exercised");
        return;
    }
    REQUIRE(::chown(path.c_str(), 4242, 4242) == 0);
    const auto written =
        output::write_output(spec_at(path, OutputFormat::dotenv), shell_hostile_records());
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().message.find("owned by uid 4242") != std::string::npos);
    CHECK(read_text(path) == "A=1\n");
}

TEST_CASE("the writability probe creates missing directories 0700 and leaves nothing behind",
          "[output]") {
    test_support::TempDir dir;
    const mode_t old_mask = ::umask(0);
    const auto spec = spec_at(dir / "secrets" / "ci" / "bots.env", OutputFormat::dotenv);
    const auto checked = output::check_output_writable(spec);
    ::umask(old_mask);
    REQUIRE(checked.ok());
    CHECK(mode_of(dir / "secrets") == 0700);
    CHECK(mode_of(dir / "secrets" / "ci") == 0700);
    CHECK(std::filesystem::is_empty(dir / "secrets" / "ci"));
    CHECK_FALSE(std::filesystem::exists(spec.path));

    std::ofstream(dir / "file") << "x";
    const auto blocked =
        output::check_output_writable(spec_at(dir / "file" / "bots.env", OutputFormat::dotenv));
    REQUIRE_FALSE(blocked.ok());
    CHECK(blocked.error().message.find("not a directory") != std::string::npos);
}

TEST_CASE("known secrets map variables back to entries across outputs", "[output]") {
    test_support::TempDir dir;
    auto env_spec = spec_at(dir / "bots.env", OutputFormat::dotenv);
    auto json_spec = spec_at(dir / "bots.json", OutputFormat::json);
    json_spec.keys = {"reporting"};
    const auto missing = spec_at(dir / "absent.yaml", OutputFormat::yaml);
    const auto api = make_record("api", "API_KEY", "secret-api");
    const auto reporting = make_record("reporting", "REPORTING_KEY", "secret-reporting");
    REQUIRE(output::write_output(env_spec, {api}).ok());
    REQUIRE(output::write_output(json_spec, {reporting, api}).ok());

    const auto m =
        manifest_with({env_spec, json_spec, missing},
                      {{"api", "API_KEY"}, {"reporting", "REPORTING_KEY"}, {"other", "OTHER"}});
    const auto known = output::read_known_secrets(m);
    REQUIRE(known.ok());
    CHECK(known->size() == 2);
    CHECK(known->at("api").reveal() == "secret-api");
    CHECK(known->at("reporting").reveal() == "secret-reporting");
    CHECK(known->count("other") == 0);
}

TEST_CASE("two outputs holding different secrets for one entry are an error naming both files",
          "[output]") {
    test_support::TempDir dir;
    const auto first = spec_at(dir / "a.env", OutputFormat::dotenv);
    const auto second = spec_at(dir / "b.yaml", OutputFormat::yaml);
    REQUIRE(
        output::write_output(first, {make_record("api", "API_KEY", "sk-first-secret-value")}).ok());
    REQUIRE(output::write_output(second, {make_record("api", "API_KEY", "sk-second-secret-value")})
                .ok());
    const auto known =
        output::read_known_secrets(manifest_with({first, second}, {{"api", "API_KEY"}}));
    REQUIRE_FALSE(known.ok());
    CHECK(known.error().code == core::Errc::invalid_input);
    CHECK(known.error().message.find(first.path.string()) != std::string::npos);
    CHECK(known.error().message.find(second.path.string()) != std::string::npos);
    CHECK(known.error().message.find("first-secret") == std::string::npos);
    CHECK(known.error().message.find("second-secret") == std::string::npos);
}

TEST_CASE("read_held_secrets keeps every distinct secret of an entry, in output order, and the "
          "variables no entry writes",
          "[output]") {
    test_support::TempDir dir;
    const auto first = spec_at(dir / "a.env", OutputFormat::dotenv);
    const auto second = spec_at(dir / "b.yaml", OutputFormat::yaml);
    REQUIRE(output::write_output(first, {make_record("api", "API_KEY", "sk-first-secret-value"),
                                         make_record("gone", "GONE_KEY", "sk-gone-secret-value")})
                .ok());
    REQUIRE(output::write_output(second, {make_record("api", "API_KEY", "sk-second-secret-value")})
                .ok());
    const auto held =
        output::read_held_secrets(manifest_with({first, second}, {{"api", "API_KEY"}}));
    REQUIRE(held.ok());
    const auto& candidates = held->by_entry.at("api");
    REQUIRE(candidates.size() == 2);
    CHECK(candidates[0].reveal() == "sk-first-secret-value");
    CHECK(candidates[1].reveal() == "sk-second-secret-value");
    REQUIRE(held->foreign.size() == 1);
    CHECK(held->foreign.front().variable == "GONE_KEY");
    CHECK(held->foreign.front().fingerprint ==
          core::Secret{std::string("sk-gone-secret-value")}.fingerprint());
}

TEST_CASE("a corrupt output is an error naming the file, while encrypted outputs are not read "
          "without an identity",
          "[output]") {
    ::unsetenv("PROVISION_AGE_IDENTITY_FILE");
    ::unsetenv("PROVISION_AGE_IDENTITY");
    test_support::TempDir dir;
    auto plain = spec_at(dir / "bots.json", OutputFormat::json);
    std::ofstream(plain.path) << "{\"version\": 1, \"keys\": ";
    const auto corrupt = output::read_known_secrets(manifest_with({plain}, {{"api", "API_KEY"}}));
    REQUIRE_FALSE(corrupt.ok());
    CHECK(corrupt.error().message.find(plain.path.string()) != std::string::npos);

    auto encrypted = spec_at(dir / "bots.json", OutputFormat::json);
    encrypted.age_recipients = {"age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"};
    const auto skipped =
        output::read_known_secrets(manifest_with({encrypted}, {{"api", "API_KEY"}}));
    REQUIRE(skipped.ok());
    CHECK(skipped->empty());
}
