// Public entry points of the manifest loader. load_manifest reads the file with hard limits
// (regular file, at most 16 MiB, read through one descriptor so the checks and the read see the
// same file), then the text goes through the stages in loader.hpp. Nothing escapes as an
// exception: an unexpected failure becomes one more diagnostic.

#include "loader.hpp"
#include "schema.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace provision::manifest {
namespace {

std::string_view without_bom(std::string_view text) {
    constexpr std::string_view k_bom = "\xEF\xBB\xBF";
    return text.substr(0, k_bom.size()) == k_bom ? text.substr(k_bom.size()) : text;
}

LoadResult file_problem(const std::filesystem::path& file, std::string message) {
    core::Diagnostic d;
    d.file = file.string();
    d.message = std::move(message);
    LoadResult result;
    result.diagnostics.push_back(std::move(d));
    return result;
}

/// Closes a descriptor on scope exit.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : m_fd(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    int get() const noexcept { return m_fd; }

private:
    int m_fd;
};

}  // namespace

const char* to_string(OutputFormat format) noexcept {
    switch (format) {
    case OutputFormat::dotenv:
        return "dotenv";
    case OutputFormat::json:
        return "json";
    case OutputFormat::yaml:
        return "yaml";
    case OutputFormat::k8s_secret:
        return "kubernetes";
    }
    return "unknown";
}

std::string env_name(const OutputSpec& output, const KeySpec& key) {
    return output.env_prefix + key.env;
}

bool OutputSpec::selects(std::string_view entry) const {
    return keys.empty() || std::find(keys.begin(), keys.end(), entry) != keys.end();
}

const KeySpec* Manifest::find_key(std::string_view name) const {
    for (const auto& key : keys) {
        if (key.name == name) {
            return &key;
        }
    }
    return nullptr;
}

std::filesystem::path default_state_path(const std::filesystem::path& file) {
    auto path = (detail::manifest_dir(file) / file.stem()).lexically_normal();
    path += ".state.json";
    return path;
}

bool is_state_url(std::string_view location) {
    return location.starts_with("postgresql://") || location.starts_with("postgres://") ||
           location.starts_with("http://") || location.starts_with("https://");
}

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) {
            return std::nullopt;
        }
        return std::string(value);
    };
}

std::string default_env_name(std::string_view key_name) {
    std::string out;
    for (const char c : key_name) {
        const bool alnum =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (alnum) {
            out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        } else if (!out.empty() && out.back() != '_') {
            out += '_';
        }
    }
    while (!out.empty() && out.back() == '_') {
        out.pop_back();
    }
    if (out.empty()) {
        out = "KEY";
    } else if (out[0] >= '0' && out[0] <= '9') {
        out.insert(out.begin(), '_');
    }
    return out + "_API_KEY";
}

LoadResult load_manifest_text(std::string_view text, const std::filesystem::path& file,
                              const EnvLookup& env, bool offline) {
    LoadResult result;
    try {
        text = without_bom(text);
        detail::DiagnosticSink sink(file.string(), text);
        sink.unset_variables_are_warnings = offline;
        if (detail::check_bytes(text, sink) && detail::scan_subset(text, sink)) {
            if (const auto tree = detail::parse_tree(text, sink)) {
                Manifest manifest = detail::build_manifest(*tree, text, file, env, sink);
                if (!sink.has_errors()) {
                    result.manifest = std::move(manifest);
                }
            }
        }
        result.diagnostics = sink.take();
    } catch (const std::exception& e) {
        result = file_problem(file, std::string("internal error while loading the manifest: ") +
                                        e.what());
    }
    return result;
}

LoadResult load_manifest(const std::filesystem::path& file, const EnvLookup& env, bool offline) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
    const FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0) {
        return file_problem(file, std::string("cannot open the manifest: ") + std::strerror(errno));
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) {
        return file_problem(file, std::string("cannot read the manifest: ") + std::strerror(errno));
    }
    if (S_ISDIR(info.st_mode)) {
        return file_problem(file, "this is a directory; give the path of a manifest file");
    }
    if (!S_ISREG(info.st_mode)) {
        return file_problem(file, "not a regular file; a manifest must be a plain file");
    }
    if (static_cast<std::size_t>(info.st_size) > detail::k_max_file_bytes) {
        return file_problem(file, "the manifest is larger than the limit of 16 MiB (" +
                                      std::to_string(detail::k_max_file_bytes) +
                                      " bytes); split it into several manifests");
    }
    std::string text;
    char buffer[65536];
    while (text.size() <= detail::k_max_file_bytes) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return file_problem(file,
                                std::string("cannot read the manifest: ") + std::strerror(errno));
        }
        if (n == 0) {
            break;
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
    // A file that grew after fstat is caught by the size check in load_manifest_text.
    return load_manifest_text(text, file, env, offline);
}

}  // namespace provision::manifest
