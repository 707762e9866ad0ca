/// Removing the temporary files a killed run left behind.
///
/// The match is exact on purpose: only the names this tool generates for the files this run
/// owns, so a user's `notes.tmp-abcdefghij`, another tool's `.bots.env.tmp-short` or the
/// temporary file of an output this manifest does not list is never touched. The directory is
/// listed once per directory, and each candidate is checked with lstat just before unlink, so a
/// symlink or a directory with a matching name stays where it is.

#include "provision/apply/leftovers.hpp"

#include "provision/apply/recovery.hpp"

#include "provision/output/age.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

namespace provision::apply {

namespace {

bool is_suffix_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_digits(std::string_view text) noexcept {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// `<pid>-<n>-a` or `<pid>-<n>-b`.
bool is_probe_tail(std::string_view tail) noexcept {
    if (tail.size() < 5 || (!tail.ends_with("-a") && !tail.ends_with("-b"))) {
        return false;
    }
    tail.remove_suffix(2);
    const auto dash = tail.find('-');
    return dash != std::string_view::npos && is_digits(tail.substr(0, dash)) &&
           is_digits(tail.substr(dash + 1));
}

}  // namespace

bool is_leftover_of(std::string_view name, std::string_view owned) {
    if (owned.empty() || !name.starts_with('.') || !name.substr(1).starts_with(owned)) {
        return false;
    }
    const std::string_view rest = name.substr(1 + owned.size());
    constexpr std::string_view k_temp = ".tmp-";
    constexpr std::string_view k_probe = ".provision-probe-";
    if (rest.starts_with(k_temp)) {
        const std::string_view suffix = rest.substr(k_temp.size());
        return suffix.size() == 10 && std::all_of(suffix.begin(), suffix.end(), is_suffix_char);
    }
    if (rest.starts_with(k_probe)) {
        return is_probe_tail(rest.substr(k_probe.size()));
    }
    return false;
}

std::vector<std::filesystem::path> owned_files(const manifest::Manifest& manifest,
                                               const std::vector<std::filesystem::path>& extra) {
    std::vector<std::filesystem::path> files;
    for (const auto& spec : manifest.outputs) {
        files.push_back(spec.path);
        if (!spec.age_recipients.empty()) {
            files.push_back(output::age_index_path(spec.path));
        }
    }
    files.push_back(manifest.state_path);
    files.push_back(recovery_path_for(manifest.state_path));
    files.insert(files.end(), extra.begin(), extra.end());
    return files;
}

std::vector<std::filesystem::path>
remove_leftovers(const RunLock& /*lock*/, const std::vector<std::filesystem::path>& owned) {
    std::map<std::filesystem::path, std::set<std::string>> names_by_dir;
    for (const auto& file : owned) {
        if (file.has_filename()) {
            const auto dir = file.has_parent_path() ? file.parent_path() : ".";
            names_by_dir[dir].insert(file.filename().string());
        }
    }
    std::vector<std::filesystem::path> removed;
    for (const auto& [dir, names] : names_by_dir) {
        std::error_code ec;
        std::filesystem::directory_iterator it(dir, ec);
        if (ec) {
            continue;  // absent or unreadable: nothing of ours can be there, or nothing to do
        }
        for (const auto& entry : it) {
            const std::string name = entry.path().filename().string();
            const bool ours =
                std::any_of(names.begin(), names.end(), [&](const std::string& owned_name) {
                    return is_leftover_of(name, owned_name);
                });
            struct stat st {};
            if (!ours || ::lstat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
                continue;
            }
            if (::unlink(entry.path().c_str()) != 0) {
                spdlog::warn("cannot remove leftover temporary file {}: {}", entry.path().string(),
                             std::strerror(errno));
                continue;
            }
            spdlog::debug("removed leftover temporary file {}", entry.path().string());
            removed.push_back(entry.path());
        }
    }
    return removed;
}

}  // namespace provision::apply
