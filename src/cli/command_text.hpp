#pragma once
/// The texts the subcommands print besides plans, reports and tables, as functions of what the
/// run found: `validate`'s verdict, what `destroy` and `import` say after their report and what
/// `state migrate` and `state unlock` say. The commands print exactly these strings, and the
/// golden tests (tests/unit/cli_golden_test.cpp) render them with fixed inputs, so a change of
/// wording is a reviewed change of tests/data/golden/.

#include "provision/apply/state_store.hpp"
#include "provision/manifest/manifest.hpp"
#include "provision/plan/plan.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace provision::cli {

/// "FILE: valid (N key(s), M output(s))\n".
std::string validate_text(const std::string& file, const manifest::Manifest& manifest);

/// `validate --output json`'s document (docs/json-output.md#validate).
nlohmann::json validate_json(const std::string& file, const manifest::Manifest& manifest);

/// What `destroy` prints after its report: the outputs and the state at `state_location` were
/// removed (`complete`), or the state keeps what was not deleted.
std::string destroy_outcome_text(bool complete, const std::string& state_location);

/// What `import` prints after its report: the key `action` bound and whether its secret was
/// verified (`with_secret`) or is unknown.
std::string import_outcome_text(const plan::Action& action, bool with_secret);

/// What `state migrate` prints: `moved` from `from` to `to`; `to_given` is --to as given
/// (shown with its password redacted).
std::string migrate_text(const std::string& manifest, const apply::Migration& moved,
                         const std::string& from, const std::string& to,
                         const std::string& to_given);

/// `state unlock` when the state at `location` holds no lock.
std::string not_locked_text(const std::string& location);

/// `state unlock`'s warning on a terminal before it asks: the lock `held` of `location`.
std::string locked_text(const std::string& location, const apply::HeldLock& held);

/// `state unlock` once the lock `held` of `location` is released.
std::string released_text(const std::string& location, const apply::HeldLock& held);

}  // namespace provision::cli
