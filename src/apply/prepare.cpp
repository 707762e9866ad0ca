// apply::prepare (prepare.hpp): the steps before execution that every command shares, and the
// whole-run refusals. The order matters: the lock before anything is read (another run may be
// writing), leftovers removed under it, the journal settled against a fresh listing before the
// plan is made, the plan last.

#include "provision/apply/prepare.hpp"

#include "provision/apply/leftovers.hpp"
#include "provision/apply/portal_binding.hpp"
#include "provision/apply/reconcile.hpp"
#include "provision/apply/sealed_outputs.hpp"
#include "provision/apply/state_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace provision::apply {

namespace {

/// One error for several messages, each on its own "error: " line when printed.
core::Error refusal(const std::vector<std::string>& messages,
                    core::Errc code = core::Errc::invalid_input) {
    std::string text;
    for (const auto& message : messages) {
        text += (text.empty() ? "" : "\nerror: ") + message;
    }
    return core::make_error(code, text);
}

/// The journal's pending intents, read without the lock and without changing the file (plan,
/// status): a read-only command shows what the next apply will settle.
core::Result<std::vector<plan::PendingCreate>> read_pending(const World& world) {
    auto text = world.store->read_journal();
    if (!text.ok()) {
        return text.error();
    }
    if (!text.value()) {
        return std::vector<plan::PendingCreate>{};
    }
    const auto contents = parse_journal(*text.value());
    return classify_pending(contents.pending, contents.done_ids, world);
}

/// Secrets the outputs hold that neither the state nor reconciliation bound to a key: the
/// outputs are rewritten without them (the plan's write_outputs), which is worth a word.
void warn_superseded(const World& world) {
    for (const auto& [entry, secrets] : world.unverified) {
        if (secrets.empty()) {
            continue;
        }
        const auto* record = world.state.find(entry);
        if (record != nullptr && world.secrets.contains(entry)) {
            spdlog::warn("an output holds a secret for '{}' that is not the one of its key "
                         "sk-***{}; the outputs are rewritten with the key's secret",
                         entry, record->postfix);
        } else {
            spdlog::warn("an output holds a secret for '{}' that the state does not bind to a "
                         "key; it is dropped when the outputs are rewritten",
                         entry);
        }
    }
}

/// The state must belong to the portal the manifest reaches (portal_binding.hpp), checked
/// before anything is written; the next write then records the portal as it is now.
core::Status bind_portal(const manifest::Manifest& manifest, const PrepareOptions& options,
                         World& world) {
    auto binding =
        check_portal_binding(world.state, manifest.portal.url, world.portal, options.rebind_portal);
    if (!binding.ok()) {
        return binding.error();
    }
    if (!binding->warning.empty()) {
        spdlog::warn("{}", binding->warning);
    }
    world.state.portal_url = manifest.portal.url;
    if (world.portal.known()) {
        auto record = portal_record(world.portal);
        if (const auto& old = world.state.portal; old && old->tenant_id == record.tenant_id) {
            // A caller without the portal-settings right sees the tenant id only.
            record.alias = record.alias.empty() ? old->alias : record.alias;
            record.owner_id = record.owner_id.empty() ? old->owner_id : record.owner_id;
            record.created = record.created ? record.created : old->created;
        }
        world.state.portal = std::move(record);
    }
    return core::ok_status();
}

/// Levenshtein distance, for "did you mean".
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

/// "; did you mean 'X'?" for the closest of `names` (at most a third of the name apart).
std::string suggestion(const std::string& name, const std::vector<std::string>& names) {
    const std::string* best = nullptr;
    std::size_t best_distance = name.size() / 3 + 1;
    for (const auto& candidate : names) {
        if (const std::size_t d = distance(name, candidate); d < best_distance) {
            best = &candidate;
            best_distance = d;
        }
    }
    return best != nullptr ? "; did you mean '" + *best + "'?" : "";
}

std::vector<std::string> entry_names(const manifest::Manifest& manifest) {
    std::vector<std::string> entries;
    for (const auto& spec : manifest.keys) {
        entries.push_back(spec.name);
    }
    return entries;
}

/// rotate --key must name manifest entries: checked before anything is read.
core::Status check_rotations(const manifest::Manifest& manifest, const plan::PlanOptions& options) {
    std::vector<std::string> messages;
    for (const auto& name : options.force_rotate) {
        if (manifest.find_key(name) == nullptr) {
            messages.push_back("--key '" + name + "' is not an entry of " + manifest.file.string() +
                               suggestion(name, entry_names(manifest)));
        }
    }
    return messages.empty() ? core::ok_status() : core::Status(refusal(messages));
}

/// --target must name an entry of the manifest or of the state (an entry that left the
/// manifest can be pruned on its own).
core::Status check_targets(const manifest::Manifest& manifest, const state::State& state,
                           const plan::PlanOptions& options) {
    std::vector<std::string> entries = entry_names(manifest);
    std::vector<std::string> messages;
    for (const auto& record : state.keys) {
        entries.push_back(record.entry);
    }
    for (const auto& name : options.targets) {
        if (!options.force_rotate.contains(name) &&
            std::find(entries.begin(), entries.end(), name) == entries.end()) {
            messages.push_back("--target '" + name + "' is not an entry of " +
                               manifest.file.string() + " or of its state" +
                               suggestion(name, entries));
        }
    }
    return messages.empty() ? core::ok_status() : core::Status(refusal(messages));
}

/// The backend's lock (a remote one's; the file backend's is the flock), then the flock beside
/// the state path, which also guards the local files (outputs, recovery file) of a remote
/// state.
core::Status lock_and_open(const manifest::Manifest& manifest, const PrepareOptions& options,
                           const std::shared_ptr<StateStore>& store, Prepared& prepared) {
    if (auto locked = store->lock(options.lock_timeout); !locked.ok()) {
        return locked.error();
    }
    auto lock = RunLock::acquire(lock_path_for(manifest.state_path), options.lock_timeout);
    if (!lock.ok()) {
        return lock.error();
    }
    prepared.lock.emplace(std::move(lock.value()));
    auto journal = Journal::open(std::shared_ptr<JournalLog>(store));
    if (!journal.ok()) {
        return journal.error();
    }
    prepared.journal.emplace(std::move(journal.value()));
    remove_leftovers(*prepared.lock, owned_files(manifest));
    return core::ok_status();
}

/// An interrupted earlier run left creates whose outcome is unknown: settle them, then list
/// the portal again (settling may have deleted keys).
core::Status settle(const manifest::Manifest& manifest, api::KeysApi& api, Prepared& prepared,
                    core::Timestamp now) {
    if (!prepared.journal || prepared.journal->pending().empty()) {
        return core::ok_status();
    }
    const auto settled = reconcile_pending(manifest, prepared.world, api, *prepared.journal, now);
    if (settled.unresolved) {
        return refusal(settled.messages, core::Errc::unknown_outcome);
    }
    auto keys = api.list_shared();
    if (!keys.ok()) {
        return keys.error();
    }
    prepared.world.observed = std::move(keys.value());
    return core::ok_status();
}

/// `import --secret-stdin`: the secret must authenticate as the named key. It then replaces
/// whatever the outputs held for the entry; without a secret the entry's secret is unknown.
core::Status prove_import_secret(const plan::ImportRequest& request,
                                 const std::optional<core::Secret>& secret, api::KeysApi& api,
                                 World& world) {
    world.secrets.erase(request.entry);
    if (!secret) {
        return core::ok_status();
    }
    auto self = api.self(*secret);
    if (!self.ok()) {
        return core::make_error(core::Errc::invalid_input,
                                "the supplied secret does not authenticate: " +
                                    self.error().message);
    }
    if (self.value().id != request.id) {
        return core::make_error(core::Errc::invalid_input, "the supplied secret belongs to key " +
                                                               self.value().id + ", not " +
                                                               request.id);
    }
    world.secrets[request.entry] = *secret;
    return core::ok_status();
}

/// A run that changes keys must not rewrite encrypted outputs it cannot decrypt. destroy
/// removes the outputs rather than rewriting them, so the check does not apply to it.
core::Status check_sealed(const manifest::Manifest& manifest, const Prepared& prepared,
                          const PrepareOptions& options) {
    if (!options.take_lock || options.plan.destroy) {
        return core::ok_status();
    }
    const auto refusals = sealed_output_refusals(manifest, prepared.plan, prepared.world);
    return refusals.empty() ? core::ok_status() : core::Status(refusal(refusals));
}

}  // namespace

core::Result<Prepared> prepare(const manifest::Manifest& manifest, api::KeysApi& api,
                               const PrepareOptions& options) {
    const auto clock = options.clock ? options.clock : core::now_utc;
    if (auto checked = check_rotations(manifest, options.plan); !checked.ok()) {
        return checked.error();
    }
    auto store = open_state_store(manifest);
    if (!store.ok()) {
        return store.error();
    }
    Prepared prepared;
    if (options.take_lock) {
        if (auto opened = lock_and_open(manifest, options, store.value(), prepared); !opened.ok()) {
            return opened.error();
        }
    }
    auto world = observe(manifest, api, store.value());
    if (!world.ok()) {
        return world.error();
    }
    prepared.world = std::move(world.value());
    if (auto named = check_targets(manifest, prepared.world.state, options.plan); !named.ok()) {
        return named.error();
    }
    if (auto bound = bind_portal(manifest, options, prepared.world); !bound.ok()) {
        return bound.error();
    }
    if (auto settled = settle(manifest, api, prepared, clock()); !settled.ok()) {
        return settled.error();
    }
    if (prepared.journal) {
        prepared.pending = classify_pending(prepared.journal->pending(),
                                            prepared.journal->done_ids(), prepared.world);
        warn_superseded(prepared.world);  // after reconciliation had its pick
    } else if (auto pending = read_pending(prepared.world); pending.ok()) {
        prepared.pending = std::move(pending.value());
    } else {
        return pending.error();
    }
    if (options.plan.import) {
        if (auto proven = prove_import_secret(*options.plan.import, options.import_secret, api,
                                              prepared.world);
            !proven.ok()) {
            return proven.error();
        }
    }
    const auto view = outputs_view(manifest, prepared.world);
    prepared.plan = plan::make_plan(
        plan::PlanInput{manifest, prepared.world.state, prepared.world.observed, view,
                        prepared.world.user.id, clock(), options.plan, prepared.pending});
    if (auto sealed = check_sealed(manifest, prepared, options); !sealed.ok()) {
        return sealed.error();
    }
    return prepared;
}

}  // namespace provision::apply
