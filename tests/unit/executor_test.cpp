// The executor against the in-memory FakeKeysApi: secrets become durable before the next step,
// a second run changes nothing, lost creates are reconciled without duplicates, and a secret
// that cannot be written is revoked.

#include "apply_test_support.hpp"
#include "fake_keys_api.hpp"
#include "provision/apply/executor.hpp"
#include "provision/apply/recovery.hpp"
#include "provision/core/atomic_file.hpp"
#include "provision/output/output.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

using namespace provision;
namespace fs = std::filesystem;

namespace {

struct Fixture {
    fs::path dir;
    manifest::Manifest manifest;
    api::FakeKeysApi api;

    Fixture()
        : dir(apply_test::fresh_dir("provision-executor-")),
          manifest(apply_test::manifest_in(dir)) {
        add_key("Integration Bot", {"files:read", "rooms:read"}, 30);
        add_key("Audit Reader", {"*:read"}, std::nullopt);
    }
    ~Fixture() { fs::remove_all(dir); }
    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;

    void add_key(const std::string& name, std::vector<std::string> scopes,
                 std::optional<int> days) {
        apply_test::add_key(manifest, name, scopes, days);
    }

    /// observe + plan + apply, as `provision apply` does.
    apply::ApplyReport apply_once(plan::PlanOptions options = {}, int concurrency = 1) {
        auto world = apply::observe(manifest, api);
        REQUIRE(world.ok());
        const auto view = apply::outputs_view(manifest, world.value());
        const auto p = plan::make_plan(
            {manifest, world->state, world->observed, view, world->user.id, api.now(), options});
        apply::ApplyOptions apply_options;
        apply_options.clock = [this] { return api.now(); };
        apply_options.concurrency = concurrency;
        return apply::apply_plan(manifest, p, world.value(), api, apply_options);
    }

    /// Plans, then turns the outputs' directory into a file (no temporary file can be created
    /// there), with `recovery_too` the recovery file's path into a directory, and applies that
    /// plan.
    apply::ApplyReport apply_with_outputs_broken(bool recovery_too = false) {
        auto world = apply::observe(manifest, api);
        REQUIRE(world.ok());
        const auto p = plan::make_plan({manifest,
                                        world->state,
                                        world->observed,
                                        apply::outputs_view(manifest, world.value()),
                                        world->user.id,
                                        api.now(),
                                        {}});
        REQUIRE(core::write_file_atomic(dir / "secrets", "not a directory").ok());
        if (recovery_too) {
            std::filesystem::create_directory(apply::recovery_path_for(manifest.state_path));
        }
        return apply::apply_plan(manifest, p, world.value(), api);
    }

    plan::Plan plan_now() {
        auto world = apply::observe(manifest, api);
        REQUIRE(world.ok());
        const auto view = apply::outputs_view(manifest, world.value());
        return plan::make_plan(
            {manifest, world->state, world->observed, view, world->user.id, api.now(), {}});
    }

    std::map<std::string, core::Secret> output_secrets() {
        auto secrets = output::read_known_secrets(manifest);
        REQUIRE(secrets.ok());
        return secrets.value();
    }
};

}  // namespace

TEST_CASE("apply creates every key, writes its secret and state, and a second run changes nothing",
          "[apply]") {
    Fixture f;
    const auto report = f.apply_once();
    CHECK(report.outcome == apply::Outcome::success);
    CHECK(report.created == 2);
    CHECK(f.api.count("create") == 2);

    const auto secrets = f.output_secrets();
    REQUIRE(secrets.size() == 2);
    for (const auto& [entry, secret] : secrets) {
        const auto* spec = f.manifest.find_key(entry);
        REQUIRE(spec != nullptr);
        bool matched = false;
        for (const auto& key : f.api.keys()) {
            if (key.name == entry) {
                matched = f.api.secret_of(key.id) == std::optional<core::Secret>{secret};
            }
        }
        CHECK(matched);
    }
    struct stat st {};
    REQUIRE(::stat(f.manifest.outputs[0].path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    const auto state_text = core::read_file_if_exists(f.manifest.state_path);
    REQUIRE(state_text.ok());
    REQUIRE(state_text.value().has_value());
    CHECK(state_text.value()->find("sk-") == std::string::npos);

    f.api.clear_calls();
    CHECK_FALSE(f.plan_now().has_changes());
    const auto second = f.apply_once();
    CHECK(second.created == 0);
    CHECK(f.api.count("create") == 0);
    CHECK(f.api.count("update") == 0);
    CHECK(f.api.count("remove") == 0);
}

TEST_CASE("a create whose answer is lost is reconciled: the orphan is revoked and one key remains",
          "[apply]") {
    Fixture f;
    f.manifest.keys.resize(1);
    f.api.fail_next("create", core::make_error(core::Errc::connection_lost, "connection dropped"),
                    api::FakeKeysApi::Inject::after_commit);
    const auto report = f.apply_once();
    CHECK(report.outcome == apply::Outcome::success);
    CHECK(f.api.count("create") == 2);
    CHECK(f.api.count("remove") == 1);
    const auto keys = f.api.keys();
    REQUIRE(keys.size() == 1);
    const auto secrets = f.output_secrets();
    REQUIRE(secrets.count("Integration Bot") == 1);
    CHECK(f.api.secret_of(keys[0].id) ==
          std::optional<core::Secret>{secrets.at("Integration Bot")});
    CHECK_FALSE(f.plan_now().has_changes());
}

TEST_CASE("a create refused before processing is not resent and nothing is left behind",
          "[apply]") {
    Fixture f;
    f.manifest.keys.resize(1);
    f.api.fail_next("create", core::make_error(core::Errc::forbidden, "Access denied"));
    const auto report = f.apply_once();
    CHECK(report.outcome == apply::Outcome::partial_failure);
    CHECK(f.api.count("create") == 1);
    CHECK(f.api.keys().empty());
}

TEST_CASE("a secret that cannot be written to any output goes to the recovery file, the key is "
          "kept, and the next run moves it into the outputs",
          "[apply]") {
    Fixture f;
    const auto report = f.apply_with_outputs_broken();
    CHECK(report.outcome == apply::Outcome::partial_failure);
    CHECK(f.api.count("remove") == 0);
    REQUIRE(f.api.keys().size() == 1);
    const auto recovery = apply::recovery_path_for(f.manifest.state_path);
    const auto recovered = apply::read_recovery(recovery);
    REQUIRE(recovered.ok());
    REQUIRE(recovered->size() == 1);  // the run stopped after the first create
    const auto& [entry, secret] = *recovered->begin();
    const auto saved = state::load_state(f.manifest.state_path);
    REQUIRE(saved.ok());
    REQUIRE(saved->find(entry) != nullptr);
    CHECK(saved->find(entry)->fingerprint == secret.fingerprint());

    std::filesystem::remove(f.dir / "secrets");
    const auto next = f.apply_once();
    CHECK(next.outcome == apply::Outcome::success);
    CHECK(f.output_secrets().at(entry) == secret);
    CHECK_FALSE(std::filesystem::exists(recovery));
}

TEST_CASE("a secret that can be written neither to an output nor to the recovery file is revoked "
          "and the run stops",
          "[apply]") {
    Fixture f;
    const auto report = f.apply_with_outputs_broken(/*recovery_too=*/true);
    CHECK(report.outcome == apply::Outcome::not_persisted);
    CHECK(f.api.count("create") == 1);
    CHECK(f.api.count("remove") == 1);
    CHECK(f.api.keys().empty());
    const auto state_text = core::read_file_if_exists(f.manifest.state_path);
    REQUIRE(state_text.ok());
    CHECK_FALSE(state_text.value().has_value());
}

TEST_CASE("rotation creates the replacement first and retires the old key after its grace period",
          "[apply]") {
    Fixture f;
    f.manifest.keys.resize(1);
    f.manifest.keys[0].rotation.grace_period = std::chrono::hours(24);
    REQUIRE(f.apply_once().created == 1);
    const auto first_id = f.api.keys().at(0).id;

    f.api.advance(std::chrono::hours(24 * 25));  // inside the 10-day window of a 30-day key
    const auto rotated = f.apply_once();
    CHECK(rotated.replaced == 1);
    REQUIRE(f.api.keys().size() == 2);
    const auto secrets = f.output_secrets();
    const auto new_id = f.api.keys().at(0).id;  // newest first
    CHECK(new_id != first_id);
    CHECK(f.api.secret_of(new_id) == std::optional<core::Secret>{secrets.at("Integration Bot")});

    f.api.clear_calls();
    CHECK(f.apply_once().deleted == 0);  // still within the grace period
    CHECK(f.api.count("remove") == 0);

    f.api.advance(std::chrono::hours(25));
    CHECK(f.apply_once().deleted == 1);
    REQUIRE(f.api.keys().size() == 1);
    CHECK(f.api.keys().at(0).id == new_id);
    CHECK_FALSE(f.plan_now().has_changes());
}

TEST_CASE("with concurrency, entries run in parallel and every secret still lands in the outputs "
          "and state",
          "[apply]") {
    Fixture f;
    for (int i = 1; i <= 10; ++i) {
        f.add_key("Worker " + std::to_string(i), {"files:read"}, 30);
    }
    f.api.set_latency(std::chrono::milliseconds(20));
    const auto report = f.apply_once({}, 4);
    CHECK(report.outcome == apply::Outcome::success);
    CHECK(report.created == 12);
    CHECK(f.api.count("create") == 12);
    CHECK(f.api.most_in_flight() > 1);
    CHECK(f.api.most_in_flight() <= 4);

    const auto secrets = f.output_secrets();
    REQUIRE(secrets.size() == 12);
    for (const auto& key : f.api.keys()) {
        REQUIRE(secrets.count(key.name) == 1);
        CHECK(f.api.secret_of(key.id) == std::optional<core::Secret>{secrets.at(key.name)});
    }
    CHECK_FALSE(f.plan_now().has_changes());
}

TEST_CASE("creates that complete while a write runs are written together in the next one",
          "[apply]") {
    Fixture f;
    for (int i = 1; i <= 30; ++i) {
        f.add_key("Worker " + std::to_string(i), {"files:read"}, 30);
    }
    // 32 creates, 16 at a time, answered together: most answers arrive while the first
    // answer's secret is being written (several fsyncs), and queue for the next write.
    f.api.set_latency(std::chrono::milliseconds(20));
    const auto report = f.apply_once({}, 16);
    CHECK(report.outcome == apply::Outcome::success);
    CHECK(report.created == 32);
    CHECK(f.api.count("create") == 32);
    CHECK(report.secret_writes >= 1);
    CHECK(report.secret_writes < 32);
    INFO("writes: " << report.secret_writes);

    const auto secrets = f.output_secrets();
    REQUIRE(secrets.size() == 32);
    for (const auto& key : f.api.keys()) {
        REQUIRE(secrets.count(key.name) == 1);
        CHECK(f.api.secret_of(key.id) == std::optional<core::Secret>{secrets.at(key.name)});
    }
    CHECK_FALSE(f.plan_now().has_changes());

    // One at a time, every create is its own write.
    Fixture g;
    const auto sequential = g.apply_once({}, 1);
    CHECK(sequential.created == 2);
    CHECK(sequential.secret_writes == 2);
}

TEST_CASE("with concurrency, lost creates are reconciled per entry and one key per entry remains",
          "[apply]") {
    Fixture f;
    for (int i = 1; i <= 6; ++i) {
        f.add_key("Worker " + std::to_string(i), {"files:read"}, 30);
    }
    f.api.set_latency(std::chrono::milliseconds(10));
    for (int i = 0; i < 3; ++i) {
        f.api.fail_next("create",
                        core::make_error(core::Errc::connection_lost, "connection dropped"),
                        api::FakeKeysApi::Inject::after_commit);
    }
    const auto report = f.apply_once({}, 4);
    CHECK(report.outcome == apply::Outcome::success);
    CHECK(f.api.count("create") == 11);  // 8 entries, 3 of them twice
    CHECK(f.api.count("remove") == 3);
    const auto keys = f.api.keys();
    CHECK(keys.size() == 8);
    std::set<std::string> names;
    for (const auto& key : keys) {
        names.insert(key.name);
    }
    CHECK(names.size() == 8);
    CHECK(f.output_secrets().size() == 8);
    CHECK_FALSE(f.plan_now().has_changes());
}
