#pragma once
/// FakeKeysApi: an in-memory KeysApi for unit tests of the planner and the executor. It
/// mimics DocSpace's semantics (contract §2-§3): list order newest first, admins see every
/// key, PUT on an expired key or someone else's key => false, unknown id => Error http_status
/// 500, ["*"] => unrestricted, secrets "sk-" + 64 hex shown only by create. It records every
/// call and lets a test inject the next result of a call as an Error, before or after the
/// operation takes effect (to emulate an unknown outcome). Thread-safe. Test code only: it
/// lives in tests/support (library fake_keys_api), not in the product's provision_api.

#include "provision/api/keys_api.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace provision::api {

class FakeKeysApi final : public KeysApi {
public:
    /// One call as a test sees it: method is "list", "create", "update", "remove",
    /// "permissions", "self" or "current_user"; target is the key name for create, the id for
    /// update/remove, the redacted secret for self, "" otherwise.
    struct Call {
        std::string method;
        std::string target;
    };

    /// When an injected error takes effect.
    enum class Inject {
        instead,       ///< the call does nothing and returns the error (provably not processed)
        after_commit,  ///< the call takes effect, then returns the error (unknown outcome)
    };

    /// Starts with an admin current user (id "aa11bb22-cc33-dd44-ee55-ff6677889900",
    /// "Jane Doe"), no keys, and the clock at 2026-07-01T12:00:00Z.
    FakeKeysApi();

    // KeysApi
    core::Result<std::vector<ApiKey>> list() override;
    core::Result<CreatedKey> create(const CreateRequest& request) override;
    core::Result<bool> update(const std::string& id, const UpdateRequest& request) override;
    core::Result<bool> remove(const std::string& id) override;
    core::Result<std::vector<std::string>> permissions() override;
    core::Result<ApiKey> self(const core::Secret& key) override;
    core::Result<User> current_user() override;
    /// The identity set_portal gave (unknown by default). Not recorded in calls(): it reads
    /// nothing about keys.
    core::Result<PortalIdentity> portal() override;

    // Clock and identity.
    void advance(std::chrono::seconds by);
    core::Timestamp now() const;
    /// The user behind the credential; is_admin decides list visibility and PUT/DELETE rights.
    void set_current_user(User user);
    void set_portal(PortalIdentity identity);

    // Portal contents, changed behind the client's back ("edits made on the portal").
    /// Stores a key as the current user would have created it, without recording a call.
    CreatedKey seed(const std::string& name, core::Scopes permissions = core::Scopes::all(),
                    std::optional<int> expires_in_days = std::nullopt);
    /// Inserts or replaces a key as given (id, creator, dates...), with an optional secret.
    void put_key(const ApiKey& key, std::optional<core::Secret> secret = std::nullopt);
    /// Every stored key, newest first; nullopt / empty when unknown.
    std::vector<ApiKey> keys() const;
    std::optional<ApiKey> key(const std::string& id) const;
    std::optional<core::Secret> secret_of(const std::string& id) const;

    // Fault injection and the call log.
    /// The next call of `method` returns `error` (queued per method, first in first out).
    void fail_next(const std::string& method, core::Error error, Inject when = Inject::instead);
    std::vector<Call> calls() const;
    /// Number of recorded calls of `method`.
    std::size_t count(std::string_view method) const;
    void clear_calls();

    // Concurrency. Calls are thread-safe.
    /// Every create, update and remove takes this long (outside the fake's lock), so that
    /// callers running in parallel overlap.
    void set_latency(std::chrono::milliseconds latency);
    /// The most create/update/remove calls that were in progress at the same moment.
    int most_in_flight() const;

private:
    struct Stored {
        ApiKey key;
        core::Secret secret;
        std::uint64_t sequence = 0;  ///< creation order, tie-breaker for equal createOn
    };
    struct Injection {
        core::Error error;
        Inject when = Inject::instead;
    };

    /// Stored keys, newest first (createOn, then creation order); with `visible_only`, just
    /// those the current user may list. Called with m_mutex held.
    std::vector<ApiKey> newest_first(bool visible_only) const;
    std::optional<Injection> take_injection(const std::string& method);
    void record(std::string method, std::string target);
    core::Error unknown_id(const std::string& what, const std::string& id) const;
    CreatedKey store_new(const std::string& name, const core::Scopes& permissions,
                         std::optional<int> expires_in_days);
    std::string next_id();
    core::Secret next_secret();
    bool may_manage(const ApiKey& key) const;

    /// Counts a create/update/remove in progress and waits the latency.
    class InFlight {
    public:
        explicit InFlight(FakeKeysApi& api);
        ~InFlight();
        InFlight(const InFlight&) = delete;
        InFlight& operator=(const InFlight&) = delete;

    private:
        FakeKeysApi& m_api;
    };

    std::atomic<int> m_in_flight{0};
    std::atomic<int> m_most_in_flight{0};
    std::atomic<long long> m_latency_ms{0};
    mutable std::mutex m_mutex;
    core::Timestamp m_now;
    User m_user;
    PortalIdentity m_portal;
    std::map<std::string, Stored> m_keys;
    std::map<std::string, std::deque<Injection>> m_injections;
    std::vector<Call> m_calls;
    std::uint64_t m_sequence = 0;
    std::uint64_t m_random_state = 0x9e3779b97f4a7c15ULL;
};

}  // namespace provision::api
