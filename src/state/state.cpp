/// The state file, read and written as JSON.
///
/// Approach: serialisation builds an insertion-ordered JSON document (fields in the order the
/// format documents them, records sorted by entry) so the same State always yields the same
/// bytes and a diff of a committed state file shows only what changed. Parsing is strict: every
/// field must be present with the right type, unknown fields are rejected, and each error names
/// the file and the field path, because a state file that is silently misread would make
/// `provision` lose track of keys it owns. The state must never hold a secret: serialisation
/// throws (a bug) and parsing fails if any string looks like an API key secret.

#include "provision/state/state.hpp"
#include "provision/core/diagnostic.hpp"

#include "state/json_reader.hpp"

#include "provision/core/atomic_file.hpp"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>
#include <unordered_set>
#include <utility>

namespace provision::state {

namespace {

using detail::corrupt_at;
using detail::holds_secret;
using detail::Json;
using detail::ObjectReader;

constexpr int k_state_version = 1;

void require_no_secret(std::string_view value, const std::string& field) {
    if (holds_secret(value)) {
        throw std::logic_error("refusing to serialise the state: field " + field +
                               " holds what looks like an API key secret");
    }
}

Json scopes_to_json(const core::Scopes& scopes) {
    if (scopes.unrestricted) {
        return "*";
    }
    // Not `return {scopes.items};`: a braced list would make a JSON array holding the array.
    return Json(scopes.items);  // NOLINT(modernize-return-braced-init-list)
}

template <class T> Json optional_to_json(const std::optional<T>& value) {
    return value ? Json(*value) : Json(nullptr);
}

Json timestamp_to_json(const std::optional<core::Timestamp>& value) {
    return value ? Json(core::format_iso8601(*value)) : Json(nullptr);
}

void check_key_secrets(const ManagedKey& key, const std::string& at) {
    require_no_secret(key.entry, at + ".entry");
    require_no_secret(key.id, at + ".id");
    require_no_secret(key.name, at + ".name");
    require_no_secret(key.postfix, at + ".postfix");
    require_no_secret(key.fingerprint, at + ".fingerprint");
    for (const auto& item : key.permissions.items) {
        require_no_secret(item, at + ".permissions");
    }
}

/// Where in the file parse errors point, and the file's name for them.
struct Source {
    const std::string& file;
    const core::JsonPositions& positions;

    core::Error corrupt(const std::vector<std::string>& json_path, const std::string& what) const {
        return corrupt_at(file, positions.at(json_path), what);
    }
};

core::Result<ManagedKey> parse_key(const Json& json, std::size_t index, const Source& source) {
    const std::string at = "keys[" + std::to_string(index) + "]";
    const std::vector<std::string> json_path{"keys", std::to_string(index)};
    if (!json.is_object()) {
        return source.corrupt(json_path, at + " must be an object");
    }
    ObjectReader r(json, at, json_path, source.file, source.positions);
    ManagedKey key;
    key.entry = r.string("entry");
    key.id = r.string("id");
    key.name = r.string("name");
    key.postfix = r.string("postfix");
    key.permissions = r.scopes("permissions");
    key.expires_in_days = r.optional_int("expiresInDays");
    key.expires_at = r.timestamp("expiresAt", true);
    key.created_at = r.timestamp("createdAt", false).value_or(core::Timestamp{});
    key.fingerprint = r.string("fingerprint");
    if (auto error = r.finish()) {
        return *error;
    }
    return key;
}

core::Result<RetiringKey> parse_retiring(const Json& json, std::size_t index,
                                         const Source& source) {
    const std::string at = "retiring[" + std::to_string(index) + "]";
    const std::vector<std::string> json_path{"retiring", std::to_string(index)};
    if (!json.is_object()) {
        return source.corrupt(json_path, at + " must be an object");
    }
    ObjectReader r(json, at, json_path, source.file, source.positions);
    RetiringKey key;
    key.entry = r.string("entry");
    key.id = r.string("id");
    key.postfix = r.string("postfix");
    key.expires_at = r.timestamp("expiresAt", true);
    key.retire_after = r.timestamp("retireAfter", false).value_or(core::Timestamp{});
    key.reason = r.string("reason");
    if (auto error = r.finish()) {
        return *error;
    }
    return key;
}

core::Result<PortalRecord> parse_portal(const Json& json, const Source& source) {
    if (!json.is_object()) {
        return source.corrupt({"tenant"}, "tenant must be an object");
    }
    ObjectReader r(json, "tenant", {"tenant"}, source.file, source.positions);
    PortalRecord portal;
    portal.tenant_id = r.optional_integer("id");
    portal.alias = r.string("alias");
    portal.owner_id = r.string("owner");
    portal.created = r.timestamp("created", true);
    if (auto error = r.finish()) {
        return *error;
    }
    return portal;
}

/// The order of retiring records in the file. Times compare at the precision the file keeps
/// (whole seconds), so a state lists its records in the same order before and after it is
/// saved and loaded again.
bool retiring_less(const RetiringKey& a, const RetiringKey& b) {
    const auto a_time = std::chrono::floor<std::chrono::seconds>(a.retire_after);
    const auto b_time = std::chrono::floor<std::chrono::seconds>(b.retire_after);
    return std::tie(a.entry, a_time, a.id) < std::tie(b.entry, b_time, b.id);
}

}  // namespace

const ManagedKey* State::find(std::string_view entry) const {
    const auto at = std::lower_bound(
        keys.begin(), keys.end(), entry,
        [](const ManagedKey& k, std::string_view wanted) { return k.entry < wanted; });
    return at != keys.end() && at->entry == entry ? &*at : nullptr;
}

StateIndex::StateIndex(const State& state) {
    m_by_entry.reserve(state.keys.size());
    m_ids.reserve(state.keys.size() + state.retiring.size());
    for (const auto& key : state.keys) {
        m_by_entry.emplace(key.entry, &key);
        m_ids.insert(key.id);
        if (!key.fingerprint.empty()) {
            m_by_fingerprint.emplace(key.fingerprint, &key);
        }
    }
    for (const auto& key : state.retiring) {
        m_ids.insert(key.id);
    }
}

const ManagedKey* StateIndex::find(std::string_view entry) const {
    const auto it = m_by_entry.find(entry);
    return it == m_by_entry.end() ? nullptr : it->second;
}

const ManagedKey* StateIndex::find_by_fingerprint(std::string_view fingerprint) const {
    const auto it =
        fingerprint.empty() ? m_by_fingerprint.end() : m_by_fingerprint.find(fingerprint);
    return it == m_by_fingerprint.end() ? nullptr : it->second;
}

bool State::tracks(std::string_view id) const {
    return std::any_of(keys.begin(), keys.end(), [&](const ManagedKey& k) { return k.id == id; }) ||
           std::any_of(retiring.begin(), retiring.end(),
                       [&](const RetiringKey& k) { return k.id == id; });
}

ManagedKey* State::find(std::string_view entry) {
    return const_cast<ManagedKey*>(std::as_const(*this).find(entry));
}

void State::upsert(ManagedKey key) {
    const auto at = std::lower_bound(
        keys.begin(), keys.end(), key.entry,
        [](const ManagedKey& k, const std::string& entry) { return k.entry < entry; });
    if (at != keys.end() && at->entry == key.entry) {
        *at = std::move(key);
        return;
    }
    keys.insert(at, std::move(key));
}

void State::erase(std::string_view entry) {
    std::erase_if(keys, [&](const ManagedKey& k) { return k.entry == entry; });
}

core::Result<State> parse_state(std::string_view text, const std::string& file_name) {
    Json doc;
    try {
        doc = Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
        return corrupt_at(file_name, core::line_column(text, e.byte > 0 ? e.byte - 1 : 0),
                          "expected valid JSON");
    } catch (const Json::out_of_range&) {
        // nlohmann reports a number beyond a double ("1e999") this way, without a position.
        return corrupt_at(file_name, "1:1",
                          "expected valid JSON, found a number too large to read");
    }
    // Errors point at the value at fault and never quote the file (see json_reader.hpp).
    const core::JsonPositions positions(text);
    const Source source{file_name, positions};
    if (!doc.is_object()) {
        return source.corrupt({}, "expected a JSON object");
    }
    const auto version = doc.find("version");
    if (version == doc.end()) {
        return source.corrupt({}, "missing field \"version\"");
    }
    if (!version->is_number_integer()) {
        return source.corrupt({"version"}, "\"version\" must be a whole number");
    }
    if (version->get<long long>() != k_state_version) {
        // The one number quoted from the file: a format version, which decides the advice.
        return core::make_error(
            core::Errc::invalid_input,
            "state file " + file_name + ":" + positions.at({"version"}) + " has format version " +
                std::to_string(version->get<long long>()) +
                ", but this provision reads state format version 1 only: " +
                (version->get<long long>() > k_state_version
                     ? "it was written by a newer provision; upgrade provision to the release "
                       "that wrote it (any release supporting state format version " +
                           std::to_string(version->get<long long>()) + ")"
                     : "the file is not a provision state file"));
    }

    State state;
    ObjectReader r(doc, "", {}, file_name, positions);
    r.field("version");
    state.portal_url = r.string("portal");
    const Json* tenant = r.optional_field("tenant");
    state.owner_id = r.string("owner");
    const Json* keys = r.field("keys");
    const Json* retiring = r.field("retiring");
    if (auto error = r.finish()) {
        return *error;
    }
    if (tenant != nullptr) {
        auto portal = parse_portal(*tenant, source);
        if (!portal) {
            return portal.error();
        }
        state.portal = std::move(*portal);
    }
    if (!keys->is_array()) {
        return source.corrupt({"keys"}, "\"keys\" must be a list");
    }
    if (!retiring->is_array()) {
        return source.corrupt({"retiring"}, "\"retiring\" must be a list");
    }
    std::unordered_set<std::string> entries;
    entries.reserve(keys->size());
    for (std::size_t i = 0; i < keys->size(); ++i) {
        auto key = parse_key((*keys)[i], i, source);
        if (!key) {
            return key.error();
        }
        if (!entries.insert(key->entry).second) {
            return source.corrupt({"keys", std::to_string(i), "entry"},
                                  "keys[" + std::to_string(i) +
                                      "].entry: the same entry as an earlier record; expected "
                                      "one record per entry");
        }
        state.keys.push_back(std::move(*key));
    }
    for (std::size_t i = 0; i < retiring->size(); ++i) {
        auto key = parse_retiring((*retiring)[i], i, source);
        if (!key) {
            return key.error();
        }
        state.retiring.push_back(std::move(*key));
    }
    std::sort(state.keys.begin(), state.keys.end(),
              [](const ManagedKey& a, const ManagedKey& b) { return a.entry < b.entry; });
    std::stable_sort(state.retiring.begin(), state.retiring.end(), retiring_less);
    return state;
}

namespace {

/// The text of one key record as an element of the "keys" array (indented 4, no trailing comma).
std::string key_record_text(const ManagedKey& key, std::size_t index) {
    check_key_secrets(key, "keys[" + std::to_string(index) + "]");
    Json item;
    item["entry"] = key.entry;
    item["id"] = key.id;
    item["name"] = key.name;
    item["postfix"] = key.postfix;
    item["permissions"] = scopes_to_json(key.permissions);
    item["expiresInDays"] = optional_to_json(key.expires_in_days);
    item["expiresAt"] = timestamp_to_json(key.expires_at);
    item["createdAt"] = core::format_iso8601(key.created_at);
    item["fingerprint"] = key.fingerprint;
    // Dumped alone at depth 0, then indented as the document's dump would at depth 2 (its
    // indentation is the depth times the step, so the bytes are the same).
    const std::string text = item.dump(2, ' ', false, Json::error_handler_t::replace);
    std::string indented = "    ";
    indented.reserve(text.size() + text.size() / 8);
    for (const char c : text) {
        indented += c;
        if (c == '\n') {
            indented += "    ";
        }
    }
    return indented;
}

}  // namespace

std::string StateSerializer::serialize(const State& state) {
    require_no_secret(state.portal_url, "portal");
    require_no_secret(state.owner_id, "owner");

    std::vector<const ManagedKey*> keys;
    for (const auto& key : state.keys) {
        keys.push_back(&key);
    }
    std::stable_sort(keys.begin(), keys.end(),
                     [](const ManagedKey* a, const ManagedKey* b) { return a->entry < b->entry; });
    std::vector<const RetiringKey*> retiring;
    for (const auto& key : state.retiring) {
        retiring.push_back(&key);
    }
    std::stable_sort(
        retiring.begin(), retiring.end(),
        [](const RetiringKey* a, const RetiringKey* b) { return retiring_less(*a, *b); });

    Json doc;
    doc["version"] = k_state_version;
    doc["portal"] = state.portal_url;
    if (state.portal) {
        require_no_secret(state.portal->alias, "tenant.alias");
        require_no_secret(state.portal->owner_id, "tenant.owner");
        doc["tenant"] = {{"id", optional_to_json(state.portal->tenant_id)},
                         {"alias", state.portal->alias},
                         {"owner", state.portal->owner_id},
                         {"created", timestamp_to_json(state.portal->created)}};
    }
    doc["owner"] = state.owner_id;
    doc["keys"] = Json::array();  // a placeholder: the records' texts are put in below
    doc["retiring"] = Json::array();
    for (std::size_t i = 0; i < retiring.size(); ++i) {
        const RetiringKey& key = *retiring[i];
        const std::string at = "retiring[" + std::to_string(i) + "]";
        require_no_secret(key.entry, at + ".entry");
        require_no_secret(key.id, at + ".id");
        require_no_secret(key.postfix, at + ".postfix");
        require_no_secret(key.reason, at + ".reason");
        Json item;
        item["entry"] = key.entry;
        item["id"] = key.id;
        item["postfix"] = key.postfix;
        item["expiresAt"] = timestamp_to_json(key.expires_at);
        item["retireAfter"] = core::format_iso8601(key.retire_after);
        item["reason"] = key.reason;
        doc["retiring"].push_back(std::move(item));
    }
    // Invalid UTF-8 is replaced rather than thrown on: ids and names come from the portal.
    std::string text = doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
    if (keys.empty()) {
        return text;
    }

    std::string records;
    {
        const std::lock_guard<std::mutex> guard(m_mutex);
        std::unordered_map<std::string, Cached> seen;
        seen.reserve(keys.size());
        for (std::size_t i = 0; i < keys.size(); ++i) {
            const ManagedKey& key = *keys[i];
            auto cached = m_records.find(key.entry);
            if (cached == m_records.end() || !(cached->second.key == key)) {
                cached = m_records.insert_or_assign(key.entry, Cached{key, key_record_text(key, i)})
                             .first;
            }
            records += i == 0 ? "\n" : ",\n";
            records += cached->second.text;
            seen.insert(m_records.extract(cached));
        }
        m_records.swap(seen);  // records no longer in the state are forgotten
    }
    // The only `"keys": []` at depth 1: string values are escaped, so none holds a raw newline.
    constexpr std::string_view placeholder = "\n  \"keys\": []";
    const std::size_t at = text.find(placeholder);
    text.replace(at + placeholder.size() - 1, 1, records + "\n  ]");
    return text;
}

std::string serialize_state(const State& state) {
    StateSerializer serializer;
    return serializer.serialize(state);
}

namespace {

/// What a prefetch read, and its parse: parse_state is a function of the bytes and the name.
struct Prefetched {
    std::string text;
    core::Result<State> state;
};

std::mutex g_prefetch_mutex;
/// By path; a prefetch that found no file, or could not read it, is not kept.
std::map<std::string, std::future<std::optional<Prefetched>>> g_prefetched;

/// The prefetched parse of `path` when it read exactly `text`.
std::optional<core::Result<State>> take_prefetched(const std::filesystem::path& path,
                                                   std::string_view text) {
    std::future<std::optional<Prefetched>> pending;
    {
        const std::lock_guard lock(g_prefetch_mutex);
        const auto it = g_prefetched.find(path.string());
        if (it == g_prefetched.end()) {
            return std::nullopt;
        }
        pending = std::move(it->second);
        g_prefetched.erase(it);
    }
    auto prefetched = pending.get();
    if (!prefetched || prefetched->text != text) {
        return std::nullopt;
    }
    return std::move(prefetched->state);
}

}  // namespace

void prefetch_state(const std::filesystem::path& path) {
    const std::lock_guard lock(g_prefetch_mutex);
    auto& slot = g_prefetched[path.string()];
    if (slot.valid()) {
        return;
    }
    slot = std::async(std::launch::async, [path]() -> std::optional<Prefetched> {
        auto text = core::read_file_if_exists(path);
        if (!text || !text->has_value()) {
            return std::nullopt;
        }
        auto state = parse_state(**text, path.string());
        // The parse's JSON tree was freed into this thread's own malloc arena, where the rest
        // of the run would never reuse it: hand those pages back (a 10,000-key state: ~25 MB).
        ::malloc_trim(0);
        return Prefetched{std::move(**text), std::move(state)};
    });
}

core::Result<State> load_state(const std::filesystem::path& path) {
    auto text = core::read_file_if_exists(path);
    if (!text) {
        return text.error();
    }
    if (!text->has_value()) {
        take_prefetched(path, {});  // it read a file that is gone: dropped
        return State{};
    }
    if (auto prefetched = take_prefetched(path, **text)) {
        return std::move(*prefetched);
    }
    return parse_state(**text, path.string());
}

core::Status save_state(const std::filesystem::path& path, const State& state) {
    StateSerializer serializer;
    return save_state(path, state, serializer);
}

core::Status save_state(const std::filesystem::path& path, const State& state,
                        StateSerializer& serializer) {
    const std::string text = serializer.serialize(state);
    core::WriteOptions options;
    options.mode = 0600;
    return core::write_file_atomic(path, text, options);
}

}  // namespace provision::state
