#include "faults.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace emulator {
namespace {

const std::map<std::string, FaultAction>& action_names() {
    static const std::map<std::string, FaultAction> k_names{
        {"status", FaultAction::status},
        {"latency", FaultAction::latency},
        {"drop", FaultAction::drop},
        {"commit_drop", FaultAction::commit_drop},
        {"commit_500", FaultAction::commit_500},
        {"malformed", FaultAction::malformed},
        {"oversized", FaultAction::oversized},
        {"rate_limit", FaultAction::rate_limit},
        {"redirect", FaultAction::redirect},
        {"silent", FaultAction::silent},
        {"commit_silent", FaultAction::commit_silent}};
    return k_names;
}

std::string action_name(FaultAction action) {
    for (const auto& [name, value] : action_names()) {
        if (value == action) {
            return name;
        }
    }
    return "status";
}

template <typename T> T field(const Json& json, const char* name, T fallback) {
    if (!json.contains(name) || json.at(name).is_null()) {
        return fallback;
    }
    try {
        return json.at(name).get<T>();
    } catch (const nlohmann::json::exception&) {
        throw std::invalid_argument(std::string("fault rule field '") + name +
                                    "' has the wrong type");
    }
}

}  // namespace

bool FaultRule::matches(const std::string& request_method, const std::string& request_path) const {
    if (method != "*" && method != request_method) {
        return false;
    }
    if (!path.empty() && path.back() == '*') {
        return request_path.rfind(path.substr(0, path.size() - 1), 0) == 0;
    }
    return path == request_path;
}

Json FaultRule::to_json() const {
    Json json{{"id", id},     {"method", method}, {"path", path},   {"action", action_name(action)},
              {"skip", skip}, {"times", times},   {"fired", fired}, {"latencyMs", latency_ms}};
    json["remaining"] = times == 0 ? Json(nullptr) : Json(times - fired);
    if (status != 0) {
        json["status"] = status;
    }
    if (!body.empty()) {
        json["body"] = body;
    }
    if (retry_after) {
        json["retryAfter"] = *retry_after;
    }
    if (!location.empty()) {
        json["location"] = location;
    }
    if (action == FaultAction::oversized) {
        json["bodyBytes"] = body_bytes;
    }
    return json;
}

FaultRule parse_fault_rule(const Json& json) {
    if (!json.is_object()) {
        throw std::invalid_argument("a fault rule must be a JSON object");
    }
    FaultRule rule;
    rule.method = field<std::string>(json, "method", "*");
    rule.path = field<std::string>(json, "path", "*");
    const std::string action = field<std::string>(json, "action", "");
    const auto found = action_names().find(action);
    if (found == action_names().end()) {
        throw std::invalid_argument("unknown fault action '" + action + "'");
    }
    rule.action = found->second;
    rule.skip = field<int>(json, "skip", 0);
    rule.times = field<int>(json, "times", 1);
    rule.latency_ms = field<int>(json, "latencyMs", 0);
    rule.status = field<int>(json, "status", 0);
    rule.body = field<std::string>(json, "body", "");
    rule.content_type = field<std::string>(json, "contentType", "");
    if (json.contains("retryAfter") && !json.at("retryAfter").is_null()) {
        rule.retry_after = field<int>(json, "retryAfter", 1);
    }
    if (json.contains("limit") && !json.at("limit").is_null()) {
        rule.limit = field<int>(json, "limit", 5);
    }
    rule.location = field<std::string>(json, "location", "");
    rule.body_bytes = field<std::size_t>(json, "bodyBytes", rule.body_bytes);
    if (rule.skip < 0 || rule.times < 0 || rule.latency_ms < 0) {
        throw std::invalid_argument("skip, times and latencyMs must not be negative");
    }
    if (rule.action == FaultAction::status && (rule.status < 100 || rule.status > 599)) {
        throw std::invalid_argument("action 'status' needs a status between 100 and 599");
    }
    if (rule.action == FaultAction::redirect && rule.location.empty()) {
        throw std::invalid_argument("action 'redirect' needs a location");
    }
    return rule;
}

std::string FaultSet::add(FaultRule rule) {
    const std::lock_guard lock(m_mutex);
    rule.id = "f" + std::to_string(m_next_id++);
    rule.fired = 0;
    m_rules.push_back(rule);
    return rule.id;
}

std::optional<FaultRule> FaultSet::take(const std::string& method, const std::string& path) {
    const std::lock_guard lock(m_mutex);
    for (auto it = m_rules.begin(); it != m_rules.end(); ++it) {
        if (!it->matches(method, path)) {
            continue;
        }
        if (it->skip > 0) {
            --it->skip;
            continue;
        }
        ++it->fired;
        FaultRule fired = *it;
        if (it->times != 0 && it->fired >= it->times) {
            m_rules.erase(it);
        }
        return fired;
    }
    return std::nullopt;
}

Json FaultSet::to_json() const {
    const std::lock_guard lock(m_mutex);
    Json list = Json::array();
    for (const FaultRule& rule : m_rules) {
        list.push_back(rule.to_json());
    }
    return list;
}

void FaultSet::clear() {
    const std::lock_guard lock(m_mutex);
    m_rules.clear();
}

bool FaultSet::remove(const std::string& id) {
    const std::lock_guard lock(m_mutex);
    const auto before = m_rules.size();
    std::erase_if(m_rules, [&](const FaultRule& r) { return r.id == id; });
    return m_rules.size() != before;
}

std::uint64_t RequestLog::next_seq() {
    const std::lock_guard lock(m_mutex);
    return m_next_seq++;
}

void RequestLog::add(LogEntry entry) {
    const std::lock_guard lock(m_mutex);
    m_entries.push_back(std::move(entry));
}

Json RequestLog::to_json() const {
    std::vector<LogEntry> entries;
    {
        const std::lock_guard lock(m_mutex);
        entries = m_entries;
    }
    std::sort(entries.begin(), entries.end(),
              [](const LogEntry& a, const LogEntry& b) { return a.seq < b.seq; });
    Json list = Json::array();
    for (const LogEntry& e : entries) {
        Json json{{"seq", e.seq},
                  {"method", e.method},
                  {"path", e.path},
                  {"query", e.query},
                  {"status", e.status},
                  {"time", format_utc(e.time)},
                  {"durationMs", e.duration_ms},
                  {"auth", e.auth}};
        if (!e.fault.empty()) {
            json["fault"] = e.fault;
        }
        list.push_back(json);
    }
    return list;
}

void RequestLog::clear() {
    const std::lock_guard lock(m_mutex);
    m_entries.clear();
}

}  // namespace emulator
