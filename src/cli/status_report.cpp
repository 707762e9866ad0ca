// The status of a manifest's keys (status_report.hpp): one row per key the state manages (and
// per manifest entry not created yet), the keys retiring after a rotation, the interrupted
// creates the next apply settles and how many keys on the portal the manifest does not
// manage; rendered as a table, JSON or node_exporter's textfile format. Never a secret: rows
// carry the key's postfix only.

#include "cli/status_report.hpp"

#include "provision/apply/state_store.hpp"
#include "provision/core/prometheus.hpp"
#include "provision/core/table.hpp"
#include "provision/plan/render.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <limits>
#include <map>
#include <string_view>
#include <unordered_map>

namespace provision::cli {

namespace {

using Row = StatusRow;

/// active, deactivated, expired, missing or secret-unknown, from the portal's view first.
std::string key_state(const apply::World& world, const state::ManagedKey& record,
                      const api::ApiKey* key, core::Timestamp now) {
    if (key == nullptr) {
        return "missing";
    }
    if (key->expires_at && *key->expires_at <= now) {
        return "expired";
    }
    if (!key->is_active) {
        return "deactivated";
    }
    return world.secrets.count(record.entry) != 0 ? "active" : "secret-unknown";
}

std::vector<Row> rows_of(const Session& session, core::Timestamp now,
                         std::optional<std::chrono::seconds> window) {
    std::vector<Row> rows;
    const auto& world = session.world;
    std::unordered_map<std::string_view, const api::ApiKey*> observed;
    observed.reserve(world.observed.size());
    for (const auto& key : world.observed) {
        observed.emplace(key.id, &key);
    }
    for (const auto& record : world.state.keys) {
        const auto found = observed.find(record.id);
        const api::ApiKey* key = found == observed.end() ? nullptr : found->second;
        Row row{record.entry,
                record.id,
                record.postfix,
                record.permissions.to_display(),
                key_state(world, record, key, now),
                record.expires_at,
                false,
                false,
                std::nullopt,
                record.permissions.to_request()};
        if (key != nullptr) {
            row.scopes = key->permissions.to_display();
            row.scope_list = key->permissions.to_request();
            row.expires_at = key->expires_at;
            row.on_portal = true;
            row.last_used = key->last_used;
        }
        row.expiring =
            window && key != nullptr && row.expires_at && *row.expires_at - now <= *window;
        rows.push_back(std::move(row));
    }
    const state::StateIndex index(world.state);
    for (const auto& spec : session.manifest.keys) {
        if (index.find(spec.name) == nullptr) {
            rows.push_back(Row{spec.name, "", "", spec.permissions.to_display(), "not-created",
                               std::nullopt, false, false, std::nullopt,
                               spec.permissions.to_request()});
        }
    }
    // In manifest order; entries the manifest no longer has last, in the state's order.
    std::map<std::string, std::size_t> position;
    for (const auto& spec : session.manifest.keys) {
        position.emplace(spec.name, position.size());
    }
    const auto rank = [&](const Row& row) {
        const auto it = position.find(row.entry);
        return it == position.end() ? position.size() : it->second;
    };
    std::stable_sort(rows.begin(), rows.end(),
                     [&](const Row& a, const Row& b) { return rank(a) < rank(b); });
    return rows;
}

std::size_t unmanaged_count(const apply::World& world) {
    const state::StateIndex index(world.state);
    return static_cast<std::size_t>(
        std::count_if(world.observed.begin(), world.observed.end(),
                      [&](const api::ApiKey& key) { return !index.tracks(key.id); }));
}

std::string expires_text(const std::optional<core::Timestamp>& at, core::Timestamp now) {
    if (!at) {
        return "never";
    }
    return core::format_remaining(std::chrono::duration_cast<std::chrono::seconds>(*at - now));
}

std::string optional_time(const std::optional<core::Timestamp>& at) {
    return at ? core::format_iso8601(*at) : std::string();
}

/// "used 3d ago", "never used", or "-" for a key not on the portal.
std::string last_used_text(const Row& row, core::Timestamp now) {
    if (!row.on_portal) {
        return "-";
    }
    if (!row.last_used) {
        return "never used";
    }
    return "used " +
           core::format_ago(std::chrono::duration_cast<std::chrono::seconds>(now - *row.last_used));
}

/// Interrupted creates the next apply settles, and late commits still watched for.
/// A line of the retiring and interrupted lists: entry, key id, postfix, what happens. On a
/// terminal too narrow for it, the id is cut to its first 8 characters, as in the table, and
/// the entry to 20.
std::string key_line(const std::string& entry, const std::string& id, const std::string& postfix,
                     const std::string& what, std::size_t width) {
    const auto line = [&](const std::string& shown_entry, std::size_t entry_width,
                          const std::string& shown_id, std::size_t id_width) {
        return fmt::format("  {:<{}} {:<{}} sk-***{:<4} {}\n", shown_entry, entry_width, shown_id,
                           id_width, postfix, what);
    };
    std::string out = line(entry, 30, id, 36);
    if (width > 0 && core::code_points(out) > width + 1) {
        out = line(core::fit(entry, 20), 20, core::fit(id, 11), 0);
    }
    return out;
}

std::string pending_text(const std::vector<plan::PendingCreate>& pending, std::size_t width) {
    if (pending.empty()) {
        return {};
    }
    std::string out = "\nInterrupted creates:\n";
    for (const auto& p : pending) {
        const std::string sent = core::format_iso8601(p.sent_at);
        for (const auto& made : p.made) {
            out += key_line(p.entry, made.id, made.postfix,
                            p.watched          ? "committed late: the next apply revokes it"
                            : made.secret_held ? "an output holds its secret: the next "
                                                 "apply adopts it"
                                               : "secret never saved: the next apply "
                                                 "revokes it",
                            width);
        }
        if (!p.made.empty()) {
            continue;
        }
        out += fmt::format(
            "  {:<30} {}\n", p.entry,
            p.watched ? "create of " + sent + " made no key; watched for a late one until " +
                            core::format_iso8601(p.watch_until)
            : p.persisted ? "create of " + sent + " saved its key; the next apply closes it"
                          : "create of " + sent + " not settled yet; the next apply checks it");
    }
    return out;
}

nlohmann::json pending_json(const std::vector<plan::PendingCreate>& pending) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : pending) {
        nlohmann::json keys = nlohmann::json::array();
        for (const auto& made : p.made) {
            keys.push_back(
                {{"id", made.id}, {"keyPostfix", made.postfix}, {"secretHeld", made.secret_held}});
        }
        out.push_back({{"entry", p.entry},
                       {"sentAt", core::format_iso8601(p.sent_at)},
                       {"watched", p.watched},
                       {"watchUntil", core::format_iso8601(p.watch_until)},
                       {"persisted", p.persisted},
                       {"keys", keys}});
    }
    return out;
}

std::string render_text(const Session& session, const std::vector<Row>& rows, core::Timestamp now,
                        std::size_t unmanaged, std::size_t width) {
    // On a terminal the table fits its width (long cells end in "..."); piped (0), every cell
    // is whole.
    const std::size_t any = std::numeric_limits<std::size_t>::max();
    const std::vector<core::TableColumn> columns = {{"ENTRY", width > 0 ? 30 : any},
                                                    {"ID", 36, true, 11, true},
                                                    {"KEY", 10, false},
                                                    {"EXPIRES IN", 20, false},
                                                    {"SCOPES", width > 0 ? 64 : any},
                                                    {"LAST USED", width > 0 ? 15 : any},
                                                    {"STATE", width > 0 ? 40 : any}};
    std::vector<std::vector<std::string>> cells;
    for (const auto& row : rows) {
        cells.push_back({row.entry, row.id.empty() ? "-" : row.id,
                         row.postfix.empty() ? "-" : "sk-***" + row.postfix,
                         row.id.empty() ? "-" : expires_text(row.expires_at, now), row.scopes,
                         last_used_text(row, now),
                         row.state + (row.expiring ? " (expiring)" : "")});
    }
    std::string out = core::render_table(columns, cells, width);
    const auto& retiring = session.world.state.retiring;
    if (!retiring.empty()) {
        out += "\nRetiring after rotation:\n";
        for (const auto& r : retiring) {
            out += key_line(r.entry, r.id, r.postfix,
                            "retire after " + core::format_iso8601(r.retire_after), width);
        }
    }
    out += pending_text(session.pending, width);
    out +=
        "\n" + std::to_string(unmanaged) + " key(s) on the portal not managed by this manifest.\n";
    return out;
}

nlohmann::json to_json(const Session& session, const std::vector<Row>& rows, core::Timestamp now,
                       std::size_t unmanaged, const std::optional<std::chrono::seconds>& window) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& row : rows) {
        nlohmann::json k = {
            {"entry", row.entry},
            {"id", row.id.empty() ? nlohmann::json(nullptr) : nlohmann::json(row.id)},
            {"keyPostfix",
             row.postfix.empty() ? nlohmann::json(nullptr) : nlohmann::json(row.postfix)},
            {"scopes", row.scope_list},
            {"state", row.state},
            {"expiresAt", row.expires_at ? nlohmann::json(optional_time(row.expires_at))
                                         : nlohmann::json(nullptr)},
            {"expiresInSeconds", nullptr},
            {"expiring", row.expiring},
            {"lastUsedAt", row.last_used ? nlohmann::json(optional_time(row.last_used))
                                         : nlohmann::json(nullptr)},
            {"lastUsed", last_used_text(row, now)}};
        if (row.expires_at) {
            k["expiresInSeconds"] =
                std::chrono::duration_cast<std::chrono::seconds>(*row.expires_at - now).count();
        }
        keys.push_back(std::move(k));
    }
    nlohmann::json retiring = nlohmann::json::array();
    for (const auto& r : session.world.state.retiring) {
        retiring.push_back({{"entry", r.entry},
                            {"id", r.id},
                            {"keyPostfix", r.postfix},
                            {"retireAfter", core::format_iso8601(r.retire_after)},
                            {"expiresAt", r.expires_at ? nlohmann::json(optional_time(r.expires_at))
                                                       : nlohmann::json(nullptr)},
                            {"reason", r.reason}});
    }
    return {{"formatVersion", plan::k_json_format_version},
            {"generatedAt", core::format_iso8601(now)},
            {"keys", keys},
            {"retiring", retiring},
            {"pending", pending_json(session.pending)},
            {"unmanagedCount", unmanaged},
            {"expiringWithinSeconds",
             window ? nlohmann::json(window->count()) : nlohmann::json(nullptr)}};
}

long long unix_seconds(core::Timestamp at) {
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

}  // namespace

StatusView status_of(const Session& session, std::string manifest, core::Timestamp now,
                     std::optional<std::chrono::seconds> window) {
    StatusView view{&session, std::move(manifest), rows_of(session, now, window),
                    unmanaged_count(session.world), std::nullopt};
    if (session.world.store) {
        // The backend's own record, not the file beside the manifest: with a remote state that
        // file is absent, or a stale one left by `state migrate`.
        if (auto written = session.world.store->last_write(); written.ok()) {
            view.last_write = written.value();
        } else {
            spdlog::warn("cannot tell when the state was last written: {}",
                         written.error().message);
        }
    }
    return view;
}

bool StatusView::expiring() const {
    return std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.expiring; });
}

std::string render_status_text(const StatusView& view, core::Timestamp now, std::size_t width) {
    return render_text(*view.session, view.rows, now, view.unmanaged, width);
}

void print_status_text(const StatusView& view, core::Timestamp now) {
    std::cout << render_status_text(view, now, stdout_width());
}

nlohmann::json status_json(const StatusView& view, core::Timestamp now,
                           const std::optional<std::chrono::seconds>& window) {
    return to_json(*view.session, view.rows, now, view.unmanaged, window);
}

std::string status_prometheus(const std::vector<StatusView>& views,
                              const std::vector<FailedStatus>& failed) {
    const auto manifest_label = [](const std::string& manifest) {
        return "manifest=\"" + core::prometheus_label(manifest) + "\"";
    };
    const auto label = [&](const StatusView& view) { return manifest_label(view.manifest); };
    const auto key_labels = [&](const StatusView& view, const Row& row) {
        return label(view) + ",entry=\"" + core::prometheus_label(row.entry) + "\"";
    };
    // A manifest that failed has no other series: without this one, its keys would silently
    // drop out of the dashboards instead of raising an alert.
    std::string out = core::prometheus_gauge(
        "provision_manifest_up",
        "1 when the manifest's status was read; 0 when it failed (invalid manifest, state or "
        "portal unreadable, lock held), in which case it has no other series.");
    for (const auto& view : views) {
        out += fmt::format("provision_manifest_up{{{}}} 1\n", label(view));
    }
    for (const auto& manifest : failed) {
        out += fmt::format("provision_manifest_up{{{}}} 0\n", manifest_label(manifest.manifest));
    }
    if (!failed.empty()) {
        out += core::prometheus_gauge("provision_manifest_exit_code",
                                      "The exit code of a manifest whose status failed "
                                      "(docs/exit-codes.md).");
        for (const auto& manifest : failed) {
            out += fmt::format("provision_manifest_exit_code{{{}}} {}\n",
                               manifest_label(manifest.manifest), manifest.exit_code);
        }
    }
    out += core::prometheus_gauge(
        "provision_key_expiry_timestamp_seconds",
        "When a managed key expires (Unix time); a key that never expires has no series.");
    for (const auto& view : views) {
        for (const auto& row : view.rows) {
            if (!row.id.empty() && row.expires_at) {
                out += fmt::format("provision_key_expiry_timestamp_seconds{{{}}} {}\n",
                                   key_labels(view, row), unix_seconds(*row.expires_at));
            }
        }
    }
    out += core::prometheus_gauge(
        "provision_key_active",
        "1 when an entry's key is active and an output holds its secret; 0 when it is expired, "
        "deactivated, missing, its secret unknown or not created yet.");
    for (const auto& view : views) {
        for (const auto& row : view.rows) {
            out += fmt::format("provision_key_active{{{}}} {}\n", key_labels(view, row),
                               row.state == "active" ? 1 : 0);
        }
    }
    std::string written_series;
    for (const auto& view : views) {
        if (view.last_write) {
            written_series += fmt::format("provision_last_apply_timestamp_seconds{{{}}} {}\n",
                                          label(view), unix_seconds(*view.last_write));
        }
    }
    if (!written_series.empty()) {
        out += core::prometheus_gauge(
            "provision_last_apply_timestamp_seconds",
            "When a run last changed the state (Unix time; as its backend records it: the "
            "state file's last write, the PostgreSQL row's updated_at, the HTTP document's "
            "written).");
        out += written_series;
    }
    out += core::prometheus_gauge("provision_unmanaged_keys",
                                  "Keys on the portal this manifest's state does not know.");
    for (const auto& view : views) {
        out += fmt::format("provision_unmanaged_keys{{{}}} {}\n", label(view), view.unmanaged);
    }
    return out;
}

}  // namespace provision::cli
