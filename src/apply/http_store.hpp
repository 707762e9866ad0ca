#pragma once
// The Terraform HTTP backend protocol as a state backend (state_store.hpp, docs/state.md
// "HTTP (Terraform's protocol)"): a GitLab project's Terraform state API, or any server that
// speaks the protocol.

#include "provision/apply/state_store.hpp"

namespace provision::apply {

/// The backend at `address` (http:// or https://), set up from the environment:
/// PROVISION_HTTP_LOCK_ADDRESS / _UNLOCK_ADDRESS / _LOCK_METHOD / _UNLOCK_METHOD /
/// _UPDATE_METHOD, and PROVISION_HTTP_USERNAME / _PASSWORD for basic authentication.
core::Result<std::shared_ptr<StateStore>> open_http_store(const std::string& address);

}  // namespace provision::apply
