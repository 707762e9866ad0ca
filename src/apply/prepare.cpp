// apply::prepare (prepare.hpp): the steps before execution that every command shares, and the
// whole-run refusals. The order matters: the lock before anything is read (another run may be
// writing), leftovers removed under it, the journal settled against a fresh listing before the
// plan is made, the plan last. The refusals' rules are the planner's (its diagnostics of
// --key and --target, and Plan::sealed_rewrites); this file turns them into one error.

#include "provision/apply/prepare.hpp"

#include "provision/apply/leftovers.hpp"
#include "provision/apply/portal_binding.hpp"
#include "provision/apply/reconcile.hpp"
#include "provision/apply/state_store.hpp"

#include <spdlog/spdlog.h>

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
/// whatever the outputs held for the entry, a sealed one's included; without a secret the entry's
/// secret is unknown.
core::Status prove_import_secret(const plan::ImportRequest& request,
                                 const std::optional<core::Secret>& secret, api::KeysApi& api,
                                 World& world) {
    world.secrets.erase(request.entry);
    world.sealed.erase(request.entry);
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

/// A run that changes keys must not rewrite encrypted outputs it cannot decrypt: the planner
/// names those its plan would rewrite (Plan::sealed_rewrites; none for destroy, which removes
/// the outputs rather than rewriting them). A read-only run only shows the plan.
core::Status check_sealed(const plan::Plan& plan, const PrepareOptions& options) {
    if (!options.take_lock || plan.sealed_rewrites.empty()) {
        return core::ok_status();
    }
    std::vector<std::string> messages;
    for (const auto& output : plan.sealed_rewrites) {
        messages.push_back(
            "output " + output +
            ": this plan rewrites the encrypted output, which holds secrets that cannot be "
            "decrypted without an age identity; set PROVISION_AGE_IDENTITY_FILE (or "
            "PROVISION_AGE_IDENTITY) and run again");
    }
    return refusal(messages);
}

}  // namespace

/// The backend's lock (a remote one's; the file backend's is the flock), then the flock beside
/// the state path, which also guards the local files (outputs, recovery file) of a remote
/// state.
core::Result<Locked> lock_state(const manifest::Manifest& manifest, const PrepareOptions& options) {
    auto store = open_state_store(manifest);
    if (!store.ok()) {
        return store.error();
    }
    Locked locked;
    locked.store = std::move(store.value());
    if (auto held = locked.store->lock(options.lock_timeout); !held.ok()) {
        return held.error();
    }
    auto lock = RunLock::acquire(lock_path_for(manifest.state_path), options.lock_timeout);
    if (!lock.ok()) {
        return lock.error();
    }
    locked.lock.emplace(std::move(lock.value()));
    auto journal = Journal::open(std::shared_ptr<JournalLog>(locked.store));
    if (!journal.ok()) {
        return journal.error();
    }
    locked.journal.emplace(std::move(journal.value()));
    remove_leftovers(*locked.lock, owned_files(manifest));
    return locked;
}

namespace {

/// prepare's work once the state backend is open (and locked, with take_lock); the names of
/// --key are already checked.
core::Result<Prepared> prepare_opened(const manifest::Manifest& manifest, api::KeysApi& api,
                                      const PrepareOptions& options, Locked locked) {
    const auto clock = options.clock ? options.clock : core::now_utc;
    Prepared prepared;
    prepared.lock = std::move(locked.lock);
    prepared.journal = std::move(locked.journal);
    auto world = observe(manifest, api, locked.store);
    if (!world.ok()) {
        return world.error();
    }
    prepared.world = std::move(world.value());
    if (const auto unknown = plan::unknown_targets(manifest, prepared.world.state, options.plan);
        !unknown.empty()) {
        return refusal(unknown);
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
    if (auto sealed = check_sealed(prepared.plan, options); !sealed.ok()) {
        return sealed.error();
    }
    return prepared;
}

}  // namespace

core::Result<Prepared> prepare(const manifest::Manifest& manifest, api::KeysApi& api,
                               const PrepareOptions& options) {
    if (const auto unknown = plan::unknown_rotations(manifest, options.plan); !unknown.empty()) {
        return refusal(unknown);  // before any lock is waited for
    }
    if (!options.take_lock) {
        auto store = open_state_store(manifest);
        if (!store.ok()) {
            return store.error();
        }
        return prepare_opened(manifest, api, options, Locked{std::move(store.value()), {}, {}});
    }
    auto locked = lock_state(manifest, options);
    if (!locked.ok()) {
        return locked.error();
    }
    return prepare_opened(manifest, api, options, std::move(locked.value()));
}

core::Result<Prepared> prepare(const manifest::Manifest& manifest, api::KeysApi& api,
                               const PrepareOptions& options, Locked locked) {
    if (const auto unknown = plan::unknown_rotations(manifest, options.plan); !unknown.empty()) {
        return refusal(unknown);
    }
    return prepare_opened(manifest, api, options, std::move(locked));
}

}  // namespace provision::apply
