#pragma once
/// Model binding for the keys request bodies, as ASP.NET Core with System.Text.Json web
/// defaults does it: case-insensitive property names (last one wins), numbers accepted as
/// strings, unknown properties ignored; then the DataAnnotations of the DTOs.

#include "responses.hpp"

#include <optional>
#include <string>
#include <vector>

namespace emulator {

struct CreateKeyInput {
    std::string name;
    std::optional<std::vector<std::string>> permissions;
    std::optional<int> expires_in_days;
};

struct UpdateKeyInput {
    std::optional<std::string> name;
    std::optional<std::vector<std::string>> permissions;
    std::optional<bool> is_active;
};

/// Binds and validates a create body; the returned errors are empty on success.
ValidationErrors bind_create(const std::string& body, CreateKeyInput& out);
/// Binds and validates an update body; the returned errors are empty on success.
ValidationErrors bind_update(const std::string& body, UpdateKeyInput& out);

/// True for the media types the JSON input formatter reads (application/json, text/json,
/// application/*+json), parameters ignored.
bool is_json_content_type(const std::string& content_type);

/// The 11 scopes of `GET keys/permissions`, in the server's order.
const std::vector<std::string>& scope_catalogue();
/// True when every entry is exactly one of the catalogue's strings.
bool valid_scopes(const std::vector<std::string>& scopes);
/// True when the UTF-8 text has a character outside the Basic Multilingual Plane, which a
/// MySQL `utf8` (utf8mb3) column cannot store.
bool has_four_byte_character(const std::string& text);

}  // namespace emulator
