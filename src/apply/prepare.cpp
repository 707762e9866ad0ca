// apply::prepare (prepare.hpp): the steps before execution that every command shares, and the
// whole-run refusals. The order matters: the lock before anything is read (another run may be
// writing), leftovers removed under it, the journal settled against a fresh listing before the
// plan is made, the plan last.

#include "provision/apply/prepare.hpp"

#include "provision/apply/leftovers.hpp"
#include "provision/apply/reconcile.hpp"
#include "provision/apply/sealed_outputs.hpp"
#include "provision/core/atomic_file.hpp"

#include <spdlog/spdlog.h>

namespace provision::apply {

namespace {

core::Error refusal(const std::vector<std::string>& messages) {
    std::string text;
    for (const auto& message : messages) {
        text += (text.empty() ? "" : "\nerror: ") + message;
    }
    return core::make_error(core::Errc::invalid_input, text);
}

/// The journal's pending intents, read without the lock and without changing the file (plan,
/// status): a read-only command shows what the next apply will settle.
core::Result<std::vector<plan::PendingCreate>> read_pending(const manifest::Manifest& manifest,
                                                            const World& world) {
    auto text = core::read_file_if_exists(journal_path_for(manifest.state_path),
                                          64 * 1024 * 1024);
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
        if (record != nullptr && world.secrets.count(entry) != 0) {
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

core::Status check_rotations(const manifest::Manifest& manifest, const plan::PlanOptions& options) {
    std::vector<std::string> messages;
    for (const auto& name : options.force_rotate) {
        if (manifest.find_key(name) == nullptr) {
            messages.push_back("--key '" + name + "' is not an entry of " + manifest.file.string());
        }
    }
    return messages.empty() ? core::ok_status() : core::Status(refusal(messages));
}

core::Status lock_and_open(const manifest::Manifest& manifest, const PrepareOptions& options,
                           Prepared& prepared) {
    auto lock = RunLock::acquire(lock_path_for(manifest.state_path), options.lock_timeout);
    if (!lock.ok()) {
        return lock.error();
    }
    prepared.lock.emplace(std::move(lock.value()));
    auto journal = Journal::open(journal_path_for(manifest.state_path));
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
    const auto settled =
        reconcile_pending(manifest, prepared.world, api, *prepared.journal, now);
    if (settled.unresolved) {
        std::string text;
        for (const auto& message : settled.messages) {
            text += (text.empty() ? "" : "\nerror: ") + message;
        }
        return core::make_error(core::Errc::unknown_outcome, text);
    }
    auto keys = api.list();
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
        return core::make_error(core::Errc::invalid_input,
                                "the supplied secret belongs to key " + self.value().id +
                                    ", not " + request.id);
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
    Prepared prepared;
    if (options.take_lock) {
        if (auto opened = lock_and_open(manifest, options, prepared); !opened.ok()) {
            return opened.error();
        }
    }
    auto world = observe(manifest, api);
    if (!world.ok()) {
        return world.error();
    }
    prepared.world = std::move(world.value());
    if (auto settled = settle(manifest, api, prepared, clock()); !settled.ok()) {
        return settled.error();
    }
    if (prepared.journal) {
        prepared.pending = classify_pending(prepared.journal->pending(),
                                            prepared.journal->done_ids(), prepared.world);
        warn_superseded(prepared.world);  // after reconciliation had its pick
    } else if (auto pending = read_pending(manifest, prepared.world); pending.ok()) {
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
    prepared.plan = plan::make_plan(plan::PlanInput{manifest, prepared.world.state,
                                                    prepared.world.observed, view,
                                                    prepared.world.user.id, clock(),
                                                    options.plan, prepared.pending});
    if (auto sealed = check_sealed(manifest, prepared, options); !sealed.ok()) {
        return sealed.error();
    }
    return prepared;
}

}  // namespace provision::apply
