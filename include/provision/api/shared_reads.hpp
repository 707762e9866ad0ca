#pragma once
/// A KeysApi shared by the manifests of one run that reach one portal with one credential
/// (`provision plan|apply|status m1.yaml m2.yaml ...`): they see one identity check and one key
/// listing instead of one each. Every read that describes the portal rather than a key's
/// secret is answered from memory once made: GET people/@self, GET portal and GET keys (as one
/// KeyList, not a copy per reader). A create, update or delete, whatever its outcome, forgets
/// the listing, so every list after a change (settling an interrupted create, revoking what a
/// lost create made) asks the portal again; a listing that was in flight while a change
/// completed is not kept. Everything else goes straight to the wrapped client. Thread-safe as
/// the wrapped client is (the executor calls it from several threads).

#include "provision/api/keys_api.hpp"

#include <memory>

namespace provision::api {

/// `client`, answering the portal's reads from memory after the first (see above).
std::shared_ptr<KeysApi> share_reads(std::unique_ptr<KeysApi> client);

}  // namespace provision::api
