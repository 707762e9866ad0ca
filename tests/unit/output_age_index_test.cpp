// The fingerprint index beside encrypted outputs, and how a run without an age identity judges
// and protects them. No child process: nothing here encrypts or decrypts.

#include "provision/apply/sealed_outputs.hpp"
#include "provision/output/age.hpp"

#include "process.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <set>

using namespace provision;

namespace {

const std::string k_secret_a = "sk-" + std::string(64, 'a');
const std::string k_secret_b = "sk-" + std::string(64, 'b');

manifest::OutputSpec encrypted_at(const std::filesystem::path& path) {
    manifest::OutputSpec spec;
    spec.path = path;
    spec.path_as_written = path.filename().string();
    spec.format = manifest::OutputFormat::dotenv;
    spec.age_recipients = {"age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"};
    return spec;
}

/// Two entries A and B, both in the state with the fingerprints of k_secret_a and k_secret_b.
struct Fixture {
    test_support::TempDir dir;
    manifest::Manifest manifest;
    apply::World world;

    Fixture() {
        manifest.outputs.push_back(encrypted_at(dir / "bots.env.age"));
        for (const auto& [name, secret] :
             {std::pair{"A", k_secret_a}, std::pair{"B", k_secret_b}}) {
            manifest::KeySpec key;
            key.name = name;
            key.env = std::string(name) + "_KEY";
            manifest.keys.push_back(key);
            state::ManagedKey record;
            record.entry = name;
            record.id = std::string("id-") + name;
            record.fingerprint = core::Secret{secret}.fingerprint();
            world.state.upsert(record);
        }
        ::unsetenv("PROVISION_AGE_IDENTITY_FILE");
        ::unsetenv("PROVISION_AGE_IDENTITY");
    }

    const manifest::OutputSpec& spec() const { return manifest.outputs.front(); }

    void write_encrypted_with(const output::AgeIndex& index) const {
        std::ofstream(spec().path) << "-----BEGIN AGE ENCRYPTED FILE-----\n";
        std::ofstream(output::age_index_path(spec().path)) << output::render_age_index(index);
    }

    output::AgeIndex index_of_both() const {
        output::AgeIndex index;
        index.content_fingerprint = "sha256:" + std::string(64, '0');
        index.keys["A_KEY"] = {"A", core::Secret{k_secret_a}.fingerprint()};
        index.keys["B_KEY"] = {"B", core::Secret{k_secret_b}.fingerprint()};
        return index;
    }
};

}  // namespace

TEST_CASE("the fingerprint index reads back exactly and holds no secret", "[output][age]") {
    Fixture f;
    const auto index = f.index_of_both();
    f.write_encrypted_with(index);
    const auto text = output::render_age_index(index);
    CHECK(text.find(k_secret_a) == std::string::npos);
    CHECK(text.find(std::string(64, 'a')) == std::string::npos);

    const auto read = output::read_age_index(f.spec().path);
    REQUIRE(read.ok());
    REQUIRE(read->has_value());
    CHECK((*read)->content_fingerprint == index.content_fingerprint);
    REQUIRE((*read)->keys.size() == 2);
    CHECK((*read)->keys.at("A_KEY").entry == "A");
    CHECK((*read)->keys.at("B_KEY").fingerprint == index.keys.at("B_KEY").fingerprint);
    CHECK(output::render_age_index(**read) == text);
}

TEST_CASE("a corrupt index is an error naming it, and a missing one reads as absent",
          "[output][age]") {
    Fixture f;
    const auto absent = output::read_age_index(f.spec().path);
    REQUIRE(absent.ok());
    CHECK_FALSE(absent->has_value());

    std::ofstream(output::age_index_path(f.spec().path)) << "{\"version\": 1, \"keys\": [";
    const auto corrupt = output::read_age_index(f.spec().path);
    REQUIRE_FALSE(corrupt.ok());
    CHECK(corrupt.error().message.find("bots.env.age.fingerprints.json") != std::string::npos);
}

TEST_CASE("without an identity an encrypted output's index says which secrets it holds",
          "[output][age]") {
    Fixture f;
    f.write_encrypted_with(f.index_of_both());
    const auto sealed = output::read_sealed_fingerprints(f.manifest);
    REQUIRE(sealed.ok());
    CHECK(sealed->at("A").front() == core::Secret{k_secret_a}.fingerprint());
    CHECK(sealed->at("B").size() == 1);

    ::setenv("PROVISION_AGE_IDENTITY", "AGE-SECRET-KEY-1TEST", 1);
    const auto with_identity = output::read_sealed_fingerprints(f.manifest);
    ::unsetenv("PROVISION_AGE_IDENTITY");
    REQUIRE(with_identity.ok());
    CHECK(with_identity->empty());  // it is decrypted instead

    std::filesystem::remove(output::age_index_path(f.spec().path));
    const auto unindexed = output::read_sealed_fingerprints(f.manifest);
    REQUIRE_FALSE(unindexed.ok());
    CHECK(unindexed.error().message.find("PROVISION_AGE_IDENTITY_FILE") != std::string::npos);
}

TEST_CASE("a sealed encrypted output is unchanged when its index matches and is named sealed",
          "[output][age]") {
    Fixture f;
    f.write_encrypted_with(f.index_of_both());
    f.world.sealed = {"A", "B"};
    CHECK(apply::sealed_for(f.manifest, f.spec(), f.world).size() == 2);
    CHECK_FALSE(apply::encrypted_output_differs(f.manifest, f.spec(), {}, f.world));

    // The planner is told it is sealed (it flags a plan that would rewrite it, which apply
    // refuses), and that both secrets are held.
    const auto view = apply::outputs_view(f.manifest, f.world);
    CHECK(view.sealed == std::set<std::string>{f.spec().path_as_written});
    CHECK(view.entries_with_secret == std::set<std::string>{"A", "B"});
    CHECK_FALSE(view.stale);

    // A new secret for B (known in memory) no longer matches the index: the file must change.
    f.world.sealed.erase("B");
    f.world.secrets.emplace("B", core::Secret{"sk-" + std::string(64, 'c')});
    output::SecretRecord record;
    record.entry = "B";
    record.env = "B_KEY";
    record.secret = f.world.secrets.at("B");
    CHECK(apply::encrypted_output_differs(f.manifest, f.spec(), {record}, f.world));
}

TEST_CASE("an encrypted output's index is read once per run and kept current by its writes",
          "[output][age]") {
    Fixture f;
    f.write_encrypted_with(f.index_of_both());
    f.world.sealed = {"A", "B"};
    CHECK_FALSE(apply::encrypted_output_differs(f.manifest, f.spec(), {}, f.world));
    std::filesystem::remove(output::age_index_path(f.spec().path));
    // Not read again: without its index the output would have to be rewritten.
    CHECK_FALSE(apply::encrypted_output_differs(f.manifest, f.spec(), {}, f.world));

    // A write records the index it leaves; the comparison after it reads nothing either.
    f.world.sealed.clear();
    std::vector<output::SecretRecord> records(2);
    for (std::size_t i = 0; i < 2; ++i) {
        records[i].entry = i == 0 ? "A" : "B";
        records[i].env = records[i].entry + "_KEY";
        records[i].secret = core::Secret{i == 0 ? k_secret_a : k_secret_b};
        f.world.secrets.emplace(records[i].entry, records[i].secret);
    }
    apply::OutputWrite write;
    write.spec = &f.spec();
    write.records = records;
    const auto text = output::render_output(f.spec(), records);
    REQUIRE(text.ok());
    write.age_index = output::age_index_for(records, text.value());
    REQUIRE(apply::record_written_outputs(f.world, {write}, 1, {}).ok());
    CHECK(f.world.age_indexes.at(f.spec().path.string()).index->content_fingerprint ==
          core::Secret{text.value()}.fingerprint());
    CHECK_FALSE(apply::encrypted_output_differs(f.manifest, f.spec(), records, f.world));
    records[1].secret = core::Secret{"sk-" + std::string(64, 'c')};
    CHECK(apply::encrypted_output_differs(f.manifest, f.spec(), records, f.world));
}
