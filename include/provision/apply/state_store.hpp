#pragma once
/// Where a state lives: its backend. A backend keeps three things for one state (docs/state.md
/// "Backends"): the state itself, its write-ahead journal (journal.hpp) and its sealed secrets
/// (sealed_secrets.hpp), and gives a run its lock.
///
/// - a path: the files of today, `<state>`, `<state>.journal`, `<state>.sealed.json`, locked by
///   flock on `<state>.lock` (lock.hpp);
/// - `postgresql://...` (or `postgres://`): a libpq connection URI; rows keyed by the state's
///   name, the lock a session-level advisory lock held by the run's connection.
///
/// The lock of a remote backend is taken with StateStore::lock and held until the store is
/// destroyed (or the process dies: the server then ends the session and releases it).

#include "provision/core/result.hpp"
#include "provision/manifest/manifest.hpp"
#include "provision/state/state.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace provision::apply {

/// Where a journal's records are kept: one record (a line of JSON) per append.
class JournalLog {
public:
    virtual ~JournalLog() = default;
    /// Every record appended since the log was last cleared, one per line; nullopt when the log
    /// was never written.
    virtual core::Result<std::optional<std::string>> read_journal() = 0;
    /// Appends one record durably (fsync; a committed transaction).
    virtual core::Status append_journal(const std::string& record) = 0;
    /// Appends one record that becomes durable only with the next sync_journal() (group
    /// commit: several intents share one fsync). A backend whose every append is a committed
    /// transaction keeps this default.
    virtual core::Status stage_journal(const std::string& record) { return append_journal(record); }
    /// Makes every staged record durable.
    virtual core::Status sync_journal() { return core::ok_status(); }
    /// Removes every record.
    virtual core::Status clear_journal() = 0;
};

/// A journal in a file, one record per line (today's `<state>.journal`).
class FileJournalLog final : public JournalLog {
public:
    explicit FileJournalLog(std::filesystem::path path) : m_path(std::move(path)) {}
    core::Result<std::optional<std::string>> read_journal() override;
    core::Status append_journal(const std::string& record) override;
    core::Status stage_journal(const std::string& record) override;
    core::Status sync_journal() override;
    core::Status clear_journal() override;
    const std::filesystem::path& path() const { return m_path; }

private:
    core::Status write_record(const std::string& record, bool durable);
    std::filesystem::path m_path;
};

/// One entry's secret sealed with age: the armored ciphertext and the fingerprint of what it
/// holds (core::Secret::fingerprint(), never the secret).
struct SealedSecret {
    std::string fingerprint;
    std::string armored;
};

class StateStore : public JournalLog {
public:
    /// Where the state is, for messages: a path, or a URL with its password replaced by ***.
    virtual std::string location() const = 0;
    /// True for the files beside the manifest (locked with lock.hpp's flock, not lock()).
    virtual bool is_file() const = 0;
    /// A missing state is an empty State. By default load_text() parsed, errors naming
    /// location().
    virtual core::Result<state::State> load();
    virtual core::Status save(const state::State& state) = 0;
    /// The state's text as stored, nullopt when there is none (state push/pull).
    virtual core::Result<std::optional<std::string>> load_text() = 0;
    /// Takes the backend's lock for the rest of this store's life, waiting up to `timeout`.
    /// Errc::lock_held names the holder. The file backend has nothing to do here.
    virtual core::Status lock(std::chrono::milliseconds timeout) = 0;
    /// Sealed secrets by entry name.
    virtual core::Result<std::map<std::string, SealedSecret>> read_sealed() = 0;
    virtual core::Status write_sealed(const std::string& entry, const SealedSecret& sealed) = 0;
    virtual core::Status erase_sealed(const std::string& entry) = 0;
};

/// `location` with the password of a URL (user:PASSWORD@, password=PASSWORD) replaced by ***.
std::string redact_location(std::string_view location);

/// The state name a remote backend keys its rows by: the URL's `#fragment` when it has one,
/// else the manifest's file name without its extension ("bots" for bots.yaml).
std::string state_name(const manifest::Manifest& manifest);

/// The manifest's backend (manifest.state_url, else the files at manifest.state_path),
/// connected. Errors: not_sent (unreachable), unauthorized (credentials refused), io.
core::Result<std::shared_ptr<StateStore>> open_state_store(const manifest::Manifest& manifest);

/// The backend at `location` (a path or a URL) for a state named `name` (URLs without a
/// fragment).
core::Result<std::shared_ptr<StateStore>> open_state_store(const std::string& location,
                                                           const std::string& name);

/// What migrate_state moved.
struct Migration {
    std::size_t keys = 0;  ///< managed keys in the state
    std::size_t journal_records = 0;
    std::size_t sealed = 0;  ///< sealed secrets
};

/// Copies the state, its journal and its sealed secrets from `from` to `to`, each under its
/// lock (waiting up to `lock_timeout`). Refused (invalid_input) when `from` holds no state, or
/// `to` already holds a different state or pending journal records: it may be newer, and
/// nothing there is overwritten. The state is written last, so an interrupted migration is
/// simply run again. `from` is left as it was.
core::Result<Migration> migrate_state(StateStore& from, StateStore& to,
                                      std::chrono::milliseconds lock_timeout);

}  // namespace provision::apply
