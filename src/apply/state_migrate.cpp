// Moving a state between backends (state_store.hpp, migrate_state): `provision state migrate`.

#include "provision/apply/journal.hpp"
#include "provision/apply/lock.hpp"
#include "provision/apply/state_store.hpp"

#include <optional>
#include <sstream>

namespace provision::apply {

namespace {

/// The lock of `store`: a remote backend's own, the flock beside a state file.
core::Result<std::optional<RunLock>> lock_store(StateStore& store,
                                                std::chrono::milliseconds timeout) {
    if (store.is_file()) {
        auto lock = RunLock::acquire(lock_path_for(store.location()), timeout);
        if (!lock.ok()) {
            return lock.error();
        }
        return std::optional<RunLock>(std::move(lock.value()));
    }
    if (auto locked = store.lock(timeout); !locked.ok()) {
        return locked.error();
    }
    return std::optional<RunLock>();
}

core::Error refused(const std::string& message) {
    return core::make_error(core::Errc::invalid_input, message);
}

}  // namespace

core::Result<Migration> migrate_state(StateStore& from, StateStore& to,
                                      std::chrono::milliseconds lock_timeout) {
    auto from_lock = lock_store(from, lock_timeout);
    if (!from_lock.ok()) {
        return from_lock.error();
    }
    auto to_lock = lock_store(to, lock_timeout);
    if (!to_lock.ok()) {
        return to_lock.error();
    }
    auto text = from.load_text();
    if (!text.ok()) {
        return text.error();
    }
    if (!text.value()) {
        return refused(from.location() + " holds no state: nothing to migrate");
    }
    auto state = from.load();
    if (!state.ok()) {
        return state.error();
    }
    auto existing = to.load_text();
    if (!existing.ok()) {
        return existing.error();
    }
    if (existing.value() && *existing.value() != state::serialize_state(state.value())) {
        return refused(to.location() +
                       " already holds a different state, which may be newer "
                       "than " +
                       from.location() +
                       "'s; nothing was changed. Compare the two, and remove the one to discard "
                       "before migrating");
    }
    auto journal = from.read_journal();
    if (!journal.ok()) {
        return journal.error();
    }
    auto target_journal = to.read_journal();
    if (!target_journal.ok()) {
        return target_journal.error();
    }
    // The destination's own interrupted creates (not a copy of these, from a migration that
    // was interrupted) are settled where they are.
    if (target_journal.value() && target_journal.value() != journal.value() &&
        !parse_journal(*target_journal.value()).pending.empty()) {
        return refused(to.location() + " has a journal with interrupted creates pending; run "
                                       "`provision apply` against it to settle them first");
    }
    auto sealed = from.read_sealed();
    if (!sealed.ok()) {
        return sealed.error();
    }
    Migration moved;
    if (auto cleared = to.clear_journal(); !cleared.ok()) {
        return cleared.error();
    }
    if (journal.value()) {
        std::istringstream lines(*journal.value());
        for (std::string line; std::getline(lines, line);) {
            if (line.empty()) {
                continue;
            }
            if (auto appended = to.append_journal(line); !appended.ok()) {
                return appended.error();
            }
            ++moved.journal_records;
        }
    }
    for (const auto& [entry, secret] : sealed.value()) {
        if (auto written = to.write_sealed(entry, secret); !written.ok()) {
            return written.error();
        }
        ++moved.sealed;
    }
    if (auto saved = to.save(state.value()); !saved.ok()) {
        return saved.error();
    }
    moved.keys = state.value().keys.size();
    return moved;
}

}  // namespace provision::apply
