/// Output dispatch and the file-system side of outputs: reading every output back, writing one
/// safely, and the preflight probe.
///
/// A destination is safe when it is absent or a regular file owned by the current user, checked
/// with lstat so a symlink is seen as a symlink (never followed). Missing parent directories
/// are created 0700, since they exist to hold secrets. The write itself is
/// core::write_file_atomic (0600 temp file, fsync, rename, fsync of the directory). An encrypted
/// output is rendered the same way, encrypted by age (output/age.cpp) and written by the same
/// path, followed by its fingerprint index; it is read back only when an identity is set.

#include "output/formats.hpp"

#include "provision/core/atomic_file.hpp"
#include "provision/output/age.hpp"
#include "provision/output/git_guard.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <set>

namespace provision::output {

namespace {

core::Error invalid(const std::string& message) {
    return core::make_error(core::Errc::invalid_input, message);
}

const char* format_name(manifest::OutputFormat format) {
    switch (format) {
    case manifest::OutputFormat::dotenv:
        return "dotenv";
    case manifest::OutputFormat::json:
        return "json";
    case manifest::OutputFormat::yaml:
        return "yaml";
    case manifest::OutputFormat::k8s_secret:
        return "kubernetes";
    }
    return "unknown";
}

bool is_dns_name(std::string_view name, std::size_t max, bool allow_dots) {
    if (name.empty() || name.size() > max) {
        return false;
    }
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                        (allow_dots && c == '.');
        if (!ok) {
            return false;
        }
    }
    const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    return alnum(name.front()) && alnum(name.back());
}

/// Checks what every format needs before rendering: unique, non-empty variable names and text
/// the format can carry. Messages name entries and variables, never values.
std::optional<core::Error> check_records(const manifest::OutputSpec& spec,
                                         const std::vector<SecretRecord>& records) {
    const std::string where = "output " + spec.path.string() + ": ";
    std::set<std::string_view> seen;
    const bool k8s = spec.format == manifest::OutputFormat::k8s_secret;
    if (k8s && !is_dns_name(spec.k8s_name, 253, true)) {
        return invalid(where + "the Secret name \"" + spec.k8s_name +
                       "\" is not a valid Kubernetes name (lower-case letters, digits, '-', '.')");
    }
    if (k8s && !spec.k8s_namespace.empty() && !is_dns_name(spec.k8s_namespace, 63, false)) {
        return invalid(where + "the namespace \"" + spec.k8s_namespace +
                       "\" is not a valid Kubernetes namespace");
    }
    for (const auto& record : records) {
        if (record.env.empty()) {
            return invalid(where + "entry \"" + record.entry + "\" has no variable name");
        }
        if (!seen.insert(record.env).second) {
            return invalid(where + "variable " + record.env + " is used by two entries");
        }
        if (spec.format == manifest::OutputFormat::dotenv) {
            continue;  // render_dotenv checks names; values may be any bytes but NUL
        }
        if (k8s &&
            record.env.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789-._") != std::string::npos) {
            return invalid(
                where + "variable name \"" + record.env +
                "\" is not a valid Kubernetes Secret key (letters, digits, '-', '_', '.')");
        }
        const bool binary_ok = k8s && !spec.k8s_string_data;
        const bool text_ok =
            detail::is_valid_utf8(record.env) && detail::is_valid_utf8(record.entry) &&
            detail::is_valid_utf8(record.id) && detail::is_valid_utf8(record.name) &&
            detail::is_valid_utf8(record.postfix) &&
            std::all_of(record.permissions.items.begin(), record.permissions.items.end(),
                        [](const std::string& s) { return detail::is_valid_utf8(s); });
        if (!text_ok) {
            return invalid(where + "the metadata of entry \"" + record.entry +
                           "\" is not valid UTF-8, which this format cannot carry");
        }
        if (!binary_ok && !detail::is_valid_utf8(record.secret.reveal())) {
            return invalid(where + "the value of " + record.env +
                           " is not valid UTF-8, which this format cannot carry");
        }
    }
    return std::nullopt;
}

/// Creates every missing directory above path with mode 0700.
core::Status ensure_parent_dirs(const std::filesystem::path& path) {
    const std::filesystem::path parent = path.parent_path();
    if (parent.empty()) {
        return core::ok_status();
    }
    std::filesystem::path current;
    for (const auto& part : parent) {
        current /= part;
        struct stat st {};
        if (::stat(current.c_str(), &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                return invalid("cannot write output " + path.string() + ": " + current.string() +
                               " is not a directory; choose another path");
            }
            continue;
        }
        if (errno != ENOENT || (::mkdir(current.c_str(), 0700) != 0 && errno != EEXIST)) {
            return detail::io_error("cannot create directory " + current.string() + " for output " +
                                    path.string() + ": " + std::strerror(errno) +
                                    "; create it yourself or choose another path");
        }
    }
    return core::ok_status();
}

core::Status probe_directory(const std::filesystem::path& path) {
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
    static std::atomic<unsigned> counter{0};
    const std::string stem = "." + path.filename().string() + ".provision-probe-" +
                             std::to_string(::getpid()) + "-" + std::to_string(++counter);
    const std::filesystem::path first = dir / (stem + "-a");
    const std::filesystem::path second = dir / (stem + "-b");
    const auto fail = [&](const char* step) {
        const int err = errno;
        ::unlink(first.c_str());
        ::unlink(second.c_str());
        return detail::io_error(
            "output " + path.string() + " cannot be written atomically: " + step + " in " +
            dir.string() + " failed (" + std::strerror(err) +
            "); make the directory writable by this user or choose another path");
    };
    const int fd =
        ::open(first.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return fail("creating a temporary file");
    }
    const bool written = ::write(fd, "probe\n", 6) == 6 && ::fsync(fd) == 0;
    if (::close(fd) != 0 || !written) {
        return fail("writing and syncing a temporary file");
    }
    if (::rename(first.c_str(), second.c_str()) != 0) {
        return fail("renaming a temporary file");
    }
    if (::unlink(second.c_str()) != 0) {
        return fail("removing a temporary file");
    }
    return core::ok_status();
}

/// An output's plain text: the file itself, or for an encrypted output its decryption.
/// nullopt when the file is absent, or encrypted and no identity is set (its fingerprint index
/// then speaks for it; see read_sealed_fingerprints).
core::Result<std::optional<core::Secret>> read_output_text(const manifest::OutputSpec& spec) {
    // Never read through a symlink or from a FIFO (which would block) or another user's file.
    if (auto safe = check_output_destination(spec.path); !safe) {
        return safe.error();
    }
    auto text = core::read_file_if_exists(spec.path);
    if (!text) {
        return text.error();
    }
    if (!text->has_value()) {
        return std::optional<core::Secret>{};
    }
    if (spec.age_recipients.empty()) {
        return std::optional<core::Secret>{core::Secret{std::move(**text)}};
    }
    const auto identity = age_identity_from_env();
    if (!identity) {
        return std::optional<core::Secret>{};
    }
    auto plain = age_decrypt(spec.path, *identity);
    if (!plain) {
        return plain.error();
    }
    return std::optional<core::Secret>{std::move(*plain)};
}

/// Writes an encrypted output: the ciphertext, then its fingerprint index.
core::Status write_encrypted(const manifest::OutputSpec& spec,
                             const std::vector<SecretRecord>& records, const std::string& text) {
    auto encrypted = age_encrypt(spec.age_recipients, text);
    if (!encrypted) {
        return core::make_error(encrypted.error().code,
                                "output " + spec.path.string() + ": " + encrypted.error().message);
    }
    core::WriteOptions options;
    options.mode = 0600;
    options.refuse_symlink = true;
    if (auto written = core::write_file_atomic(spec.path, *encrypted, options); !written) {
        return written;
    }
    return core::write_file_atomic(age_index_path(spec.path),
                                   render_age_index(age_index_for(records, text)), options);
}

}  // namespace

AgeIndex age_index_for(const std::vector<SecretRecord>& records, std::string_view text) {
    AgeIndex index;
    index.content_fingerprint = core::Secret{std::string(text)}.fingerprint();
    for (const auto& record : records) {
        index.keys[record.env] = {record.entry, record.secret.fingerprint()};
    }
    return index;
}

core::Result<std::string> render_output(const manifest::OutputSpec& spec,
                                        const std::vector<SecretRecord>& records) {
    if (auto error = check_records(spec, records)) {
        return *error;
    }
    core::Result<std::string> text = core::make_error(core::Errc::internal, "unknown format");
    switch (spec.format) {
    case manifest::OutputFormat::dotenv:
        text = detail::render_dotenv(records);
        break;
    case manifest::OutputFormat::json:
        text = detail::render_json(records);
        break;
    case manifest::OutputFormat::yaml:
        text = detail::render_yaml(records);
        break;
    case manifest::OutputFormat::k8s_secret:
        text = detail::render_k8s_secret(spec, records);
        break;
    }
    if (!text) {
        return invalid("output " + spec.path.string() + ": " + text.error().message);
    }
    return text;
}

core::Result<std::map<std::string, core::Secret>> parse_output(const manifest::OutputSpec& spec,
                                                               std::string_view text) {
    core::Result<detail::SecretMap> values =
        core::make_error(core::Errc::internal, "unknown output format");
    switch (spec.format) {
    case manifest::OutputFormat::dotenv:
        values = detail::parse_dotenv(text);
        break;
    case manifest::OutputFormat::json:
        values = detail::parse_json(text);
        break;
    case manifest::OutputFormat::yaml:
        values = detail::parse_yaml(text);
        break;
    case manifest::OutputFormat::k8s_secret:
        values = detail::parse_k8s_secret(text);
        break;
    }
    if (!values) {
        // The readers report "LINE:COLUMN: what was expected" and never quote the file, which
        // is full of secrets; the path in front makes it a compiler-style location.
        core::Error error = values.error();
        error.message = spec.path.string() + ":" + error.message;
        return error;
    }
    return values;
}

namespace {

/// One output's variables, parsed. Empty when the file is absent or cannot be decrypted.
/// `fingerprint`, when given, receives the fingerprint of the text read (nullopt: absent).
core::Result<std::map<std::string, core::Secret>>
read_one_output(const manifest::OutputSpec& spec,
                std::optional<std::string>* fingerprint = nullptr) {
    auto text = read_output_text(spec);
    if (!text) {
        return text.error();
    }
    if (fingerprint != nullptr && text->has_value()) {
        *fingerprint = (*text)->fingerprint();
    }
    if (!text->has_value()) {
        return std::map<std::string, core::Secret>{};
    }
    auto values = parse_output(spec, (*text)->reveal());
    if (!values) {
        return invalid("cannot read back " + std::string(format_name(spec.format)) + " output " +
                       values.error().message +
                       "; fix or delete the file (a deleted output's keys will need rotating)");
    }
    return values;
}

}  // namespace

core::Result<HeldSecrets> read_held_secrets(const manifest::Manifest& m) {
    HeldSecrets held;
    for (const auto& spec : m.outputs) {
        std::optional<std::string> fingerprint;
        auto values = read_one_output(spec, &fingerprint);
        if (!values) {
            return values.error();
        }
        if (spec.age_recipients.empty()) {
            held.text_fingerprints[spec.path.string()] = std::move(fingerprint);
        }
        for (const auto& key : m.keys) {
            if (!spec.selects(key.name)) {
                continue;
            }
            const auto found = values->find(manifest::env_name(spec, key));
            if (found == values->end()) {
                continue;
            }
            auto& candidates = held.by_entry[key.name];
            if (!found->second.empty()) {
                held.entries_by_output[spec.path_as_written].insert(key.name);
            }
            if (!found->second.empty() && std::find(candidates.begin(), candidates.end(),
                                                    found->second) == candidates.end()) {
                candidates.push_back(found->second);
            }
            values->erase(found);
        }
        for (const auto& [variable, value] : *values) {
            held.foreign.push_back({spec.path_as_written, variable, value.fingerprint()});
        }
    }
    std::erase_if(held.by_entry, [](const auto& item) { return item.second.empty(); });
    return held;
}

core::Result<std::map<std::string, core::Secret>> read_known_secrets(const manifest::Manifest& m) {
    std::map<std::string, core::Secret> secrets;
    std::map<std::string, std::string> source;  // entry -> file its secret came from
    for (const auto& spec : m.outputs) {
        auto values = read_one_output(spec);
        if (!values) {
            return values.error();
        }
        for (const auto& key : m.keys) {
            const auto found = values->find(manifest::env_name(spec, key));
            if (!spec.selects(key.name) || found == values->end() || found->second.empty()) {
                continue;
            }
            const auto [it, inserted] = secrets.emplace(key.name, found->second);
            if (inserted) {
                source[key.name] = spec.path.string();
            } else if (!(it->second == found->second)) {
                return invalid("outputs " + source[key.name] + " and " + spec.path.string() +
                               " hold different secrets for entry \"" + key.name +
                               "\"; delete the stale one or restore both from the same run");
            }
        }
    }
    return secrets;
}

core::Status check_output_destination(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) {
            return core::ok_status();
        }
        return detail::io_error("cannot inspect output " + path.string() + ": " +
                                std::strerror(errno));
    }
    // Each of these is a problem with the user's files, not a failure of the run: exit 3.
    if (S_ISLNK(st.st_mode)) {
        return invalid("refusing to use output " + path.string() +
                       ": it is a symbolic link; point the manifest at the real file instead");
    }
    if (S_ISDIR(st.st_mode)) {
        return invalid("refusing to use output " + path.string() +
                       ": it is a directory; give the path of a file inside it instead");
    }
    if (!S_ISREG(st.st_mode)) {
        return invalid("refusing to use output " + path.string() +
                       ": it is not a regular file (it is " + core::file_type_name(st.st_mode) +
                       "); remove it or choose another path");
    }
    if (st.st_uid != ::geteuid()) {
        return invalid("refusing to use output " + path.string() + ": it is owned by uid " +
                       std::to_string(st.st_uid) + ", not by this user (uid " +
                       std::to_string(::geteuid()) + "); remove it or choose another path");
    }
    return core::ok_status();
}

core::Status write_output(const manifest::OutputSpec& spec,
                          const std::vector<SecretRecord>& records, const core::Secret* rendered) {
    const bool encrypted = !spec.age_recipients.empty();
    if (auto safe = check_output_destination(spec.path); !safe) {
        return safe;
    }
    if (encrypted) {
        if (auto safe = check_output_destination(age_index_path(spec.path)); !safe) {
            return safe;
        }
    }
    if (auto dirs = ensure_parent_dirs(spec.path); !dirs) {
        return dirs;
    }
    std::optional<core::Secret> own;
    if (rendered == nullptr) {
        auto text = render_output(spec, records);
        if (!text) {
            return text.error();
        }
        rendered = &own.emplace(std::move(*text));
    }
    if (encrypted) {
        return write_encrypted(spec, records, rendered->reveal());
    }
    core::WriteOptions options;
    options.mode = 0600;
    options.refuse_symlink = true;
    return core::write_file_atomic(spec.path, rendered->reveal(), options);
}

core::Status check_output_writable(const manifest::OutputSpec& spec) {
    if (auto git_safe = check_git_safe(spec); !git_safe) {
        return git_safe;
    }
    if (auto dirs = ensure_parent_dirs(spec.path); !dirs) {
        return dirs;
    }
    if (auto safe = check_output_destination(spec.path); !safe) {
        return safe;
    }
    if (!spec.age_recipients.empty()) {
        if (auto safe = check_output_destination(age_index_path(spec.path)); !safe) {
            return safe;
        }
        if (auto age = check_age_available(); !age) {
            return age;
        }
    }
    return probe_directory(spec.path);
}

}  // namespace provision::output
