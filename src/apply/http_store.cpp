// The Terraform HTTP backend protocol (http_store.hpp). The state, its journal and its sealed
// secrets are one JSON document at the address: fetched with GET, replaced with POST (the
// lock's ID as the `ID` query parameter while locked). The lock is a LOCK request to the lock
// address with a lock-info JSON body, released by UNLOCK with the same body; 423 or 409 mean
// another holder, whose lock info the answer carries.

#include "apply/http_store.hpp"

#include "output/formats.hpp"
#include "provision/api/http_transport.hpp"
#include "provision/apply/lock.hpp"
#include "provision/core/time.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <string_view>
#include <thread>

namespace provision::apply {

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

/// A random lock ID in the form of a UUID, as Terraform's.
std::string random_id() {
    std::array<unsigned char, 16> bytes{};
    std::ifstream random("/dev/urandom", std::ios::binary);
    random.read(reinterpret_cast<char*>(bytes.data()), bytes.size());
    static constexpr std::string_view hex = "0123456789abcdef";
    std::string id;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            id += '-';
        }
        id += hex[bytes[i] >> 4U];
        id += hex[bytes[i] & 15U];
    }
    return id;
}

/// Everything the backend keeps for one state, as one document.
struct Document {
    std::optional<std::string> state;  ///< the state's text
    std::vector<std::string> journal;
    std::map<std::string, SealedSecret> sealed;
    long long serial = 0;
};

class HttpStore final : public StateStore {
public:
    explicit HttpStore(std::string address)
        : m_address(std::move(address)), m_lock_address(env_or("PROVISION_HTTP_LOCK_ADDRESS", "")),
          m_unlock_address(env_or("PROVISION_HTTP_UNLOCK_ADDRESS", m_lock_address)),
          m_lock_method(env_or("PROVISION_HTTP_LOCK_METHOD", "LOCK")),
          m_unlock_method(env_or("PROVISION_HTTP_UNLOCK_METHOD", "UNLOCK")),
          m_update_method(env_or("PROVISION_HTTP_UPDATE_METHOD", "POST")),
          m_transport(api::make_curl_transport(api::TransportOptions{})) {
        const std::string user = env_or("PROVISION_HTTP_USERNAME", "");
        const std::string password = env_or("PROVISION_HTTP_PASSWORD", "");
        if (!user.empty() || !password.empty()) {
            m_authorization =
                core::Secret{"Basic " + output::detail::base64_encode(user + ":" + password)};
        }
    }

    ~HttpStore() override {
        if (!m_lock_info.empty()) {
            const auto answer = send(m_unlock_method, m_unlock_address, m_lock_info);
            if (answer.transport_error || answer.status / 100 != 2) {
                spdlog::warn("could not release the lock of {} (HTTP {}); its holder record "
                             "names this run until it is removed",
                             location(), answer.status);
            }
        }
    }
    HttpStore(const HttpStore&) = delete;
    HttpStore& operator=(const HttpStore&) = delete;

    std::string location() const override { return redact_location(m_address); }
    bool is_file() const override { return false; }

    core::Result<std::optional<std::string>> load_text() override {
        auto document = fetch();
        if (!document.ok()) {
            return document.error();
        }
        return document->state;
    }

    core::Status save(const state::State& state) override {
        return update([&](Document& document) { document.state = state::serialize_state(state); });
    }

    core::Status lock(std::chrono::milliseconds timeout) override {
        if (m_lock_address.empty()) {
            spdlog::warn("the state backend {} has no lock (PROVISION_HTTP_LOCK_ADDRESS is not "
                         "set): runs on other machines are not kept out",
                         location());
            return core::ok_status();
        }
        m_lock_id = random_id();
        const std::string info = nlohmann::json{
            {"ID", m_lock_id},
            {"Operation", "OperationTypeApply"},
            {"Info", "provision"},
            {"Who", lock_holder_text()},
            {"Version", "provision"},
            {"Created", core::format_iso8601(core::now_utc())},
            {"Path", ""}}.dump();
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto answer = send(m_lock_method, m_lock_address, info);
            if (answer.transport_error) {
                return unreachable(*answer.transport_error);
            }
            if (answer.status / 100 == 2) {
                m_lock_info = info;
                return core::ok_status();
            }
            if (answer.status != 423 && answer.status != 409) {
                return refused("cannot take the lock of", answer);
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                return core::make_error(core::Errc::lock_held,
                                        "another run holds the lock of " + location() + " (" +
                                            holder(answer.body) +
                                            "); wait for it to finish or pass --lock-timeout");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
    }

    core::Result<std::optional<std::string>> read_journal() override {
        auto document = fetch();
        if (!document.ok()) {
            return document.error();
        }
        if (document->journal.empty()) {
            return std::optional<std::string>{};
        }
        std::string text;
        for (const auto& record : document->journal) {
            text += record + "\n";
        }
        return std::optional<std::string>{std::move(text)};
    }

    core::Status append_journal(const std::string& record) override {
        return update([&](Document& document) { document.journal.push_back(record); });
    }

    core::Status clear_journal() override {
        return update([](Document& document) { document.journal.clear(); });
    }

    core::Result<std::map<std::string, SealedSecret>> read_sealed() override {
        auto document = fetch();
        if (!document.ok()) {
            return document.error();
        }
        return document->sealed;
    }

    core::Status write_sealed(const std::string& entry, const SealedSecret& sealed) override {
        return update([&](Document& document) { document.sealed[entry] = sealed; });
    }

    core::Status erase_sealed(const std::string& entry) override {
        return update([&](Document& document) { document.sealed.erase(entry); });
    }

private:
    api::HttpResponse send(const std::string& method, const std::string& url,
                           const std::string& body) {
        api::HttpRequest request;
        request.method = method;
        request.url = url;
        request.body = body;
        request.authorization = m_authorization;
        return m_transport->send(request);
    }

    core::Error unreachable(const core::Error& error) const {
        return core::make_error(error.code, "cannot reach the state backend " + location() + ": " +
                                                error.message);
    }

    core::Error refused(const std::string& what, const api::HttpResponse& answer) const {
        const bool credentials = answer.status == 401 || answer.status == 403;
        return core::make_error(
            credentials ? core::Errc::unauthorized : core::Errc::io,
            what + " the state backend " + location() + ": HTTP " + std::to_string(answer.status) +
                (credentials ? "; check PROVISION_HTTP_USERNAME and PROVISION_HTTP_PASSWORD" : ""));
    }

    /// The holder a 423/409 answer names, from its lock info.
    static std::string holder(const std::string& body) {
        const auto info = nlohmann::json::parse(body, nullptr, false);
        if (!info.is_object() || !info.value("Who", nlohmann::json()).is_string()) {
            return "another process; the server did not say which";
        }
        std::string text = info["Who"].get<std::string>();
        if (info.value("ID", nlohmann::json()).is_string()) {
            text += ", lock ID " + info["ID"].get<std::string>();
        }
        return text;
    }

    core::Result<Document> fetch() {
        const auto answer = send("GET", m_address, "");
        if (answer.transport_error) {
            return unreachable(*answer.transport_error);
        }
        Document document;
        if (answer.status == 404 || answer.status == 204 ||
            (answer.status == 200 && answer.body.empty())) {
            return document;
        }
        if (answer.status != 200) {
            return refused("cannot read the state from", answer);
        }
        const auto json = nlohmann::json::parse(answer.body, nullptr, false);
        const auto provision = json.is_object() ? json.find("provision") : json.end();
        if (json.is_discarded() || !json.is_object() || provision == json.end() ||
            !provision->is_object()) {
            return core::make_error(core::Errc::invalid_input,
                                    "the state backend " + location() +
                                        " holds a document that is not a provision state (no "
                                        "\"provision\" object); give each manifest an address of "
                                        "its own");
        }
        document.serial = json.value("serial", 0LL);
        if (const auto state = provision->find("state");
            state != provision->end() && state->is_string()) {
            document.state = state->get<std::string>();
        }
        if (const auto journal = provision->find("journal");
            journal != provision->end() && journal->is_array()) {
            for (const auto& record : *journal) {
                if (record.is_string()) {
                    document.journal.push_back(record.get<std::string>());
                }
            }
        }
        if (const auto sealed = provision->find("sealed");
            sealed != provision->end() && sealed->is_object()) {
            for (const auto& [entry, record] : sealed->items()) {
                const auto fingerprint = record.find("fingerprint");
                const auto age = record.find("age");
                if (record.is_object() && fingerprint != record.end() && fingerprint->is_string() &&
                    age != record.end() && age->is_string()) {
                    document.sealed[entry] =
                        SealedSecret{fingerprint->get<std::string>(), age->get<std::string>()};
                }
            }
        }
        return document;
    }

    /// Reads the document, changes it and writes it back (under the run's lock).
    template <typename Change> core::Status update(Change change) {
        auto document = fetch();
        if (!document.ok()) {
            return document.error();
        }
        change(document.value());
        nlohmann::json sealed = nlohmann::json::object();
        for (const auto& [entry, record] : document->sealed) {
            sealed[entry] = {{"fingerprint", record.fingerprint}, {"age", record.armored}};
        }
        // Shaped like a Terraform state (version, serial, lineage), so that servers that
        // version what they store (GitLab) accept it; provision's own data is under "provision".
        const nlohmann::json body = {
            {"version", 4},
            {"serial", document->serial + 1},
            {"lineage", "provision"},
            {"provision",
             {{"formatVersion", 1},
              {"state", document->state ? nlohmann::json(*document->state) : nlohmann::json()},
              {"journal", document->journal},
              {"sealed", sealed}}}};
        const std::string url =
            m_lock_id.empty() ? m_address
                              : m_address + (m_address.find('?') == std::string::npos ? "?" : "&") +
                                    "ID=" + m_lock_id;
        const auto answer = send(m_update_method, url, body.dump());
        if (answer.transport_error) {
            return unreachable(*answer.transport_error);
        }
        if (answer.status / 100 != 2) {
            return refused("cannot write to", answer);
        }
        return core::ok_status();
    }

    std::string m_address;
    std::string m_lock_address;
    std::string m_unlock_address;
    std::string m_lock_method;
    std::string m_unlock_method;
    std::string m_update_method;
    core::Secret m_authorization;
    std::unique_ptr<api::HttpTransport> m_transport;
    std::string m_lock_id;
    std::string m_lock_info;  ///< the body of the LOCK that succeeded; empty when not held
};

}  // namespace

core::Result<std::shared_ptr<StateStore>> open_http_store(const std::string& address) {
    return std::shared_ptr<StateStore>(std::make_shared<HttpStore>(address));
}

}  // namespace provision::apply
