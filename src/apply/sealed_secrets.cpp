// Sealed secrets (sealed_secrets.hpp).

#include "provision/apply/sealed_secrets.hpp"

#include "provision/output/age.hpp"

#include <spdlog/spdlog.h>

namespace provision::apply {

core::Status unseal_secrets(const manifest::Manifest& manifest, StateStore& store, World& world) {
    if (manifest.sealed_recipients.empty()) {
        return core::ok_status();
    }
    const auto identity = output::age_identity_from_env();
    if (!identity) {
        return core::ok_status();
    }
    auto sealed = store.read_sealed();
    if (!sealed.ok()) {
        return sealed.error();
    }
    for (const auto& [entry, record] : sealed.value()) {
        const auto* key = world.state.find(entry);
        if (key == nullptr || key->fingerprint.empty() || key->fingerprint != record.fingerprint ||
            world.secrets.contains(entry)) {
            continue;
        }
        auto secret = output::age_decrypt_text(record.armored, *identity);
        if (!secret.ok()) {
            return core::make_error(secret.error().code, "the sealed secret of '" + entry +
                                                             "' in " + store.location() + ": " +
                                                             secret.error().message);
        }
        if (secret.value().fingerprint() != record.fingerprint) {
            return core::make_error(core::Errc::invalid_input,
                                    "the sealed secret of '" + entry + "' in " + store.location() +
                                        " is not the one its fingerprint names; seal it again "
                                        "from a run whose outputs hold it");
        }
        spdlog::debug("unsealed the secret of '{}'", entry);
        world.unverified.erase(entry);
        world.secrets.emplace(entry, std::move(secret.value()));
    }
    return core::ok_status();
}

core::Status seal_secrets(const manifest::Manifest& manifest, StateStore& store,
                          const World& world) {
    if (manifest.sealed_recipients.empty()) {
        return core::ok_status();
    }
    auto sealed = store.read_sealed();
    if (!sealed.ok()) {
        return sealed.error();
    }
    for (const auto& [entry, secret] : world.secrets) {
        const std::string fingerprint = secret.fingerprint();
        const auto found = sealed.value().find(entry);
        if (found != sealed.value().end() && found->second.fingerprint == fingerprint) {
            continue;
        }
        auto armored = output::age_encrypt(manifest.sealed_recipients, secret.reveal());
        if (!armored.ok()) {
            return armored.error();
        }
        if (auto written = store.write_sealed(entry, SealedSecret{fingerprint, armored.value()});
            !written.ok()) {
            return written;
        }
        spdlog::debug("sealed the secret of '{}' in {}", entry, store.location());
    }
    for (const auto& [entry, record] : sealed.value()) {
        if (world.state.find(entry) == nullptr && !world.secrets.contains(entry)) {
            if (auto erased = store.erase_sealed(entry); !erased.ok()) {
                return erased;
            }
        }
    }
    return core::ok_status();
}

}  // namespace provision::apply
