#pragma once
/// Fault rules (docs/emulator.md "Fault rules") and the request log of the test controls.

#include "clock.hpp"
#include "model.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace emulator {

enum class FaultAction {
    status,
    latency,
    drop,
    commit_drop,
    commit_500,
    malformed,
    oversized,
    rate_limit,
    redirect,
    silent,
    commit_silent
};

struct FaultRule {
    std::string id;
    std::string method = "*";
    std::string path = "*";
    FaultAction action = FaultAction::status;
    int skip = 0;   ///< matching requests still to let through
    int times = 1;  ///< 0 = forever
    int fired = 0;
    int latency_ms = 0;
    int status = 0;  ///< 0 = the action's default
    std::string body;
    std::string content_type;
    std::optional<int> retry_after;
    std::optional<int> limit;
    std::string location;
    std::size_t body_bytes = 8 * 1024 * 1024;

    /// True when method and path select this request.
    bool matches(const std::string& request_method, const std::string& request_path) const;
    Json to_json() const;
};

/// Parses a rule from its JSON form; throws std::invalid_argument naming the bad field.
FaultRule parse_fault_rule(const Json& json);

class FaultSet {
public:
    /// Adds a rule and returns its id.
    std::string add(FaultRule rule);
    /// The rule that applies to this request, if any; counts the firing and removes rules
    /// that have fired `times` times.
    std::optional<FaultRule> take(const std::string& method, const std::string& path);
    Json to_json() const;
    void clear();
    bool remove(const std::string& id);

private:
    mutable std::mutex m_mutex;
    std::vector<FaultRule> m_rules;
    std::uint64_t m_next_id = 1;
};

struct LogEntry {
    std::uint64_t seq = 0;
    std::string method;
    std::string path;
    std::string query;
    int status = 0;  ///< 0 = dropped without a response
    Ticks time = 0;
    double duration_ms = 0;
    std::string auth = "none";
    std::string fault;  ///< the rule id that fired, or ""
};

class RequestLog {
public:
    /// A sequence number in arrival order.
    std::uint64_t next_seq();
    void add(LogEntry entry);
    /// Oldest first.
    Json to_json() const;
    void clear();

private:
    mutable std::mutex m_mutex;
    std::vector<LogEntry> m_entries;
    std::uint64_t m_next_seq = 1;
};

}  // namespace emulator
