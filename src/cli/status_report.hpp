#pragma once
/// What `provision status` shows for one manifest, computed once from its session and rendered
/// as a table, JSON (docs/json-output.md#status) or node_exporter's textfile-collector format.
/// A run of several manifests renders one view per manifest; Prometheus's form takes them all,
/// so that each metric is declared once.

#include "cli/session.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace provision::cli {

/// One row: a managed key, or a manifest entry not created yet.
struct StatusRow {
    std::string entry, id, postfix, scopes, state;
    std::optional<core::Timestamp> expires_at;
    bool expiring = false;
    bool on_portal = false;                    ///< the key was listed; last_used is known
    std::optional<core::Timestamp> last_used;  ///< nullopt = never used
    std::vector<std::string> scope_list;       ///< the scopes, ["*"] for unrestricted
};

struct StatusView {
    const Session* session = nullptr;
    std::string manifest;  ///< the manifest as given (Prometheus's `manifest` label)
    std::vector<StatusRow> rows;
    std::size_t unmanaged =
        0;  ///< keys on the portal the state knows neither as current nor retiring
    /// When a run last wrote the state, as its backend records it (StateStore::last_write);
    /// nullopt without a state, or when the backend could not say.
    std::optional<core::Timestamp> last_write;

    /// Whether a row expires within --expiring-within.
    bool expiring() const;
};

/// The rows of `session` in manifest order (entries the manifest no longer has last), each
/// marked expiring when it expires within `window` of `now`.
StatusView status_of(const Session& session, std::string manifest, core::Timestamp now,
                     std::optional<std::chrono::seconds> window);

/// The table, the retiring keys, the interrupted creates and the unmanaged count. `width`: the
/// terminal's columns, which the table fits (long cells end in "..."); 0 when piped: every
/// cell whole.
std::string render_status_text(const StatusView& view, core::Timestamp now, std::size_t width);

/// render_status_text on stdout, at stdout_width().
void print_status_text(const StatusView& view, core::Timestamp now);

/// The `status` JSON document of one manifest.
nlohmann::json status_json(const StatusView& view, core::Timestamp now,
                           const std::optional<std::chrono::seconds>& window);

/// A manifest of a run of several whose status could not be read.
struct FailedStatus {
    std::string manifest;  ///< as given
    int exit_code = 0;
};

/// Whether each manifest's status was read (`provision_manifest_up`, 1 for each view, 0 with
/// `provision_manifest_exit_code` for each of `failed`), then expiry and activity per key, the
/// last write of each state and the unmanaged counts, labelled by manifest and entry; each
/// metric declared once for every view.
std::string status_prometheus(const std::vector<StatusView>& views,
                              const std::vector<FailedStatus>& failed = {});

}  // namespace provision::cli
