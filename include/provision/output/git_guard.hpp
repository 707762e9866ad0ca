#pragma once
/// Keeping plaintext secrets out of git (reliability F.22): a plaintext output may not be
/// tracked by git, nor sit inside a git work tree where git would not ignore it, unless the
/// output says `allowGit: true`. Encrypted outputs are exempt: they are meant to be committed.

#include "provision/core/result.hpp"
#include "provision/manifest/manifest.hpp"

#include <string>
#include <vector>

namespace provision::output {

/// Ok when `spec` is encrypted, allows git, is outside any git work tree, or is ignored and
/// untracked there; also ok when no `git` program is installed. Otherwise an error naming the
/// path and the ways out (add it to .gitignore, encrypt it, or set allowGit: true).
core::Status check_git_safe(const manifest::OutputSpec& spec);

/// check_git_safe for every output; one message per refused output (empty = all safe).
std::vector<std::string> git_refusals(const manifest::Manifest& manifest);

}  // namespace provision::output
