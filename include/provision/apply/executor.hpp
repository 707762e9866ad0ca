#pragma once
/// Observing the world and carrying out a plan.
///
/// observe() gathers what the planner needs: the state file, the secrets the outputs hold (kept
/// only when they match the state's fingerprints) and the portal's keys. apply_plan() then runs
/// the plan's actions. After every create, the new secret is written to every output and the
/// state is saved before the create counts as done, so a failure halfway never loses a secret
/// that was received; creates that complete while such a write runs are written together in the
/// next one (group commit, docs/network.md).

#include "provision/api/keys_api.hpp"
#include "provision/core/result.hpp"
#include "provision/core/secret.hpp"
#include "provision/manifest/manifest.hpp"
#include "provision/output/output.hpp"
#include "provision/plan/plan.hpp"
#include "provision/state/state.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace provision::apply {

class StateStore;

/// Everything known before planning.
struct World {
    /// The state's backend (state_store.hpp), which every save goes to; null: the file at the
    /// manifest's state_path.
    std::shared_ptr<StateStore> store;
    state::State state;
    std::map<std::string, core::Secret> secrets;  ///< entry -> secret matching the state
    /// Entries whose secret an encrypted output holds (its fingerprint index matches the state)
    /// but which this run cannot decrypt: no age identity is set. Never also in `secrets`.
    std::set<std::string> sealed;
    /// Secrets the outputs hold for an entry that are not the state's (fingerprint differs):
    /// left by a run interrupted between writing an output and saving the state, or by a hand
    /// edit. Reconciliation adopts one when an interrupted create made its key; any left after
    /// that are superseded and the outputs are rewritten without them.
    std::map<std::string, std::vector<core::Secret>> unverified;
    /// The recovery file (recovery.hpp) when one exists: its secrets were read like an output's,
    /// and the next successful write of every output deletes it.
    std::optional<std::filesystem::path> recovery;
    api::KeyList observed;       ///< the portal's keys (a listing other runs' worlds may share)
    api::User user;              ///< the caller
    api::PortalIdentity portal;  ///< which portal the URL reached
    /// What each plaintext output file holds: path -> fingerprint of its text (nullopt:
    /// absent), as load_local read it and as every write left it. The outputs are read once
    /// per run; whether a write would change a file is decided from this.
    std::map<std::string, std::optional<std::string>> output_texts;
    /// The entries each output held a secret for when load_local read it (path as written ->
    /// entries; a variable of an entry that left the manifest counts under the state's name).
    std::map<std::string, std::set<std::string>> held_by_output;
    /// What each encrypted output holds per its fingerprint index, by path: read once (by
    /// load_local without an age identity, else at the first comparison) and kept current by
    /// every write, so that deciding whether a write would change an encrypted output reads
    /// nothing either.
    struct HeldIndex {
        bool exists = false;                    ///< the encrypted output exists
        std::optional<output::AgeIndex> index;  ///< nullopt: it has no index, or a corrupt one
    };
    std::map<std::string, HeldIndex> age_indexes;
};

/// Reads the state (from `store`, else from the manifest's backend, opened here) and the
/// outputs, and unseals sealed secrets (sealed_secrets.hpp). Errors for corrupt files.
core::Result<World> load_local(const manifest::Manifest& manifest,
                               std::shared_ptr<StateStore> store = nullptr);

/// load_local + GET people/@self + GET portal + GET keys.
core::Result<World> observe(const manifest::Manifest& manifest, api::KeysApi& api,
                            std::shared_ptr<StateStore> store = nullptr);

/// Saves world.state to world.store, or to the file at manifest.state_path without one.
core::Status save_world_state(const manifest::Manifest& manifest, const World& world);
/// The same for `state`, a copy of world.state taken under the executor's lock (group commit
/// writes it without the lock).
core::Status save_world_state(const manifest::Manifest& manifest, const World& world,
                              const state::State& state);

/// What the outputs hold relative to the state, for the planner.
plan::OutputsView outputs_view(const manifest::Manifest& manifest, World& world);

/// Ordered by severity: a run reports the most serious outcome it met.
enum class Outcome {
    success,          ///< every action done
    blocked,          ///< actions needing a decision were skipped; the rest done
    partial_failure,  ///< some actions failed; every created secret persisted
    unknown_outcome,  ///< a create's outcome could not be settled; the next run reconciles it
    not_persisted,    ///< a created secret could not be written; the key was revoked
};

struct ApplyReport {
    Outcome outcome = Outcome::success;
    int created = 0, updated = 0, replaced = 0, deleted = 0, forgotten = 0, unchanged = 0;
    int failed = 0, blocked = 0;
    int adopted = 0, imported = 0;
    bool outputs_written = false;
    /// The outputs no longer match the world (with ApplyOptions::leave_outputs: left so).
    bool outputs_dirty = false;
    bool interrupted = false;  ///< a SIGINT/SIGTERM stopped the run before every action ran
    /// Writes of new secrets to the outputs and the state: one per batch of creates that
    /// completed together (group commit), so at most `created + replaced`.
    int secret_writes = 0;
    std::vector<std::string> messages;  ///< one line per failure or notable event, no secrets
};

class Journal;

struct ApplyOptions {
    std::function<core::Timestamp()> clock;  ///< default: core::now_utc
    /// Write-ahead journal of creates (journal.hpp); null runs without one (unit tests).
    Journal* journal = nullptr;
    /// How many actions run at once. Actions of one entry always run in order; different
    /// entries run in parallel up to this bound. 1 = strictly the plan's order.
    int concurrency = 1;
    /// Do not rewrite the outputs at the end (`destroy` removes them instead, and must not be
    /// stopped by an encrypted output it cannot rewrite); ApplyReport::outputs_dirty says
    /// whether they are out of date.
    bool leave_outputs = false;
    /// Called as each action starts (`done` false) and as it ends (true), on the thread that
    /// runs it: for progress reports. An action holds no secret.
    std::function<void(const plan::Action& action, bool done)> progress;
};

/// Runs the plan against `api`, updating `world` as it goes, writing outputs and state after
/// every step.
ApplyReport apply_plan(const manifest::Manifest& manifest, const plan::Plan& plan, World& world,
                       api::KeysApi& api, const ApplyOptions& options = {});

/// The retiring record for `old`, the key entry `entry` used until a replacement at `now`:
/// retired after `policy`'s grace period (the plan carries it for a replace, the manifest's
/// entry for a replacement an interrupted run made), or at once (retire_after == now) when it
/// has expired (by the portal's expiry in `observed`, else the recorded one) or has no grace
/// period; kept until its expiry with `retire: keepUntilExpiry`. Saved with the new key, so a
/// run killed before the old key is retired still knows it.
state::RetiringKey retirement_for(const manifest::RotationPolicy& policy, const std::string& entry,
                                  const state::ManagedKey& old,
                                  const std::vector<api::ApiKey>& observed, std::string reason,
                                  core::Timestamp now);

/// Writes every output that would change (by World::output_texts) with the records of every
/// manifest entry whose secret is known, per output selection, and records what it wrote; then
/// seals the secrets (sealed_secrets.hpp) when the manifest asks for it.
/// Outputs named in `partial` (their path as written; the plan's partial_outputs) are left as
/// they are.
core::Status write_all_outputs(const manifest::Manifest& manifest, World& world,
                               const std::set<std::string>& partial = {});

/// write_all_outputs in three steps, so that the files can be written while the world changes:
/// which outputs differ and what each will hold (reads the world), the writes themselves (read
/// nothing of the world), and recording what the written files hold (changes the world).
struct OutputWrite {
    const manifest::OutputSpec* spec = nullptr;
    std::vector<output::SecretRecord> records;
    std::optional<std::string> text_fingerprint;  ///< fingerprint of a plaintext output's `text`
    std::optional<core::Secret> text;             ///< the new text (before any encryption)
    std::optional<output::AgeIndex> age_index;    ///< an encrypted output's new index
};
core::Result<std::vector<OutputWrite>> outputs_to_write(const manifest::Manifest& manifest,
                                                        World& world,
                                                        const std::set<std::string>& partial);
/// Writes in order and stops at the first failure; `written` counts the files written.
core::Status write_prepared_outputs(const std::vector<OutputWrite>& writes, std::size_t& written);
/// Records the first `written` files' new texts; deletes the recovery file once every output
/// was written.
core::Status record_written_outputs(World& world, const std::vector<OutputWrite>& writes,
                                    std::size_t written, const std::set<std::string>& partial);

}  // namespace provision::apply
