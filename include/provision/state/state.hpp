#pragma once
/// The state file: which portal keys this manifest owns, by id. Never holds a secret, only a
/// fingerprint of it, so it can be committed. Written atomically after every change.
///
/// Location: beside the manifest, "<manifest stem>.state.json" unless the manifest says
/// otherwise. Format: see docs/state.md.

#include "provision/core/result.hpp"
#include "provision/core/scopes.hpp"
#include "provision/core/time.hpp"

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace provision::state {

/// A key this manifest owns and currently uses for an entry.
struct ManagedKey {
    std::string entry;  ///< manifest entry name
    std::string id;     ///< portal key id
    std::string name;   ///< name sent at create
    std::string postfix;
    core::Scopes permissions;            ///< as last applied
    std::optional<int> expires_in_days;  ///< lifetime requested at create
    std::optional<core::Timestamp> expires_at;
    core::Timestamp created_at{};
    std::string fingerprint;  ///< "sha256:..." of the secret; empty if never known

    bool operator==(const ManagedKey&) const = default;
};

/// A key replaced by rotation, kept alive for a grace period, then retired (issue 4).
struct RetiringKey {
    std::string entry;
    std::string id;
    std::string postfix;
    std::optional<core::Timestamp> expires_at;
    core::Timestamp retire_after{};
    std::string reason;
};

/// The portal a state belongs to, as GET /api/2.0/portal described it when the state was
/// written (fields the caller could not see stay empty). Absent in older states.
struct PortalRecord {
    std::optional<long long> tenant_id;
    std::string alias;
    std::string owner_id;
    std::optional<core::Timestamp> created;
};

struct State {
    int version = 1;
    std::string portal_url;
    std::optional<PortalRecord> portal;  ///< "tenant" in the file
    std::string owner_id;                ///< creator of the managed keys (people/@self id)
    /// Sorted by entry: parse_state and upsert keep it so, and a State filled by hand must be
    /// (find and upsert rely on it).
    std::vector<ManagedKey> keys;
    std::vector<RetiringKey> retiring;

    /// O(log n), hit or miss: creating N new entries is N lookups that miss, which a scan
    /// made quadratic (10,000 new keys: 10^8 comparisons under the executor's lock).
    const ManagedKey* find(std::string_view entry) const;
    ManagedKey* find(std::string_view entry);
    /// Inserts or replaces the record for key.entry, in order.
    void upsert(ManagedKey key);
    void erase(std::string_view entry);
    /// True when portal key `id` is an entry's key or a retiring key of this state.
    bool tracks(std::string_view id) const;
};

/// Lookups into one State by entry and by portal key id in O(1), for loops over every entry or
/// every key of a portal. Built in O(n); valid while no record of the State is added, removed
/// or renamed.
class StateIndex {
public:
    explicit StateIndex(const State& state);
    const ManagedKey* find(std::string_view entry) const;
    /// Same answer as State::tracks.
    bool tracks(std::string_view id) const { return m_ids.contains(id); }
    /// The entry's key whose secret has `fingerprint` (not empty); the first such, or nullptr.
    const ManagedKey* find_by_fingerprint(std::string_view fingerprint) const;
    /// True when `fingerprint` (not empty) is the secret's of an entry's key.
    bool holds_fingerprint(std::string_view fingerprint) const {
        return find_by_fingerprint(fingerprint) != nullptr;
    }

private:
    std::unordered_map<std::string_view, const ManagedKey*> m_by_entry;
    std::unordered_set<std::string_view> m_ids;
    std::unordered_map<std::string_view, const ManagedKey*> m_by_fingerprint;
};

/// Missing file => empty State. A corrupt file is an error naming the file and position.
/// Always reads the file itself; a prefetch (below) of the same bytes spares only the parse.
core::Result<State> load_state(const std::filesystem::path& path);

/// Reads and parses the state file at `path` on a thread of its own, while the caller does
/// other local work (parsing the manifest, which names the state only once it is parsed). The
/// next load_state(path) takes that parse when the bytes it reads itself are the same; else,
/// or when no prefetch ran, it parses as always. No lock is taken here: load_state reads the
/// file again under the run's lock, so a state another run wrote meanwhile is never missed.
void prefetch_state(const std::filesystem::path& path);
core::Result<State> parse_state(std::string_view text, const std::string& file_name);

/// Serialised deterministically (stable key order, sorted entries), 2-space indented JSON.
std::string serialize_state(const State& state);

/// serialize_state's bytes, remembering the text of each key record: a record equal to the one
/// this serialiser last wrote for its entry is not serialised again. For a run that saves a
/// growing state after every batch of creates (1,000 new keys: about 200 saves), where
/// re-serialising unchanged records was half of the run's CPU. Thread-safe; holds one record
/// and its text per entry of the last state it serialised.
class StateSerializer {
public:
    std::string serialize(const State& state);

private:
    struct Cached {
        ManagedKey key;
        std::string text;
    };
    std::mutex m_mutex;
    std::unordered_map<std::string, Cached> m_records;
};

/// Atomic: temp file in the same directory, fsync, rename, fsync the directory. Mode 0600.
core::Status save_state(const std::filesystem::path& path, const State& state);
core::Status save_state(const std::filesystem::path& path, const State& state,
                        StateSerializer& serializer);

}  // namespace provision::state
