// The PostgreSQL state backend (pg_store.hpp). Every write is one statement, so one
// transaction; the lock is a session-level advisory lock of the run's connection, which the
// server releases when the session ends, however the process ended. A session can outlive its
// process when the machine vanished without closing the connection (until TCP keepalives
// notice): `provision state unlock` then names that session by its server process id and ends
// it, which also fences the old run off the state (its connection is gone).

#include "apply/pg_store.hpp"

#include "apply/url_credentials.hpp"
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

/// The granted advisory lock of key $1 in this database, in pg_locks `l` (a bigint key is
/// classid = its high 32 bits, objid = its low 32 bits, objsubid = 1).
const char* const k_lock_row =
    "l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND l.classid::bigint = (($1::bigint >> 32) & 4294967295) "
    "AND l.objid::bigint = ($1::bigint & 4294967295)";

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

    core::Result<std::optional<core::Timestamp>> last_write() override {
        auto result = query("SELECT (extract(epoch FROM updated_at) * 1000000)::bigint FROM "
                            "provision_state WHERE name = $1",
                            {m_name}, "cannot read the state");
        if (!result.ok()) {
            return result.error();
        }
        if (PQntuples(result->get()) == 0) {
            return std::optional<core::Timestamp>{};
        }
        return std::optional<core::Timestamp>{core::Timestamp(
            std::chrono::microseconds(std::stoll(PQgetvalue(result->get(), 0, 0))))};
    }

    core::Status save(const state::State& state) override {
        return command("INSERT INTO provision_state (name, state) VALUES ($1, $2) "
                       "ON CONFLICT (name) DO UPDATE SET state = EXCLUDED.state, "
                       "serial = provision_state.serial + 1, updated_at = now()",
                       {m_name, m_serializer.serialize(state)}, "cannot save the state");
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
                return core::make_error(core::Errc::lock_held, refusal());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }

    core::Result<std::optional<HeldLock>> held_lock() override {
        auto session =
            query((std::string("SELECT l.pid, coalesce(a.application_name, ''), "
                               "coalesce(host(a.client_addr), '') FROM pg_locks l LEFT JOIN "
                               "pg_stat_activity a ON a.pid = l.pid WHERE ") +
                   k_lock_row)
                      .c_str(),
                  {m_key}, "cannot read the lock's holder");
        if (!session.ok()) {
            return session.error();
        }
        if (PQntuples(session->get()) == 0) {
            return std::optional<HeldLock>{};
        }
        HeldLock held;
        held.id = PQgetvalue(session->get(), 0, 0);
        const std::string application = PQgetvalue(session->get(), 0, 1);
        held.who = application.starts_with("provision ") ? application.substr(10) : recorded();
        const std::string client = PQgetvalue(session->get(), 0, 2);
        held.who += ", database session " + held.id + " from " +
                    (client.empty() ? "a local socket" : client);
        return std::optional<HeldLock>{std::move(held)};
    }

    core::Status force_unlock(const HeldLock& held) override {
        if (held.id.empty() || held.id.find_first_not_of("0123456789") != std::string::npos) {
            return core::make_error(core::Errc::invalid_input,
                                    "'" + held.id +
                                        "' is not the lock ID of a PostgreSQL state: "
                                        "give the number the refused run printed");
        }
        // Only while that session still holds this state's lock, in the same statement.
        auto ended = query((std::string("SELECT pg_terminate_backend(l.pid) FROM pg_locks l "
                                        "WHERE l.pid = $2::integer AND ") +
                            k_lock_row)
                               .c_str(),
                           {m_key, held.id}, "cannot end the session holding the lock");
        if (!ended.ok()) {
            return core::make_error(
                ended.error().code,
                ended.error().message +
                    "; the database user needs to be the session's own or a member of "
                    "pg_signal_backend: ask an administrator of the database to run SELECT "
                    "pg_terminate_backend(" +
                    held.id + ")");
        }
        if (PQntuples(ended->get()) == 0) {
            return core::ok_status();  // that session let go of the lock already
        }
        if (std::string(PQgetvalue(ended->get(), 0, 0)) != "t") {
            return core::make_error(core::Errc::io, "the server did not end database session " +
                                                        held.id + " of " + location() +
                                                        "; try again, or end it as an "
                                                        "administrator");
        }
        // The session ends soon after its signal; the lock goes with it.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            auto still =
                query((std::string("SELECT 1 FROM pg_locks l WHERE l.pid = $2::integer AND ") +
                       k_lock_row)
                          .c_str(),
                      {m_key, held.id}, "cannot read the lock's holder");
            if (!still.ok()) {
                return still.error();
            }
            if (PQntuples(still->get()) == 0) {
                return core::ok_status();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return core::make_error(core::Errc::io, "database session " + held.id + " of " +
                                                    location() +
                                                    " was told to end but still holds the lock; "
                                                    "run the command again in a moment");
    }

    core::Status remove() override {
        // One statement, so one transaction. Journal records, if any, name creates the next
        // run must settle: they stay.
        return command("WITH sealed AS (DELETE FROM provision_sealed WHERE name = $1), "
                       "holder AS (DELETE FROM provision_lock_holder WHERE name = $1) "
                       "DELETE FROM provision_state WHERE name = $1",
                       {m_name}, "cannot remove the state");
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
    /// What the last run to take the lock recorded ("pid N on HOST since TIME").
    std::string recorded() {
        auto result = query("SELECT holder FROM provision_lock_holder WHERE name = $1", {m_name},
                            "cannot read the lock's holder");
        if (!result.ok() || PQntuples(result->get()) == 0) {
            return "another program";
        }
        return PQgetvalue(result->get(), 0, 0);
    }

    /// What a run refused the lock is told: the holder, and what to do when it is dead.
    std::string refusal() {
        auto held = held_lock();
        std::string text = "another run holds the lock of " + location() + " (";
        if (!held.ok() || !held.value()) {
            // Released since, or not readable: what the last holder recorded.
            return text + recorded() + "); wait for it to finish or pass --lock-timeout";
        }
        return text + held.value()->who + "; lock ID " + held.value()->id +
               "); wait for it to finish or pass --lock-timeout. The server releases the lock "
               "when that session ends, as it does when the run dies and its connection closes; "
               "if the run is dead but its session lingers (a runner that vanished), end the "
               "session with " +
               unlock_command(held.value()->id);
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
    state::StateSerializer m_serializer;
};

}  // namespace

core::Result<std::shared_ptr<StateStore>> open_pg_store(const std::string& url,
                                                        const std::string& name) {
    const auto [uri, fragment] = split_fragment(url);
    const std::string state = fragment.empty() ? name : fragment;
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
        // libpq quotes the parts of a URI it cannot parse, which may be the password.
        const std::string raw = trimmed(PQerrorMessage(connection));
        std::string message = scrub_url_password(raw, uri);
        if (message != raw && message.find("percent-encode") == std::string::npos) {
            message += " (*** stands for the password or a piece of it: percent-encode / ? # "
                       "@ and % in a password in a URL)";
        }
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
