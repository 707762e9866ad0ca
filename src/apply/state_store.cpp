// State backends (state_store.hpp): the file backend here, the PostgreSQL one in pg_store.cpp,
// the HTTP one in http_store.cpp; and what they share: the lock a `provision state unlock`
// names, and the words of that command.

#include "provision/apply/state_store.hpp"

#include "apply/http_store.hpp"
#include "apply/pg_store.hpp"
#include "apply/url_credentials.hpp"
#include "provision/apply/journal.hpp"
#include "provision/apply/lock.hpp"
#include "provision/core/atomic_file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string_view>
#include <vector>

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
        return state::save_state(m_path, state, m_serializer);
    }
    core::Result<std::optional<std::string>> load_text() override {
        return core::read_file_if_exists(m_path);
    }
    core::Status lock(std::chrono::milliseconds /*timeout*/) override {
        return core::ok_status();  // the flock of lock.hpp, taken by prepare
    }
    core::Result<std::optional<core::Timestamp>> last_write() override {
        std::error_code ec;
        const auto written = std::filesystem::last_write_time(m_path, ec);
        if (ec) {
            return std::optional<core::Timestamp>{};  // no state file (yet)
        }
        return std::optional<core::Timestamp>{
            std::chrono::time_point_cast<core::Timestamp::duration>(
                std::chrono::file_clock::to_sys(written))};
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

    core::Result<std::optional<HeldLock>> held_lock() override {
        const auto lock_file = lock_path_for(m_path);
        const auto holder = lock_holder(lock_file);
        return core::make_error(
            core::Errc::invalid_input,
            "the state file " + location() + " is locked with a flock on " + lock_file.string() +
                ", which the kernel releases when the process holding it ends, however it "
                "ends: it never outlives a dead run, so there is nothing to unlock; " +
                (holder ? "it is held now by a live process (" + *holder +
                              "): wait for it to finish, or stop that process"
                        : "no process holds it now"));
    }

    core::Status force_unlock(const HeldLock& /*held*/) override { return held_lock().error(); }

    core::Status remove() override {
        auto journal = m_journal.read_journal();
        if (!journal.ok()) {
            return journal.error();
        }
        std::vector<std::filesystem::path> files{m_path, sealed_path_for(m_path)};
        if (!journal.value() || journal.value()->empty()) {
            files.push_back(m_journal.path());
        }
        for (const auto& file : files) {
            std::error_code ec;
            std::filesystem::remove(file, ec);
            if (ec) {
                return core::make_error(core::Errc::io,
                                        "could not remove " + file.string() + ": " + ec.message());
            }
        }
        return core::ok_status();
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
    state::StateSerializer m_serializer;
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

namespace {

/// `word` as one word of a POSIX shell command line.
std::string shell_word(const std::string& word) {
    const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               std::string_view("_./:@%+=,-").find(c) != std::string_view::npos;
    });
    if (plain) {
        return word;
    }
    std::string quoted = "'";
    for (const char c : word) {
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return quoted + "'";
}

}  // namespace

std::string unlock_words(const manifest::Manifest& manifest) {
    std::string words = shell_word(manifest.file.string());
    const char* env = std::getenv("PROVISION_STATE");
    if (!manifest.state_url.empty() && (env == nullptr || manifest.state_url != env) &&
        redact_location(manifest.state_url) == manifest.state_url) {
        words += " --state " + shell_word(manifest.state_url);
    }
    return words;
}

std::string StateStore::unlock_command(const std::string& id) const {
    return "`provision state unlock " + m_command_words + " " + shell_word(id) + "`";
}

std::string describe_lock(const HeldLock& held) {
    std::string text =
        held.id.empty() ? "a lock whose ID the backend does not give" : "lock ID " + held.id;
    if (!held.who.empty()) {
        text += ", held by " + held.who;
    }
    if (!held.created.empty()) {
        text += ", taken " + held.created;
    }
    if (!held.operation.empty()) {
        text += ", for " + held.operation;
    }
    return text;
}

core::Result<std::optional<HeldLock>> find_lock(StateStore& store, const std::string& id) {
    auto held = store.held_lock();
    if (!held.ok() || !held.value()) {
        return held;
    }
    if (held.value()->id.empty()) {
        // The backend cannot say which lock is held: its server checks the ID on release.
        held.value()->id = id;
        return held;
    }
    if (held.value()->id != id) {
        return core::make_error(core::Errc::invalid_input,
                                "the lock of " + store.location() + " is " +
                                    describe_lock(*held.value()) + ", not " + id +
                                    "; nothing was unlocked. Give the ID the refused run printed, "
                                    "and only for a run that is dead");
    }
    return held;
}

std::string state_name(const manifest::Manifest& manifest) {
    if (auto fragment = split_fragment(manifest.state_url).second; !fragment.empty()) {
        return fragment;
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
    auto store = manifest.state_url.empty()
                     ? open_state_store(manifest.state_path.string(), "")
                     : open_state_store(manifest.state_url, state_name(manifest));
    if (store.ok()) {
        store.value()->set_command_words(unlock_words(manifest));
    }
    return store;
}

}  // namespace provision::apply
