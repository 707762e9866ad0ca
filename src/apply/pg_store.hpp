#pragma once
// The PostgreSQL state backend (state_store.hpp, docs/state.md "PostgreSQL"): libpq, linked
// to this module only.

#include "provision/apply/state_store.hpp"

namespace provision::apply {

/// Connects to `url` (a libpq URI; a `#name` fragment is the state's name and overrides
/// `name`) and creates the backend's tables when they are missing.
core::Result<std::shared_ptr<StateStore>> open_pg_store(const std::string& url,
                                                        const std::string& name);

}  // namespace provision::apply
