// State backends (state_store.hpp): the file backend here, the PostgreSQL one in pg_store.cpp.

#include "provision/apply/state_store.hpp"

#include "apply/http_store.hpp"
#include "apply/pg_store.hpp"
#include "provision/apply/journal.hpp"
#include "provision/core/atomic_file.hpp"

#include <nlohmann/json.hpp>

namespace provision::apply {

namespace {

/// `<state>.sealed.json`: {"version":1,"secrets":{"<entry>":{"fingerprint":..,"age":..}}}.
/// Only ciphertext and fingerprints: never a secret.
std::filesystem::path sealed_path_for(const std::filesystem::path& state_path) {
    return {state_path.string() + ".sealed.json"};
}

class FileStore final : public StateStore {
public:
    explicit FileStore(std::filesystem::path path)
        : m_path(std::move(path)), m_journal(journal_path_for(m_path)) {}

    std::string location() const override { return m_path.string(); }
    bool is_file() const override { return true; }
    core::Result<state::State> load() override { return state::load_state(m_path); }
    core::Status save(const state::State& state) override {
        return state::save_state(m_path, state);
    }
    core::Result<std::optional<std::string>> load_text() override {
        return core::read_file_if_exists(m_path);
    }
    core::Status lock(std::chrono::milliseconds /*timeout*/) override {
        return core::ok_status();  // the flock of lock.hpp, taken by prepare
    }
    core::Result<std::optional<std::string>> read_journal() override {
        return m_journal.read_journal();
    }
    core::Status append_journal(const std::string& record) override {
        return m_journal.append_journal(record);
    }
    core::Status stage_journal(const std::string& record) override {
        return m_journal.stage_journal(record);
    }
    core::Status sync_journal() override { return m_journal.sync_journal(); }
    core::Status clear_journal() override { return m_journal.clear_journal(); }

    core::Result<std::map<std::string, SealedSecret>> read_sealed() override {
        const auto path = sealed_path_for(m_path);
        auto text = core::read_file_if_exists(path);
        if (!text.ok()) {
            return text.error();
        }
        std::map<std::string, SealedSecret> sealed;
        if (!text.value()) {
            return sealed;
        }
        const auto json = nlohmann::json::parse(*text.value(), nullptr, false);
        const auto secrets = json.is_object() ? json.find("secrets") : json.end();
        if (json.is_discarded() || !json.is_object() || secrets == json.end() ||
            !secrets->is_object()) {
            return core::make_error(core::Errc::invalid_input,
                                    "sealed secrets file " + path.string() +
                                        " is corrupt: expected {\"version\": 1, \"secrets\": "
                                        "{...}}; restore it or delete it (the next apply seals "
                                        "the secrets the outputs hold again)");
        }
        for (const auto& [entry, record] : secrets->items()) {
            if (record.is_object() && record.value("fingerprint", nlohmann::json()).is_string() &&
                record.value("age", nlohmann::json()).is_string()) {
                sealed[entry] = SealedSecret{record["fingerprint"].get<std::string>(),
                                             record["age"].get<std::string>()};
            }
        }
        return sealed;
    }

    core::Status write_sealed(const std::string& entry, const SealedSecret& sealed) override {
        auto all = read_sealed();
        if (!all.ok()) {
            return all.error();
        }
        all.value()[entry] = sealed;
        return write_all_sealed(all.value());
    }

    core::Status erase_sealed(const std::string& entry) override {
        auto all = read_sealed();
        if (!all.ok()) {
            return all.error();
        }
        if (all.value().erase(entry) == 0) {
            return core::ok_status();
        }
        return write_all_sealed(all.value());
    }

private:
    core::Status write_all_sealed(const std::map<std::string, SealedSecret>& all) {
        nlohmann::json secrets = nlohmann::json::object();
        for (const auto& [entry, sealed] : all) {
            secrets[entry] = {{"fingerprint", sealed.fingerprint}, {"age", sealed.armored}};
        }
        const nlohmann::json file = {{"version", 1}, {"secrets", secrets}};
        return core::write_file_atomic(sealed_path_for(m_path), file.dump(2) + "\n");
    }

    std::filesystem::path m_path;
    FileJournalLog m_journal;
};

}  // namespace

core::Result<state::State> StateStore::load() {
    auto text = load_text();
    if (!text.ok()) {
        return text.error();
    }
    if (!text.value()) {
        return state::State{};
    }
    return state::parse_state(*text.value(), location());
}

std::string redact_location(std::string_view location) {
    std::string text(location);
    const auto scheme = text.find("://");
    if (scheme != std::string::npos) {
        const auto authority = scheme + 3;
        const auto end = text.find_first_of("/?#", authority);
        const auto at = text.rfind('@', end == std::string::npos ? text.size() : end);
        if (at != std::string::npos && at > authority) {
            const auto colon = text.find(':', authority);
            if (colon != std::string::npos && colon < at) {
                text.replace(colon + 1, at - colon - 1, "***");
            }
        }
    }
    // password=... in the query string
    for (std::size_t pos = text.find("password="); pos != std::string::npos;
         pos = text.find("password=", pos + 1)) {
        const auto value = pos + 9;
        const auto end = text.find_first_of("&#", value);
        text.replace(value, (end == std::string::npos ? text.size() : end) - value, "***");
    }
    return text;
}

std::string state_name(const manifest::Manifest& manifest) {
    if (const auto hash = manifest.state_url.find('#'); hash != std::string::npos) {
        return manifest.state_url.substr(hash + 1);
    }
    return manifest.file.stem().string();
}

core::Result<std::shared_ptr<StateStore>> open_state_store(const std::string& location,
                                                           const std::string& name) {
    if (location.starts_with("http://") || location.starts_with("https://")) {
        return open_http_store(location);
    }
    if (manifest::is_state_url(location)) {
        return open_pg_store(location, name);
    }
    return std::shared_ptr<StateStore>(std::make_shared<FileStore>(location));
}

core::Result<std::shared_ptr<StateStore>> open_state_store(const manifest::Manifest& manifest) {
    if (manifest.state_url.empty()) {
        return open_state_store(manifest.state_path.string(), "");
    }
    return open_state_store(manifest.state_url, state_name(manifest));
}

}  // namespace provision::apply
