// The PostgreSQL state backend (pg_store.hpp). Every write is one statement, so one
// transaction; the lock is a session-level advisory lock of the run's connection, which the
// server releases when the session ends, however the process ended.

#include "apply/pg_store.hpp"

#include "provision/apply/lock.hpp"
#include "provision/core/hash.hpp"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace provision::apply {

namespace {

const char* const k_schema = R"sql(
BEGIN;
SELECT pg_advisory_xact_lock(7231948865122093301);
CREATE TABLE IF NOT EXISTS provision_state (
    name text PRIMARY KEY,
    state text NOT NULL,
    serial bigint NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS provision_journal (
    seq bigserial PRIMARY KEY,
    name text NOT NULL,
    record text NOT NULL);
CREATE INDEX IF NOT EXISTS provision_journal_name ON provision_journal (name, seq);
CREATE TABLE IF NOT EXISTS provision_sealed (
    name text NOT NULL,
    entry text NOT NULL,
    fingerprint text NOT NULL,
    age text NOT NULL,
    PRIMARY KEY (name, entry));
CREATE TABLE IF NOT EXISTS provision_lock_holder (
    name text PRIMARY KEY,
    holder text NOT NULL);
COMMIT;
)sql";

struct ResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

/// The advisory lock's key for state `name`: 64 bits of its SHA-256.
std::string lock_key(const std::string& name) {
    const std::string hex = core::sha256_hex("provision state " + name);
    return std::to_string(static_cast<std::int64_t>(std::stoull(hex.substr(0, 16), nullptr, 16)));
}

std::string trimmed(const char* message) {
    std::string text = message != nullptr ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    for (auto& c : text) {
        c = c == '\n' || c == '\t' ? ' ' : c;
    }
    return text;
}

/// Refused credentials (wrong password, none supplied) or anything else that kept the
/// connection from opening.
core::Errc connect_failure_kind(const std::string& message) {
    for (const char* refusal : {"password authentication failed", "no password supplied",
                                "authentication failed", "password is required"}) {
        if (message.find(refusal) != std::string::npos) {
            return core::Errc::unauthorized;
        }
    }
    return core::Errc::not_sent;
}

class PgStore final : public StateStore {
public:
    PgStore(PGconn* connection, std::string location, std::string name)
        : m_connection(connection), m_location(std::move(location)), m_name(std::move(name)),
          m_key(lock_key(m_name)) {}
    ~PgStore() override { PQfinish(m_connection); }
    PgStore(const PgStore&) = delete;
    PgStore& operator=(const PgStore&) = delete;

    std::string location() const override { return m_location + " (state '" + m_name + "')"; }
    bool is_file() const override { return false; }

    core::Status create_schema() {
        PgResult result(PQexec(m_connection, k_schema));
        if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
            return failure("cannot create the state tables", result.get());
        }
        return core::ok_status();
    }

    core::Result<std::optional<std::string>> load_text() override {
        auto result = query("SELECT state FROM provision_state WHERE name = $1", {m_name},
                            "cannot read the state");
        if (!result.ok()) {
            return result.error();
        }
        if (PQntuples(result->get()) == 0) {
            return std::optional<std::string>{};
        }
        return std::optional<std::string>{PQgetvalue(result->get(), 0, 0)};
    }

    core::Status save(const state::State& state) override {
        return command("INSERT INTO provision_state (name, state) VALUES ($1, $2) "
                       "ON CONFLICT (name) DO UPDATE SET state = EXCLUDED.state, "
                       "serial = provision_state.serial + 1, updated_at = now()",
                       {m_name, state::serialize_state(state)}, "cannot save the state");
    }

    core::Status lock(std::chrono::milliseconds timeout) override {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto taken = query("SELECT pg_try_advisory_lock($1::bigint)", {m_key},
                               "cannot take the state's lock");
            if (!taken.ok()) {
                return taken.error();
            }
            if (std::string(PQgetvalue(taken->get(), 0, 0)) == "t") {
                return command("INSERT INTO provision_lock_holder (name, holder) VALUES ($1, $2) "
                               "ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder",
                               {m_name, lock_holder_text()}, "cannot record the lock's holder");
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                return core::make_error(core::Errc::lock_held,
                                        "another run holds the lock of " + location() + " (" +
                                            holder() +
                                            "); wait for it to finish or pass --lock-timeout");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }

    core::Result<std::optional<std::string>> read_journal() override {
        auto result = query("SELECT record FROM provision_journal WHERE name = $1 ORDER BY seq",
                            {m_name}, "cannot read the journal");
        if (!result.ok()) {
            return result.error();
        }
        const int rows = PQntuples(result->get());
        if (rows == 0) {
            return std::optional<std::string>{};
        }
        std::string text;
        for (int i = 0; i < rows; ++i) {
            text += PQgetvalue(result->get(), i, 0);
            text += '\n';
        }
        return std::optional<std::string>{std::move(text)};
    }

    core::Status append_journal(const std::string& record) override {
        return command("INSERT INTO provision_journal (name, record) VALUES ($1, $2)",
                       {m_name, record}, "cannot write the journal");
    }

    core::Status clear_journal() override {
        return command("DELETE FROM provision_journal WHERE name = $1", {m_name},
                       "cannot empty the journal");
    }

    core::Result<std::map<std::string, SealedSecret>> read_sealed() override {
        auto result = query("SELECT entry, fingerprint, age FROM provision_sealed WHERE name = $1",
                            {m_name}, "cannot read the sealed secrets");
        if (!result.ok()) {
            return result.error();
        }
        std::map<std::string, SealedSecret> sealed;
        for (int i = 0; i < PQntuples(result->get()); ++i) {
            sealed[PQgetvalue(result->get(), i, 0)] =
                SealedSecret{PQgetvalue(result->get(), i, 1), PQgetvalue(result->get(), i, 2)};
        }
        return sealed;
    }

    core::Status write_sealed(const std::string& entry, const SealedSecret& sealed) override {
        return command("INSERT INTO provision_sealed (name, entry, fingerprint, age) "
                       "VALUES ($1, $2, $3, $4) ON CONFLICT (name, entry) DO UPDATE SET "
                       "fingerprint = EXCLUDED.fingerprint, age = EXCLUDED.age",
                       {m_name, entry, sealed.fingerprint, sealed.armored},
                       "cannot write a sealed secret");
    }

    core::Status erase_sealed(const std::string& entry) override {
        return command("DELETE FROM provision_sealed WHERE name = $1 AND entry = $2",
                       {m_name, entry}, "cannot remove a sealed secret");
    }

private:
    /// Who holds the lock: the session holding it, which names its process in its
    /// application_name; else what the last holder recorded when it took the lock.
    std::string holder() {
        auto session = query("SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                             "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                             "AND l.objsubid = 1 "
                             "AND l.classid::bigint = (($1::bigint >> 32) & 4294967295) "
                             "AND l.objid::bigint = ($1::bigint & 4294967295)",
                             {m_key}, "cannot read the lock's holder");
        if (session.ok() && PQntuples(session->get()) > 0) {
            const std::string name = PQgetvalue(session->get(), 0, 0);
            if (name.starts_with("provision ")) {
                return name.substr(10);
            }
        }
        auto result = query("SELECT holder FROM provision_lock_holder WHERE name = $1", {m_name},
                            "cannot read the lock's holder");
        if (!result.ok() || PQntuples(result->get()) == 0) {
            return "another provision process";
        }
        return PQgetvalue(result->get(), 0, 0);
    }

    core::Error failure(const std::string& what, const PGresult* result) const {
        const std::string detail = trimmed(result != nullptr ? PQresultErrorMessage(result)
                                                             : PQerrorMessage(m_connection));
        return core::make_error(
            core::Errc::io, what + " in " + location() + ": " +
                                (detail.empty() ? trimmed(PQerrorMessage(m_connection)) : detail));
    }

    core::Result<PgResult> query(const char* sql, const std::vector<std::string>& params,
                                 const std::string& what) {
        std::vector<const char*> values;
        values.reserve(params.size());
        for (const auto& param : params) {
            values.push_back(param.c_str());
        }
        PgResult result(PQexecParams(m_connection, sql, static_cast<int>(values.size()), nullptr,
                                     values.data(), nullptr, nullptr, 0));
        const auto status = PQresultStatus(result.get());
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
            return failure(what, result.get());
        }
        return result;
    }

    core::Status command(const char* sql, const std::vector<std::string>& params,
                         const std::string& what) {
        auto result = query(sql, params, what);
        return result.ok() ? core::ok_status() : core::Status(result.error());
    }

    PGconn* m_connection;
    std::string m_location;
    std::string m_name;
    std::string m_key;
};

}  // namespace

core::Result<std::shared_ptr<StateStore>> open_pg_store(const std::string& url,
                                                        const std::string& name) {
    const auto hash = url.find('#');
    const std::string uri = url.substr(0, hash);
    const std::string state = hash != std::string::npos ? url.substr(hash + 1) : name;
    const std::string location = redact_location(uri);
    if (state.empty()) {
        return core::make_error(core::Errc::invalid_input,
                                "the state backend " + location +
                                    " needs a state name: add one as #NAME to the URL");
    }
    const std::string application = "provision " + lock_holder_text();
    // The URI's own settings win over these defaults: it is expanded last.
    const std::array<const char*, 4> keywords = {"connect_timeout", "application_name", "dbname",
                                                 nullptr};
    const std::array<const char*, 4> values = {"10", application.c_str(), uri.c_str(), nullptr};
    PGconn* connection = PQconnectdbParams(keywords.data(), values.data(), 1);
    if (connection == nullptr) {
        return core::make_error(core::Errc::internal, "libpq could not allocate a connection");
    }
    if (PQstatus(connection) != CONNECTION_OK) {
        const std::string message = trimmed(PQerrorMessage(connection));
        PQfinish(connection);
        const auto kind = connect_failure_kind(message);
        return core::make_error(
            kind, "cannot connect to the state backend " + location + ": " + message +
                      (kind == core::Errc::unauthorized
                           ? "; check the user and the password (PGPASSWORD or PGPASSFILE)"
                           : "; check that the server runs and the URL's host and port"));
    }
    PQsetNoticeProcessor(
        connection,
        [](void*, const char* message) { spdlog::debug("postgresql: {}", trimmed(message)); },
        nullptr);
    auto store = std::make_shared<PgStore>(connection, location, state);
    if (auto created = store->create_schema(); !created.ok()) {
        return created.error();
    }
    spdlog::debug("state backend: {}", store->location());
    return std::shared_ptr<StateStore>(std::move(store));
}

}  // namespace provision::apply
