#include "provision/apply/journal.hpp"

#include "provision/apply/state_store.hpp"
#include "provision/core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <sstream>

namespace provision::apply {

namespace {

core::Error io_error(const std::string& what, const std::filesystem::path& path) {
    return core::make_error(core::Errc::io,
                            what + " " + path.string() + ": " + std::strerror(errno));
}

/// True when the record has the sequence number every record is written with: a whole number
/// that a next one can follow. A record without one cannot be matched to its intent.
bool has_seq(const nlohmann::json& record) {
    const auto seq = record.find("seq");
    return seq != record.end() && seq->is_number_unsigned() &&
           seq->get<std::uint64_t>() < std::numeric_limits<std::uint64_t>::max();
}

/// A string field of a record, "" when it is missing or not a string: a mangled field must not
/// make a pending intent disappear (reconciliation settles an intent whatever its name).
std::string string_field(const nlohmann::json& record, const char* name) {
    const auto field = record.find(name);
    return field != record.end() && field->is_string() ? field->get<std::string>() : std::string();
}

/// Drops intent `seq` from `pending`: its done or resolved record was read or written.
void settle_intent(std::vector<Intent>& pending, std::uint64_t seq) {
    std::erase_if(pending, [seq](const Intent& i) { return i.seq == seq; });
}

}  // namespace

JournalContents parse_journal(std::string_view text) {
    JournalContents contents;
    std::istringstream lines{std::string(text)};
    std::string line;
    while (std::getline(lines, line)) {
        const auto record = nlohmann::json::parse(line, nullptr, false);
        if (record.is_discarded() || !record.is_object() || !has_seq(record)) {
            continue;  // a torn line from a crash mid-append: the intent before it still counts
        }
        const auto seq = record["seq"].get<std::uint64_t>();
        contents.next_seq = std::max(contents.next_seq, seq + 1);
        const std::string op = string_field(record, "op");
        if (op == "intent") {
            const auto time = core::parse_iso8601(string_field(record, "time"));
            contents.pending.push_back(Intent{seq, string_field(record, "entry"),
                                              string_field(record, "name"),
                                              time.value_or(core::Timestamp{}), std::nullopt});
        } else if (op == "done" || op == "resolved") {
            settle_intent(contents.pending, seq);
            if (const std::string id = string_field(record, "id"); op == "done" && !id.empty()) {
                contents.done_ids.insert(id);
            }
        } else if (op == "watch") {
            const auto time = core::parse_iso8601(string_field(record, "time"));
            for (auto& intent : contents.pending) {
                if (intent.seq == seq) {
                    intent.watched_since = time.value_or(intent.time);
                }
            }
        }
    }
    return contents;
}

core::Result<Journal> Journal::open(const std::filesystem::path& path) {
    return open(std::make_shared<FileJournalLog>(path));
}

core::Result<Journal> Journal::open(std::shared_ptr<JournalLog> log) {
    Journal journal;
    journal.m_log = std::move(log);
    auto text = journal.m_log->read_journal();
    if (!text.ok()) {
        return text.error();
    }
    if (!text.value()) {
        return journal;
    }
    JournalContents contents = parse_journal(*text.value());
    journal.m_pending = std::move(contents.pending);
    journal.m_next_seq = contents.next_seq;
    journal.m_done_ids = std::move(contents.done_ids);
    return journal;
}

void Journal::settle(std::uint64_t seq) {
    settle_intent(m_pending, seq);
}

core::Status Journal::append(const std::string& line, bool durable) {
    return durable ? m_log->append_journal(line) : m_log->stage_journal(line);
}

core::Result<std::uint64_t> Journal::record_intent(const std::string& entry,
                                                   const std::string& name, core::Timestamp time) {
    auto seq = stage_intent(entry, name, time);
    if (!seq.ok()) {
        return seq;
    }
    if (auto synced = sync(); !synced.ok()) {
        settle(*seq);  // never sent: nothing to reconcile
        return synced.error();
    }
    return seq;
}

core::Status Journal::sync() const {
    return m_log->sync_journal();
}

core::Status FileJournalLog::sync_journal() {
    // fsync flushes the file's data whichever descriptor wrote it.
    const int fd = ::open(m_path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return io_error("cannot open journal", m_path);
    }
    if (::fsync(fd) != 0) {
        const auto error = io_error("cannot write journal", m_path);
        ::close(fd);
        return error;
    }
    ::close(fd);
    return core::ok_status();
}

core::Result<std::uint64_t> Journal::stage_intent(const std::string& entry, const std::string& name,
                                                  core::Timestamp time) {
    const std::uint64_t seq = m_next_seq++;
    const nlohmann::json record = {{"op", "intent"},
                                   {"seq", seq},
                                   {"entry", entry},
                                   {"name", name},
                                   {"time", core::format_iso8601(time)},
                                   {"pid", ::getpid()}};
    if (auto written = append(record.dump(), false); !written.ok()) {
        return written.error();
    }
    m_pending.push_back(
        Intent{seq, entry, name, std::chrono::floor<std::chrono::seconds>(time), std::nullopt});
    return seq;
}

core::Status Journal::record_done(std::uint64_t seq, const std::string& id) {
    return record_done({{seq, id}});
}

core::Status Journal::record_done(const std::vector<std::pair<std::uint64_t, std::string>>& done) {
    if (done.empty()) {
        return core::ok_status();
    }
    std::string lines;
    for (const auto& [seq, id] : done) {
        if (!lines.empty()) {
            lines += '\n';
        }
        lines += nlohmann::json{{"op", "done"}, {"seq", seq}, {"id", id}}.dump();
    }
    auto written = append(lines);
    if (written.ok()) {
        for (const auto& [seq, id] : done) {
            settle(seq);
            m_done_ids.insert(id);
        }
    }
    return written;
}

core::Status Journal::record_watch(std::uint64_t seq, core::Timestamp time) {
    auto written = append(
        nlohmann::json{{"op", "watch"}, {"seq", seq}, {"time", core::format_iso8601(time)}}.dump());
    if (written.ok()) {
        for (auto& intent : m_pending) {
            if (intent.seq == seq) {
                intent.watched_since = std::chrono::floor<std::chrono::seconds>(time);
            }
        }
    }
    return written;
}

core::Status Journal::record_resolved(std::uint64_t seq) {
    auto written = append(nlohmann::json{{"op", "resolved"}, {"seq", seq}}.dump());
    if (written.ok()) {
        settle(seq);
    }
    return written;
}

core::Status Journal::compact() {
    if (!m_pending.empty()) {
        return core::ok_status();
    }
    if (auto cleared = m_log->clear_journal(); !cleared.ok()) {
        return cleared;
    }
    m_done_ids.clear();
    return core::ok_status();
}

core::Result<std::optional<std::string>> FileJournalLog::read_journal() {
    return core::read_file_if_exists(m_path, std::size_t{64} * 1024 * 1024);
}

core::Status FileJournalLog::append_journal(const std::string& record) {
    return write_record(record, true);
}

core::Status FileJournalLog::stage_journal(const std::string& record) {
    return write_record(record, false);
}

core::Status FileJournalLog::write_record(const std::string& record, bool durable) {
    const int fd =
        ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return io_error("cannot open journal", m_path);
    }
    const std::string data = record + "\n";
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n != static_cast<ssize_t>(data.size()) || (durable && ::fsync(fd) != 0)) {
        const auto error = io_error("cannot write journal", m_path);
        ::close(fd);
        return error;
    }
    ::close(fd);
    return core::ok_status();
}

core::Status FileJournalLog::clear_journal() {
    if (::truncate(m_path.c_str(), 0) != 0 && errno != ENOENT) {
        return io_error("cannot empty journal", m_path);
    }
    return core::ok_status();
}

std::filesystem::path journal_path_for(const std::filesystem::path& state_path) {
    return {state_path.string() + ".journal"};
}

}  // namespace provision::apply
