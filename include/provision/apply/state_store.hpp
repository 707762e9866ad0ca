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
/// destroyed, or the process dies: PostgreSQL then ends the session and releases it; the HTTP
/// protocol has no session, so its lock stays held until `provision state unlock` (held_lock,
/// force_unlock) releases it.

#include "provision/api/http_transport.hpp"
#include "provision/core/result.hpp"
#include "provision/core/time.hpp"
#include "provision/manifest/manifest.hpp"
#include "provision/state/state.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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

/// A lock on a state as its backend describes it (`provision state unlock`).
struct HeldLock {
    std::string id;         ///< what `provision state unlock MANIFEST ID` takes
    std::string who;        ///< the holder, as it recorded itself ("pid N on HOST since TIME")
    std::string created;    ///< when it was taken, as the backend says; may be empty
    std::string operation;  ///< what the holder is doing, when the backend says; may be empty
    std::string info;       ///< HTTP: the lock-info JSON the server sent (UNLOCK's body)
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
    /// The lock another run holds now; nullopt when nobody holds it. invalid_input, saying so,
    /// for the file backend, whose flock cannot outlive its holder.
    virtual core::Result<std::optional<HeldLock>> held_lock() = 0;
    /// Releases `held` (from held_lock) for a holder that is dead. HTTP: UNLOCK with its lock
    /// info. PostgreSQL: ends the database session holding it (what the server does by itself
    /// once it notices a dead connection). Succeeds when the lock is gone already.
    virtual core::Status force_unlock(const HeldLock& held) = 0;
    /// When a run last wrote the state, as the backend records it: the state file's
    /// modification time, the row's `updated_at`, the HTTP document's `written` (set by every
    /// save). nullopt when there is no state, or an HTTP document written before provision
    /// recorded it (`provision_last_apply_timestamp_seconds`).
    virtual core::Result<std::optional<core::Timestamp>> last_write() = 0;
    /// Removes the state and its sealed secrets (destroy, under the lock), and the journal
    /// unless it holds records: those name creates the next run must still settle.
    virtual core::Status remove() = 0;

    /// How a command line names this state, for the `provision state unlock` a lock refusal
    /// suggests: the manifest, and `--state LOCATION` when needed (unlock_words).
    void set_command_words(std::string words) { m_command_words = std::move(words); }

protected:
    /// "`provision state unlock MANIFEST ID`"
    std::string unlock_command(const std::string& id) const;

private:
    std::string m_command_words = "MANIFEST";
};

/// How the HTTP backend's requests are made: the command line's --ca-bundle, --connect-timeout,
/// --request-timeout, --low-speed-limit and --low-speed-time, as the portal's. Set once by the
/// command line before any store is opened; stores opened later use it. A state server with a
/// CA of its own is trusted through PROVISION_HTTP_CA_BUNDLE, which replaces --ca-bundle for
/// the state backend only (docs/state.md#http-terraforms-protocol).
void set_http_state_transport(const api::TransportOptions& options);

/// `location` with the password of a URL (user:PASSWORD@, password=PASSWORD) replaced by ***.
std::string redact_location(std::string_view location);

/// `url` without its `#fragment`, and the fragment ("" without one). The fragment starts at
/// the first '#' after the URL's credentials, so a '#' in a password does not split it.
std::pair<std::string, std::string> split_fragment(const std::string& url);

/// `text` with every occurrence of the password `url` holds (user:PASSWORD@ or password=, raw
/// or percent-decoded) replaced by ***: for messages of libraries that quote the URL.
std::string scrub_url_password(std::string text, std::string_view url);

/// The words after `provision state unlock` that name `manifest`'s state: its file, shell
/// quoted, and `--state LOCATION` for a backend URL that is not PROVISION_STATE's (unless it
/// holds a password: the manifest's `state:` gave it then, as no command line may).
std::string unlock_words(const manifest::Manifest& manifest);

/// "lock ID X, held by WHO, taken WHEN, for OPERATION", with what the backend knows.
std::string describe_lock(const HeldLock& held);

/// The lock of `store` that `id` names, for `provision state unlock`: nullopt when the state is
/// not locked; invalid_input naming the lock held when it is another one. A backend that
/// cannot say which lock is held (an HTTP server's answer without lock info) gets `id` to
/// send, and its server checks it.
core::Result<std::optional<HeldLock>> find_lock(StateStore& store, const std::string& id);

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
