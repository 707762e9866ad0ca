// The Terraform HTTP backend protocol (http_store.hpp). The state, its journal and its sealed
// secrets are one JSON document at the address: fetched with GET, replaced with POST (the
// lock's ID as the `ID` query parameter while locked). The lock is a LOCK request to the lock
// address with a lock-info JSON body, released by UNLOCK with the same body; 423 or 409 mean
// another holder, whose lock info the answer carries. The protocol has no session, so a lock
// whose holder died stays held until `provision state unlock` sends the UNLOCK its holder
// never sent: held_lock asks the server which lock is held by trying to take it (the answer
// to a LOCK refused is the holder's lock info), force_unlock sends that info back.
//
// Credentials never travel in an address: user:password@ is taken out of every address into
// the Authorization header, and every message prints the address with its credentials
// (including query tokens such as GitLab's private_token) replaced by ***. The password may
// also come from a file (PROVISION_HTTP_PASSWORD_FILE), as CI systems hand secrets over.
//
// The requests use the command line's transport settings (set_http_state_transport: CA bundle,
// timeouts), with PROVISION_HTTP_CA_BUNDLE for a state server whose CA is not the portal's.

#include "apply/http_store.hpp"

#include "apply/url_credentials.hpp"
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
#include <vector>

namespace provision::apply {

namespace {

/// The transport settings of the command line (set_http_state_transport).
api::TransportOptions& state_transport() {
    static api::TransportOptions options;
    return options;
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

/// The command line's transport, with PROVISION_HTTP_CA_BUNDLE in place of its CA bundle.
api::TransportOptions transport_options() {
    api::TransportOptions options = state_transport();
    if (const std::string ca = env_or("PROVISION_HTTP_CA_BUNDLE", ""); !ca.empty()) {
        options.ca_bundle = ca;
    }
    options.max_connections = 2;
    // The transport's trace redacts what it knows of the portal's requests, not the tokens a
    // state address may carry in its query (GitLab's private_token=): never traced.
    options.trace = false;
    return options;
}

/// The password in PROVISION_HTTP_PASSWORD_FILE (its first line), "" without one. A file that
/// cannot be read is an error for the server to report (401): the message names the variable.
std::string password_file() {
    const std::string path = env_or("PROVISION_HTTP_PASSWORD_FILE", "");
    if (path.empty()) {
        return "";
    }
    std::ifstream file(path);
    std::string line;
    if (!file || !std::getline(file, line)) {
        spdlog::warn("cannot read PROVISION_HTTP_PASSWORD_FILE {}: the state backend gets no "
                     "password",
                     path);
        return "";
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return line;
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

/// Text a server sent, fit for a message on a terminal: no control characters, bounded.
std::string printable(const std::string& text) {
    std::string out;
    for (const char c : text.substr(0, 200)) {
        out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
    }
    return out;
}

/// The lock a 423/409 answer's body describes (Terraform's lock-info JSON); an empty id when
/// the body does not say.
HeldLock held_from(const std::string& body) {
    HeldLock held;
    const auto info = nlohmann::json::parse(body, nullptr, false);
    if (!info.is_object()) {
        return held;
    }
    const auto field = [&](const char* name) {
        const auto found = info.find(name);
        return found != info.end() && found->is_string() ? printable(found->get<std::string>())
                                                         : std::string();
    };
    held.id = field("ID");
    held.who = field("Who");
    held.created = field("Created");
    held.operation = field("Operation");
    held.info = body;
    return held;
}

/// Everything the backend keeps for one state, as one document.
struct Document {
    std::optional<std::string> state;  ///< the state's text
    std::vector<std::string> journal;
    std::map<std::string, SealedSecret> sealed;
    std::optional<std::string> written;  ///< when save() last wrote the state (ISO 8601)
    long long serial = 0;
};

class HttpStore final : public StateStore {
public:
    explicit HttpStore(const std::string& address)
        : m_location(redact_location(address)),
          m_lock_method(env_or("PROVISION_HTTP_LOCK_METHOD", "LOCK")),
          m_unlock_method(env_or("PROVISION_HTTP_UNLOCK_METHOD", "UNLOCK")),
          m_update_method(env_or("PROVISION_HTTP_UPDATE_METHOD", "POST")),
          m_transport(api::make_curl_transport(transport_options())) {
        const auto in_address = split_userinfo(address);
        const auto lock = split_userinfo(env_or("PROVISION_HTTP_LOCK_ADDRESS", ""));
        const auto unlock = split_userinfo(env_or("PROVISION_HTTP_UNLOCK_ADDRESS", lock.url));
        m_address = in_address.url;
        m_lock_address = lock.url;
        m_unlock_address = unlock.url;
        m_raw_addresses = {address, env_or("PROVISION_HTTP_LOCK_ADDRESS", ""),
                           env_or("PROVISION_HTTP_UNLOCK_ADDRESS", "")};
        // The environment's credentials, else those an address held.
        std::string user = env_or("PROVISION_HTTP_USERNAME", "");
        std::string password = env_or("PROVISION_HTTP_PASSWORD", "");
        if (password.empty()) {
            password = password_file();
        }
        for (const auto* from : {&in_address, &lock, &unlock}) {
            if (user.empty() && password.empty()) {
                user = from->user;
                password = from->password;
            }
        }
        if (!user.empty() || !password.empty()) {
            m_authorization =
                core::Secret{"Basic " + output::detail::base64_encode(user + ":" + password)};
        }
    }

    ~HttpStore() override {
        if (!m_lock_info.empty()) {
            const auto answer = send(m_unlock_method, m_unlock_address, m_lock_info);
            if (m_removed) {
                // A server that deleted the lock with the state (GitLab) has nothing to release.
                spdlog::debug("released the lock of the removed state {}: HTTP {}", location(),
                              answer.status);
            } else if (answer.transport_error || answer.status / 100 != 2) {
                spdlog::warn("could not release the lock of {} (lock ID {}, HTTP {}): it stays "
                             "held until {} releases it",
                             location(), m_lock_id, answer.status, unlock_command(m_lock_id));
            }
        }
    }
    HttpStore(const HttpStore&) = delete;
    HttpStore& operator=(const HttpStore&) = delete;

    std::string location() const override { return m_location; }
    bool is_file() const override { return false; }

    core::Result<std::optional<core::Timestamp>> last_write() override {
        auto document = fetch();
        if (!document.ok()) {
            return document.error();
        }
        if (!document->state || !document->written) {
            return std::optional<core::Timestamp>{};
        }
        return core::parse_iso8601(*document->written);
    }

    core::Result<std::optional<std::string>> load_text() override {
        auto document = fetch();
        if (!document.ok()) {
            return document.error();
        }
        return document->state;
    }

    core::Status save(const state::State& state) override {
        return update([&](Document& document) {
            document.state = m_serializer.serialize(state);
            document.written = core::format_iso8601(core::now_utc());
        });
    }

    core::Status lock(std::chrono::milliseconds timeout) override {
        if (m_lock_address.empty()) {
            spdlog::warn("the state backend {} has no lock (PROVISION_HTTP_LOCK_ADDRESS is not "
                         "set): runs on other machines are not kept out",
                         location());
            return core::ok_status();
        }
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto taken = try_lock("OperationTypeApply", "provision");
            if (!taken.ok()) {
                return taken.error();
            }
            if (!taken.value()) {
                return core::ok_status();
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                return core::make_error(core::Errc::lock_held, refusal(*taken.value()));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
    }

    core::Result<std::optional<HeldLock>> held_lock() override {
        if (m_lock_address.empty()) {
            return core::make_error(core::Errc::invalid_input,
                                    "the state backend " + location() +
                                        " has no lock to release: PROVISION_HTTP_LOCK_ADDRESS is "
                                        "not set (set it as the runs that locked it did)");
        }
        // The protocol cannot ask which lock is held, but a LOCK refused answers with it; a
        // LOCK granted (nobody held it) is released at once.
        auto taken = try_lock("OperationTypeInvalid", "provision state unlock: which lock is held");
        if (!taken.ok() || taken.value()) {
            return taken;
        }
        const auto answer = send(m_unlock_method, m_unlock_address, m_lock_info);
        if (answer.transport_error) {
            return unreachable(*answer.transport_error);
        }
        if (answer.status / 100 != 2) {
            return refused("cannot release the lock of", answer);
        }
        m_lock_info.clear();
        m_lock_id.clear();
        return std::optional<HeldLock>{};
    }

    core::Status force_unlock(const HeldLock& held) override {
        // The holder's own lock info, as the server gave it: a server that compares the body
        // with what it holds (GitLab compares the ID) sees the holder's UNLOCK.
        const std::string body =
            held.info.empty() ? nlohmann::json{{"ID", held.id}}.dump() : held.info;
        const auto answer = send(m_unlock_method, m_unlock_address, body);
        if (answer.transport_error) {
            return unreachable(*answer.transport_error);
        }
        if (answer.status == 409 || answer.status == 423) {
            return core::make_error(core::Errc::invalid_input,
                                    "the server of " + location() + " refused to release lock ID " +
                                        held.id + " (HTTP " + std::to_string(answer.status) +
                                        "): the lock it holds is another one now (" +
                                        describe_lock(held_from(answer.body)) +
                                        "); nothing was unlocked");
        }
        if (answer.status / 100 != 2) {
            return refused("cannot release the lock of", answer);
        }
        return core::ok_status();
    }

    core::Status remove() override {
        auto document = fetch();
        if (!document.ok()) {
            return document.error();
        }
        if (!document->journal.empty()) {
            // Records name creates the next run must settle: keep them, drop the rest.
            return update([](Document& kept) {
                kept.state.reset();
                kept.sealed.clear();
            });
        }
        const auto answer = send("DELETE", with_lock_id(m_address), "");
        if (answer.transport_error) {
            return unreachable(*answer.transport_error);
        }
        if (answer.status / 100 != 2 && answer.status != 404) {
            return refused("cannot delete the state from", answer);
        }
        m_removed = true;
        return core::ok_status();
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

    /// LOCK with a lock info of ours: nullopt when granted (then held until released), else
    /// the lock that is held.
    core::Result<std::optional<HeldLock>> try_lock(const std::string& operation,
                                                   const std::string& what) {
        const std::string id = random_id();
        const std::string info = nlohmann::json{
            {"ID", id},
            {"Operation", operation},
            {"Info", what},
            {"Who", lock_holder_text()},
            {"Version", "provision"},
            {"Created", core::format_iso8601(core::now_utc())},
            {"Path", ""}}.dump();
        const auto answer = send(m_lock_method, m_lock_address, info);
        if (answer.transport_error) {
            return unreachable(*answer.transport_error);
        }
        if (answer.status / 100 == 2) {
            m_lock_id = id;
            m_lock_info = info;
            return std::optional<HeldLock>{};
        }
        if (answer.status != 423 && answer.status != 409) {
            return refused("cannot take the lock of", answer);
        }
        HeldLock held = held_from(answer.body);
        if (held.operation == "OperationTypeInvalid") {
            // GitLab answers with the holder's ID, user and time but the refused request's
            // Operation: our own probe's (held_lock), which says nothing of the holder.
            held.operation.clear();
        }
        return std::optional<HeldLock>{std::move(held)};
    }

    /// What a run refused the lock is told: the holder, and how to release a dead one's lock.
    std::string refusal(const HeldLock& held) const {
        std::string text = "another run holds the lock of " + location() + " (";
        if (held.id.empty()) {
            return text +
                   "the server did not say which); wait for it to finish or pass "
                   "--lock-timeout. If that run is dead, find the lock's ID on the server "
                   "and release it with " +
                   unlock_command("ID");
        }
        text += held.who.empty() ? "a holder the server did not name" : held.who;
        text += "; lock ID " + held.id;
        text += held.created.empty() ? "" : ", taken " + held.created;
        text += held.operation.empty() ? "" : ", for " + held.operation;
        return text +
               "); wait for it to finish or pass --lock-timeout. This lock outlives a run "
               "that was killed or whose runner vanished: if that run is dead, release it "
               "with " +
               unlock_command(held.id);
    }

    /// `url` with the held lock's ID as the `ID` query parameter (writes while locked).
    std::string with_lock_id(const std::string& url) const {
        if (m_lock_id.empty()) {
            return url;
        }
        return url + (url.find('?') == std::string::npos ? "?" : "&") + "ID=" + m_lock_id;
    }

    core::Error unreachable(const core::Error& error) const {
        std::string message = error.message;
        for (const auto& address : m_raw_addresses) {
            message = scrub_url_password(message, address);
        }
        if (error.code == core::Errc::tls) {
            message += "; if the state server's certificate is signed by a CA of your own, give "
                       "that CA's PEM file with PROVISION_HTTP_CA_BUNDLE (or --ca-bundle when it "
                       "is the portal's CA too)";
        }
        return core::make_error(error.code,
                                "cannot reach the state backend " + location() + ": " + message);
    }

    core::Error refused(const std::string& what, const api::HttpResponse& answer) const {
        const bool credentials = answer.status == 401 || answer.status == 403;
        return core::make_error(
            credentials ? core::Errc::unauthorized : core::Errc::io,
            what + " the state backend " + location() + ": HTTP " + std::to_string(answer.status) +
                (credentials ? "; check PROVISION_HTTP_USERNAME and PROVISION_HTTP_PASSWORD (or "
                               "PROVISION_HTTP_PASSWORD_FILE, or the "
                               "user:password@ of the address)"
                             : ""));
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
        if (const auto written = provision->find("written");
            written != provision->end() && written->is_string()) {
            document.written = written->get<std::string>();
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
              {"written",
               document->written ? nlohmann::json(*document->written) : nlohmann::json()},
              {"journal", document->journal},
              {"sealed", sealed}}}};
        const auto answer = send(m_update_method, with_lock_id(m_address), body.dump());
        if (answer.transport_error) {
            return unreachable(*answer.transport_error);
        }
        if (answer.status / 100 != 2) {
            return refused("cannot write to", answer);
        }
        return core::ok_status();
    }

    std::string m_location;  ///< the address, its credentials replaced by ***
    std::string m_address;   ///< the addresses, without user information
    std::string m_lock_address;
    std::string m_unlock_address;
    std::string m_lock_method;
    std::string m_unlock_method;
    std::string m_update_method;
    core::Secret m_authorization;
    std::unique_ptr<api::HttpTransport> m_transport;
    std::string m_lock_id;
    std::string m_lock_info;  ///< the body of the LOCK that succeeded; empty when not held
    std::vector<std::string> m_raw_addresses;  ///< as given: what messages are scrubbed of
    bool m_removed = false;                    ///< remove() deleted the document
    state::StateSerializer m_serializer;
};

}  // namespace

void set_http_state_transport(const api::TransportOptions& options) {
    state_transport() = options;
}

core::Result<std::shared_ptr<StateStore>> open_http_store(const std::string& address) {
    return std::shared_ptr<StateStore>(std::make_shared<HttpStore>(address));
}

}  // namespace provision::apply
