// share_reads (shared_reads.hpp): the reads a run of several manifests on one portal makes
// once. A generation counter, bumped by every change, keeps a listing that raced a change
// from being remembered: it may or may not show what the change did.

#include "provision/api/shared_reads.hpp"

#include <cstdint>
#include <mutex>
#include <optional>

namespace provision::api {

namespace {

class SharedReads final : public KeysApi {
public:
    explicit SharedReads(std::unique_ptr<KeysApi> client) : m_client(std::move(client)) {}

    core::Result<std::vector<ApiKey>> list() override {
        auto keys = list_shared();
        if (!keys.ok()) {
            return keys.error();
        }
        return keys.value().keys();
    }

    core::Result<KeyList> list_shared() override {
        std::unique_lock lock(m_mutex);
        if (m_keys) {
            return *m_keys;
        }
        const std::uint64_t generation = m_generation;
        lock.unlock();
        auto keys = m_client->list_shared();
        lock.lock();
        if (keys.ok() && generation == m_generation) {
            m_keys = keys.value();
        }
        return keys;
    }

    core::Result<CreatedKey> create(const CreateRequest& request) override {
        return changed(m_client->create(request));
    }
    core::Result<bool> update(const std::string& id, const UpdateRequest& request) override {
        return changed(m_client->update(id, request));
    }
    core::Result<bool> remove(const std::string& id) override {
        return changed(m_client->remove(id));
    }
    core::Result<std::vector<std::string>> permissions() override {
        return m_client->permissions();
    }
    core::Result<ApiKey> self(const core::Secret& key) override { return m_client->self(key); }

    core::Result<User> current_user() override {
        return remembered(m_user, [this] { return m_client->current_user(); });
    }
    core::Result<PortalIdentity> portal() override {
        return remembered(m_portal, [this] { return m_client->portal(); });
    }

private:
    /// Forgets the listing once a change has completed (or failed: it may have happened).
    template <typename T> T changed(T result) {
        const std::lock_guard lock(m_mutex);
        ++m_generation;
        m_keys.reset();
        return result;
    }

    /// The first successful answer of `ask`, kept in `slot`.
    template <typename T, typename Ask>
    core::Result<T> remembered(std::optional<T>& slot, const Ask& ask) {
        {
            const std::lock_guard lock(m_mutex);
            if (slot) {
                return *slot;
            }
        }
        auto answer = ask();
        if (answer.ok()) {
            const std::lock_guard lock(m_mutex);
            slot = answer.value();
        }
        return answer;
    }

    std::unique_ptr<KeysApi> m_client;
    std::mutex m_mutex;
    std::uint64_t m_generation = 0;
    std::optional<KeyList> m_keys;
    std::optional<User> m_user;
    std::optional<PortalIdentity> m_portal;
};

}  // namespace

std::shared_ptr<KeysApi> share_reads(std::unique_ptr<KeysApi> client) {
    return std::make_shared<SharedReads>(std::move(client));
}

}  // namespace provision::api
