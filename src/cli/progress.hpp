#pragma once
/// Progress of a run's actions, so that a slow portal is never silent. Two displays:
/// - on a terminal (stderr keeps a status line, status_line.hpp, and info is logged), a live
///   line redrawn in place: "1 of 3 done, 12s elapsed: creating 'Backup Agent' (4s), ...",
///   erased before every log line and drawn again under it, and erased at the end;
/// - elsewhere, as Terraform reports it: while an action is in flight, every 10 seconds an info
///   line on stderr, "still creating 'NAME' (10s elapsed; 1 of 3 done)".
/// Waits for the portal's rate limit are logged with the run's counts ("waiting 9.9 s for the
/// rate limit before creating 'NAME', 3 of 12 created"). Names are manifest entries; no secret
/// is ever printed.

#include "cli/status_line.hpp"
#include "provision/api/http_keys_api.hpp"
#include "provision/plan/plan.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace provision::cli {

class Progress {
public:
    /// `interval`: how often an action in flight is reported without a status line.
    explicit Progress(std::chrono::milliseconds interval = std::chrono::seconds(10));
    ~Progress();  ///< finish()
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    /// Starts reporting the actions of `plan` that change something (noops are not counted):
    /// on the default logger's status line when it has one and logs info, else every interval.
    void start(const plan::Plan& plan);

    /// Stops reporting and erases the status line: before the run's report is printed.
    void finish();

    /// apply::ApplyOptions::progress.
    void update(const plan::Action& action, bool done);

    /// api::HttpKeysApiOptions::on_rate_limit_wait: logs the wait with the run's counts once
    /// started ("..., 3 of 12 created" for a create, "..., 3 of 12 done" otherwise) and shows it
    /// on the status line while it lasts.
    void rate_limit_wait(const api::RateLimitWait& wait);

private:
    using Clock = std::chrono::steady_clock;
    using Lock = std::unique_lock<std::mutex>;
    struct InFlight {
        Clock::time_point started;
        long long reported = 0;  ///< intervals already reported
    };
    void watch();
    void report_long_actions(const Lock& lock, Clock::time_point now);
    void draw(const Lock& lock, Clock::time_point now);

    std::chrono::milliseconds m_interval;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_started = false;
    bool m_stopping = false;
    Clock::time_point m_start;
    std::size_t m_total = 0;  ///< actions that change something
    std::size_t m_done = 0;
    std::size_t m_creates = 0;  ///< creates and replaces among them
    std::size_t m_created = 0;
    std::map<const plan::Action*, InFlight> m_in_flight;
    std::optional<Clock::time_point> m_waiting_until;  ///< the last rate-limit wait's end
    std::shared_ptr<StatusLineSink> m_line;            ///< null: no live line
    std::thread m_thread;
};

}  // namespace provision::cli
