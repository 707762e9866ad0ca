#include "provision/apply/journal.hpp"

#include "provision/core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

namespace provision::apply {

namespace {

core::Error io_error(const std::string& what, const std::filesystem::path& path) {
    return core::make_error(core::Errc::io, what + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

core::Result<Journal> Journal::open(const std::filesystem::path& path) {
    Journal journal;
    journal.m_path = path;
    auto text = core::read_file_if_exists(path, 64 * 1024 * 1024);
    if (!text.ok()) {
        return text.error();
    }
    if (!text.value()) {
        return journal;
    }
    std::istringstream lines(*text.value());
    std::string line;
    while (std::getline(lines, line)) {
        const auto record = nlohmann::json::parse(line, nullptr, false);
        if (record.is_discarded() || !record.is_object() || !record.contains("seq")) {
            continue;  // a torn line from a crash mid-append: the intent before it still counts
        }
        const auto seq = record.value("seq", std::uint64_t{0});
        journal.m_next_seq = std::max(journal.m_next_seq, seq + 1);
        const std::string op = record.value("op", "");
        if (op == "intent") {
            const auto time = core::parse_iso8601(record.value("time", ""));
            journal.m_pending.push_back(
                Intent{seq, record.value("entry", ""), record.value("name", ""), time.value_or(core::Timestamp{})});
        } else if (op == "done" || op == "resolved") {
            journal.settle(seq);
        }
    }
    return journal;
}

void Journal::settle(std::uint64_t seq) {
    m_pending.erase(std::remove_if(m_pending.begin(), m_pending.end(),
                                   [seq](const Intent& i) { return i.seq == seq; }),
                    m_pending.end());
}

core::Status Journal::append(const std::string& line) {
    const int fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return io_error("cannot open journal", m_path);
    }
    const std::string data = line + "\n";
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n != static_cast<ssize_t>(data.size()) || ::fsync(fd) != 0) {
        const auto error = io_error("cannot write journal", m_path);
        ::close(fd);
        return error;
    }
    ::close(fd);
    return core::ok_status();
}

core::Result<std::uint64_t> Journal::record_intent(const std::string& entry, const std::string& name,
                                                   core::Timestamp time) {
    const std::uint64_t seq = m_next_seq++;
    const nlohmann::json record = {{"op", "intent"}, {"seq", seq}, {"entry", entry}, {"name", name},
                                   {"time", core::format_iso8601(time)}, {"pid", ::getpid()}};
    if (auto written = append(record.dump()); !written.ok()) {
        return written.error();
    }
    m_pending.push_back(Intent{seq, entry, name, std::chrono::floor<std::chrono::seconds>(time)});
    return seq;
}

core::Status Journal::record_done(std::uint64_t seq, const std::string& id) {
    auto written = append(nlohmann::json{{"op", "done"}, {"seq", seq}, {"id", id}}.dump());
    if (written.ok()) {
        settle(seq);
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
    if (::truncate(m_path.c_str(), 0) != 0 && errno != ENOENT) {
        return io_error("cannot empty journal", m_path);
    }
    return core::ok_status();
}

std::filesystem::path journal_path_for(const std::filesystem::path& state_path) {
    return std::filesystem::path(state_path.string() + ".journal");
}

}  // namespace provision::apply
