#pragma once
/// KeysApi: the one seam between provision and a DocSpace portal's keys endpoints. The real
/// implementation speaks HTTP (make_http_keys_api); unit tests use FakeKeysApi (in memory, in
/// tests/support).

#include "provision/api/types.hpp"
#include "provision/core/result.hpp"

#include <string>
#include <vector>

namespace provision::api {

/// Why a portal refuses to change or delete a key (KeysApi::update/remove answered false),
/// for messages to the user.
inline constexpr const char* k_not_yours =
    "it is not yours: another user created it, and only its creator or a portal admin may "
    "change or delete it";

/// DocSpace answers PUT/DELETE of an id it does not know with HTTP 500 and a
/// NullReferenceException body: for a deletion, the key is gone. A 500 of any other kind (the
/// portal failing) says nothing about the key, which may still exist.
inline bool is_unknown_id(const core::Error& e) {
    return e.code == core::Errc::http_status && e.http_status == 500 && e.unknown_id;
}

class KeysApi {
public:
    virtual ~KeysApi() = default;

    /// GET /api/2.0/keys: every key the caller can see (all keys for an admin), newest first.
    virtual core::Result<std::vector<ApiKey>> list() = 0;

    /// list(), as a listing its readers share: a client shared by the manifests of one run
    /// (shared_reads.hpp) answers every one of them with the same listing, not a copy each.
    virtual core::Result<KeyList> list_shared() {
        auto keys = list();
        if (!keys.ok()) {
            return keys.error();
        }
        return KeyList(std::move(keys.value()));
    }

    /// POST /api/2.0/keys. Never retried blindly: on an error whose code is timeout,
    /// connection_lost, protocol or a 5xx http_status the key may exist on the portal
    /// (an unknown outcome the caller must reconcile by listing).
    virtual core::Result<CreatedKey> create(const CreateRequest& request) = 0;

    /// PUT /api/2.0/keys/{id}. true = applied; false = the server refused (expired key, or
    /// not the caller's key: v3.7.2 answers 200 `false`, later servers an API-layer 403, and
    /// both come back as false, never retried). An unknown id is an http_status 500 error.
    virtual core::Result<bool> update(const std::string& id, const UpdateRequest& request) = 0;

    /// DELETE /api/2.0/keys/{id}. true = deleted; false = not permitted (not the caller's key:
    /// 200 `false` or an API-layer 403, as for update). Unknown id => 500.
    virtual core::Result<bool> remove(const std::string& id) = 0;

    /// GET /api/2.0/keys/permissions: the scope catalogue.
    virtual core::Result<std::vector<std::string>> permissions() = 0;

    /// GET /api/2.0/keys/@self authenticated with `key` (not the admin credential): proves that
    /// a secret works and tells which key it is.
    virtual core::Result<ApiKey> self(const core::Secret& key) = 0;

    /// GET /api/2.0/people/@self with the admin credential: who is acting.
    virtual core::Result<User> current_user() = 0;

    /// GET /api/2.0/portal: which portal this is. A credential the route refuses (401, 403) or
    /// a server without the route (404) gives an unknown identity, not an error.
    virtual core::Result<PortalIdentity> portal() = 0;
};

}  // namespace provision::api
