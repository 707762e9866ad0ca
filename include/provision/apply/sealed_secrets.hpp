#pragma once
/// Sealed secrets (docs/state.md "Sealed secrets"): with `sealed: {age: [...]}` in the manifest,
/// every secret a run knows is also kept in the state's backend, encrypted with age to those
/// recipients, one ciphertext per entry beside the fingerprint of what it holds. A run on a
/// fresh machine that has an identity (PROVISION_AGE_IDENTITY_FILE or PROVISION_AGE_IDENTITY)
/// reads them back and rewrites its outputs without rotating anything; without one it behaves
/// as if nothing were sealed. The backend never holds a plaintext secret.

#include "provision/apply/executor.hpp"
#include "provision/apply/state_store.hpp"

namespace provision::apply {

/// Adds to world.secrets each sealed secret whose fingerprint is the state's for its entry and
/// that the outputs did not hold, when the manifest seals and an identity is set. A ciphertext
/// the identity cannot open is an error naming the entry.
core::Status unseal_secrets(const manifest::Manifest& manifest, StateStore& store, World& world);

/// Seals every secret of world.secrets that the backend does not hold yet (by fingerprint),
/// and drops the sealed copies of entries the state no longer has. Nothing without `sealed:`.
core::Status seal_secrets(const manifest::Manifest& manifest, StateStore& store,
                          const World& world);

}  // namespace provision::apply
