#pragma once
/// Progress of a run's actions, as Terraform reports it: while an action is in flight, every
/// 10 seconds an info line on stderr, "still creating 'NAME' (10s elapsed; 1 of 3 done)", so
/// a slow portal is never silent. Names are manifest entries; no secret is ever printed.

#include "provision/plan/plan.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace provision::cli {

class Progress {
public:
    /// `total`: the actions that change something (noops are not counted or reported).
    explicit Progress(std::size_t total,
                      std::chrono::milliseconds interval = std::chrono::seconds(10));
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    /// apply::ApplyOptions::progress.
    void update(const plan::Action& action, bool done);

private:
    struct InFlight {
        std::chrono::steady_clock::time_point started;
        long long reported = 0;  ///< intervals already reported
    };
    void watch();

    std::chrono::milliseconds m_interval;
    std::size_t m_total;
    std::size_t m_done = 0;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    std::map<const plan::Action*, InFlight> m_in_flight;
    std::thread m_thread;
};

}  // namespace provision::cli
