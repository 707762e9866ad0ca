#pragma once
/// The write-ahead journal of creates. Before each POST an intent (entry, exact name sent,
/// time; never a secret) is appended and fsynced; once the new secret is durable in every
/// output and in the state the intent is marked done; when the create provably made nothing
/// (refused, never sent) it is marked abandoned. An intent with neither mark after a crash is
/// an unknown outcome that the next run settles before it plans (reconcile_pending in
/// executor.hpp).
///
/// Format: one JSON object per line, append-only while a run holds the lock, emptied when nothing
/// is pending; kept by the state's backend (state_store.hpp): "<state file>.journal", or rows of
/// the backend's database. A torn last line (a crash mid-append) is ignored.
/// Records: {"op":"intent","seq","entry","name","time","pid"}, {"op":"done","seq","id"},
/// {"op":"resolved","seq"} and {"op":"watch","seq","time"} (reconciled, no key found yet).

#include "provision/core/result.hpp"
#include "provision/core/time.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace provision::apply {

struct Intent {
    std::uint64_t seq = 0;
    std::string entry;       ///< manifest entry name
    std::string name;        ///< the key name sent in the POST
    core::Timestamp time{};  ///< when the POST was about to be sent
    /// Set once a run reconciled the intent and found no key: the create made nothing yet, and
    /// the intent is only watched for a key the portal may still commit (reconcile.hpp).
    std::optional<core::Timestamp> watched_since;
};

/// What a journal's text says: the intents still pending, oldest first, and the sequence
/// number the next intent gets.
struct JournalContents {
    std::vector<Intent> pending;
    std::uint64_t next_seq = 1;
    /// Ids of keys recorded done: a key made by one intent is never attributed to another.
    std::set<std::string> done_ids;
};

/// Reads journal text as Journal::open does: lines that are not records (a torn last line) are
/// skipped. Never throws.
JournalContents parse_journal(std::string_view text);

class JournalLog;

class Journal {
public:
    /// Opens and reads the journal file at `path` (created, mode 0600, at the first record).
    static core::Result<Journal> open(const std::filesystem::path& path);
    /// Opens and reads the journal that `log` keeps (a state backend's).
    static core::Result<Journal> open(std::shared_ptr<JournalLog> log);

    /// Intents with neither a done nor an abandoned record, oldest first.
    const std::vector<Intent>& pending() const { return m_pending; }

    /// Appends and fsyncs an intent; returns its sequence number.
    core::Result<std::uint64_t> record_intent(const std::string& entry, const std::string& name,
                                              core::Timestamp time);
    /// record_intent without the fsync: the intent is durable only after a sync() that starts
    /// after this returns. Lets several creates share one fsync (group commit).
    core::Result<std::uint64_t> stage_intent(const std::string& entry, const std::string& name,
                                             core::Timestamp time);
    /// Makes every record written so far durable. Reads nothing of the journal's memory, so it
    /// may run while another thread stages the next records.
    core::Status sync() const;
    /// The key `id` made by intent `seq` is durable in the outputs and the state.
    core::Status record_done(std::uint64_t seq, const std::string& id);
    /// record_done for several intents (seq, id) at once: one append and one fsync.
    core::Status record_done(const std::vector<std::pair<std::uint64_t, std::string>>& done);
    /// Intent `seq` made no key, or its key was settled (revoked or adopted).
    core::Status record_resolved(std::uint64_t seq);
    /// Intent `seq` was reconciled at `time` and no key was found: it stays pending, watched.
    core::Status record_watch(std::uint64_t seq, core::Timestamp time);
    /// Ids of the keys recorded done since the journal was last emptied.
    const std::set<std::string>& done_ids() const { return m_done_ids; }

    /// Empties the journal when nothing is pending.
    core::Status compact();

private:
    core::Status append(const std::string& line, bool durable = true);
    void settle(std::uint64_t seq);

    std::shared_ptr<JournalLog> m_log;
    std::vector<Intent> m_pending;
    std::uint64_t m_next_seq = 1;
    std::set<std::string> m_done_ids;
};

/// "<state path>.journal"
std::filesystem::path journal_path_for(const std::filesystem::path& state_path);

}  // namespace provision::apply
