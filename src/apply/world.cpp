// Gathering the world before planning: the state, the secrets held by the outputs (trusted only
// when they match the state's fingerprints) and the portal's keys. Also the one function that
// turns the world into output files, shared by every step that changes a secret.
// The outputs are read once, at load: what each plaintext file holds is remembered
// (World::output_texts), and so is each encrypted output's fingerprint index
// (World::age_indexes), both kept current by every write, so deciding whether a write would
// change a file reads nothing.

#include "provision/apply/executor.hpp"
#include "provision/apply/recovery.hpp"
#include "provision/apply/sealed_outputs.hpp"
#include "provision/apply/sealed_secrets.hpp"
#include "provision/apply/state_store.hpp"
#include "provision/core/atomic_file.hpp"
#include "provision/output/age.hpp"
#include "provision/output/output.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

namespace provision::apply {

namespace {

std::vector<output::SecretRecord> records_for(const manifest::Manifest& manifest,
                                              const manifest::OutputSpec& spec,
                                              const World& world) {
    std::vector<output::SecretRecord> records;
    const state::StateIndex index(world.state);
    for (const auto& key : manifest.keys) {
        if (!spec.selects(key.name)) {
            continue;
        }
        const auto* record = index.find(key.name);
        const auto secret = world.secrets.find(key.name);
        if (record == nullptr || secret == world.secrets.end()) {
            continue;
        }
        output::SecretRecord r;
        r.entry = key.name;
        r.env = manifest::env_name(spec, key);
        r.secret = secret->second;
        r.id = record->id;
        r.name = record->name;
        r.postfix = record->postfix;
        r.permissions = record->permissions;
        r.expires_at = record->expires_at;
        records.push_back(std::move(r));
    }
    return records;
}

/// The fingerprint of what a plaintext output holds (nullopt: absent): from
/// World::output_texts, else read once (a World not made by load_local) and remembered.
std::optional<std::string> held_text(const manifest::OutputSpec& spec, World& world) {
    const auto [known, inserted] = world.output_texts.try_emplace(spec.path.string());
    if (inserted) {
        auto current = core::read_file_if_exists(spec.path);
        if (current.ok() && current.value().has_value()) {
            known->second = core::Secret{std::move(*current.value())}.fingerprint();
        } else if (!current.ok()) {
            known->second = "unreadable";  // differs from every rendering: the write reports it
        }
    }
    return known->second;
}

/// True when writing `spec` now would change the file. `rendered`, when given, receives a
/// plaintext output's new text, for the write to use instead of rendering it again, and its
/// fingerprint, for the caller to record once written.
bool output_differs(const manifest::Manifest& manifest, const manifest::OutputSpec& spec,
                    World& world, const std::vector<output::SecretRecord>& records,
                    OutputWrite* rendered = nullptr) {
    if (!spec.age_recipients.empty()) {
        return encrypted_output_differs(manifest, spec, records, world);
    }
    auto text = output::render_output(spec, records);
    if (!text.ok()) {
        return true;
    }
    core::Secret secret{std::move(text.value())};
    const std::string fingerprint = secret.fingerprint();
    if (rendered != nullptr) {
        rendered->text_fingerprint = fingerprint;
        rendered->text = std::move(secret);
    }
    const auto held = held_text(spec, world);
    return held ? *held != fingerprint : !records.empty();
}

/// A variable name as it may appear in a message: plain shell-style names only, since a
/// mangled file can put a secret where a name belongs.
std::string printable_name(const std::string& name) {
    const bool plain = !name.empty() && name.size() <= 64 &&
                       name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                              "0123456789_") == std::string::npos;
    return plain ? name : std::string("a variable with an unusual name");
}

/// An output is the tool's own file, rewritten whole: a variable no entry writes there would
/// be dropped by the next write. Refused before anything is written, unless its value is the
/// secret of a key the state still tracks (an entry that left the manifest).
core::Status check_foreign(const output::HeldSecrets& held, const state::StateIndex& state) {
    for (const auto& foreign : held.foreign) {
        if (state.holds_fingerprint(foreign.fingerprint)) {
            continue;
        }
        return core::make_error(
            core::Errc::invalid_input,
            "output " + foreign.output + " holds " + printable_name(foreign.variable) +
                ", which no manifest entry writes there; provision owns the whole file and its "
                "next write would drop it: move it to a file of its own (or give an entry "
                "`env: " +
                printable_name(foreign.variable) + "`), then run again");
    }
    return core::ok_status();
}

}  // namespace

core::Result<World> load_local(const manifest::Manifest& manifest,
                               std::shared_ptr<StateStore> store) {
    World world;
    if (!store) {
        auto opened = open_state_store(manifest);
        if (!opened.ok()) {
            return opened.error();
        }
        store = std::move(opened.value());
    }
    world.store = std::move(store);
    auto loaded = world.store->load();
    if (!loaded.ok()) {
        return loaded.error();
    }
    world.state = std::move(loaded.value());
    auto held = output::read_held_secrets(manifest);
    if (!held.ok()) {
        return held.error();
    }
    const state::StateIndex index(world.state);
    if (auto foreign = check_foreign(held.value(), index); !foreign.ok()) {
        return foreign.error();
    }
    const auto recovery = recovery_path_for(manifest.state_path);
    auto recovered = read_recovery(recovery);
    if (!recovered.ok()) {
        return recovered.error();
    }
    if (std::error_code ec; std::filesystem::exists(recovery, ec)) {
        world.recovery = recovery;
    }
    for (auto& [entry, secret] : recovered.value()) {
        auto& candidates = held.value().by_entry[entry];
        if (std::find(candidates.begin(), candidates.end(), secret) == candidates.end()) {
            candidates.push_back(std::move(secret));
        }
    }
    world.output_texts = std::move(held.value().text_fingerprints);
    world.held_by_output = std::move(held.value().entries_by_output);
    for (const auto& foreign : held.value().foreign) {
        if (const auto* tracked = index.find_by_fingerprint(foreign.fingerprint)) {
            world.held_by_output[foreign.output].insert(tracked->entry);
        }
    }
    for (auto& [entry, candidates] : held.value().by_entry) {
        const auto* record = index.find(entry);
        for (auto& secret : candidates) {
            if (record != nullptr && record->fingerprint == secret.fingerprint()) {
                world.secrets.emplace(entry, std::move(secret));
                continue;
            }
            spdlog::debug("an output holds a secret for '{}' that the state does not bind to a "
                          "key",
                          entry);
            world.unverified[entry].push_back(std::move(secret));
        }
    }
    if (auto unsealed = unseal_secrets(manifest, *world.store, world); !unsealed.ok()) {
        return unsealed.error();
    }
    std::map<std::string, output::AgeIndex> indexes;
    auto sealed = output::read_sealed_fingerprints(manifest, &indexes);
    if (!sealed.ok()) {
        return sealed.error();
    }
    for (auto& [path, read] : indexes) {
        world.age_indexes[path] = {true, std::move(read)};
    }
    for (const auto& [entry, fingerprints] : sealed.value()) {
        const auto* record = index.find(entry);
        if (record != nullptr && !record->fingerprint.empty() && !world.secrets.contains(entry) &&
            std::count(fingerprints.begin(), fingerprints.end(), record->fingerprint) > 0) {
            world.sealed.insert(entry);
        }
    }
    return world;
}

core::Result<World> observe(const manifest::Manifest& manifest, api::KeysApi& api,
                            std::shared_ptr<StateStore> store) {
    auto world = load_local(manifest, std::move(store));
    if (!world.ok()) {
        return world;
    }
    // Every local file has been read and checked: only now does a request leave. The three
    // reads are independent, so they travel together and cost one round trip, not three; an
    // error is reported in the order they were asked in (the credential's first).
    auto portal = std::async(std::launch::async, [&api] { return api.portal(); });
    auto keys = std::async(std::launch::async, [&api] { return api.list_shared(); });
    auto user = api.current_user();
    auto portal_answer = portal.get();
    auto keys_answer = keys.get();
    if (!user.ok()) {
        return user.error();
    }
    if (!portal_answer.ok()) {
        return portal_answer.error();
    }
    if (!keys_answer.ok()) {
        return keys_answer.error();
    }
    world->user = std::move(user.value());
    world->portal = std::move(portal_answer.value());
    world->observed = std::move(keys_answer.value());
    return world;
}

plan::OutputsView outputs_view(const manifest::Manifest& manifest, World& world) {
    plan::OutputsView view;
    for (const auto& [entry, secret] : world.secrets) {
        view.entries_with_secret.insert(entry);
    }
    view.entries_with_secret.insert(world.sealed.begin(), world.sealed.end());
    view.held = world.held_by_output;
    for (const auto& spec : manifest.outputs) {
        if (!spec.age_recipients.empty() && !sealed_for(manifest, spec, world).empty()) {
            view.sealed.insert(spec.path_as_written);
        }
    }
    view.stale =
        world.recovery.has_value() ||
        std::any_of(manifest.outputs.begin(), manifest.outputs.end(), [&](const auto& spec) {
            return output_differs(manifest, spec, world, records_for(manifest, spec, world));
        });
    return view;
}

core::Result<std::vector<OutputWrite>> outputs_to_write(const manifest::Manifest& manifest,
                                                        World& world,
                                                        const std::set<std::string>& partial) {
    std::vector<OutputWrite> writes;
    for (const auto& spec : manifest.outputs) {
        if (partial.contains(spec.path_as_written)) {
            continue;  // the plan blocked every action that needs it: no new secret goes there
        }
        OutputWrite write;
        write.spec = &spec;
        write.records = records_for(manifest, spec, world);
        if (!output_differs(manifest, spec, world, write.records, &write)) {
            continue;
        }
        if (!spec.age_recipients.empty() && !sealed_for(manifest, spec, world).empty()) {
            return core::make_error(core::Errc::invalid_input,
                                    "encrypted output " + spec.path_as_written +
                                        " holds secrets this run cannot decrypt; set "
                                        "PROVISION_AGE_IDENTITY_FILE to rewrite it");
        }
        if (!spec.age_recipients.empty()) {
            if (auto text = output::render_output(spec, write.records); text.ok()) {
                write.age_index = output::age_index_for(write.records, text.value());
                write.text = core::Secret{std::move(text.value())};
            }
        }
        writes.push_back(std::move(write));
    }
    if (world.store) {
        if (auto sealed = seal_secrets(manifest, *world.store, world); !sealed.ok()) {
            return sealed.error();
        }
    }
    // Whatever happens next, these files may change: read them again if asked.
    for (const auto& write : writes) {
        world.output_texts.erase(write.spec->path.string());
        world.age_indexes.erase(write.spec->path.string());
    }
    return writes;
}

core::Status write_prepared_outputs(const std::vector<OutputWrite>& writes, std::size_t& written) {
    written = 0;
    for (const auto& write : writes) {
        auto status =
            output::write_output(*write.spec, write.records, write.text ? &*write.text : nullptr);
        if (!status.ok()) {
            return status;
        }
        ++written;
        spdlog::debug("wrote {}", write.spec->path_as_written);
    }
    return core::ok_status();
}

core::Status record_written_outputs(World& world, const std::vector<OutputWrite>& writes,
                                    std::size_t written, const std::set<std::string>& partial) {
    for (std::size_t i = 0; i < written && i < writes.size(); ++i) {
        if (writes[i].text_fingerprint) {
            world.output_texts[writes[i].spec->path.string()] = writes[i].text_fingerprint;
        }
        if (writes[i].age_index) {
            world.age_indexes[writes[i].spec->path.string()] = {true, writes[i].age_index};
        }
    }
    if (std::error_code ec; written == writes.size() && partial.empty() && world.recovery &&
                            std::filesystem::exists(*world.recovery, ec)) {
        // Every known secret is in every output now: the recovery file has served.
        if (auto removed = remove_recovery(*world.recovery); !removed.ok()) {
            return removed;
        }
        spdlog::info("the outputs hold the recovered secrets; deleted {}",
                     world.recovery->string());
    }
    return core::ok_status();
}

core::Status save_world_state(const manifest::Manifest& manifest, const World& world) {
    return save_world_state(manifest, world, world.state);
}

core::Status save_world_state(const manifest::Manifest& manifest, const World& world,
                              const state::State& state) {
    if (world.store) {
        return world.store->save(state);
    }
    return state::save_state(manifest.state_path, state);
}

core::Status write_all_outputs(const manifest::Manifest& manifest, World& world,
                               const std::set<std::string>& partial) {
    auto writes = outputs_to_write(manifest, world, partial);
    if (!writes.ok()) {
        return writes.error();
    }
    std::size_t written = 0;
    auto status = write_prepared_outputs(writes.value(), written);
    if (auto recorded = record_written_outputs(world, writes.value(), written, partial);
        status.ok() && !recorded.ok()) {
        return recorded;
    }
    return status;
}

}  // namespace provision::apply
