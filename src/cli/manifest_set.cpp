// A run of several manifests (manifest_set.hpp): from the arguments to one prepared session per
// manifest. The steps, each leaving a manifest that fails behind with its error and exit code:
// find the manifests (a directory's YAML files, less the outputs its manifests write), load
// them, refuse two that share a state, give each its portal's client (one per portal URL and
// credential, its reads shared), then prepare them in the order of their state locations.

#include "cli/manifest_set.hpp"

#include "provision/api/http_keys_api.hpp"
#include "provision/api/shared_reads.hpp"
#include "provision/apply/state_store.hpp"
#include "provision/core/interrupt.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <set>

namespace provision::cli {

namespace {

namespace fs = std::filesystem;

/// A file to run as a manifest, and whether a directory argument found it.
struct Candidate {
    std::string file;
    bool from_directory = false;
};

/// One path for comparing two spellings of a file.
std::string identity_of(const fs::path& path) {
    std::error_code ec;
    const auto canonical = fs::weakly_canonical(fs::absolute(path), ec);
    return ec ? fs::absolute(path).lexically_normal().string() : canonical.string();
}

/// The YAML files in `directory` (not its subdirectories), sorted by name.
core::Result<std::vector<std::string>> yaml_files(const std::string& directory) {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
        const auto extension = it->path().extension();
        if ((extension == ".yaml" || extension == ".yml") && it->is_regular_file(ec)) {
            names.push_back(it->path().filename().string());
        }
    }
    if (ec) {
        return core::make_error(core::Errc::io,
                                "cannot read the directory " + directory + ": " + ec.message());
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> files;
    for (const auto& name : names) {
        files.push_back((fs::path(directory) / name).string());
    }
    return files;
}

/// Every file the arguments name, each once, in order.
core::Result<std::vector<Candidate>> candidates_of(const std::vector<std::string>& arguments) {
    std::vector<Candidate> candidates;
    std::set<std::string> seen;
    const auto add = [&](const std::string& file, bool from_directory) {
        if (seen.insert(identity_of(file)).second) {
            candidates.push_back(Candidate{file, from_directory});
        }
    };
    for (const auto& argument : arguments) {
        std::error_code ec;
        if (!fs::is_directory(argument, ec)) {
            add(argument, false);  // the loader says what is wrong with it, if anything
            continue;
        }
        auto files = yaml_files(argument);
        if (!files.ok()) {
            return files.error();
        }
        if (files.value().empty()) {
            return core::make_error(core::Errc::invalid_input,
                                    "the directory " + argument +
                                        " holds no manifest (*.yaml or *.yml file)");
        }
        for (const auto& file : files.value()) {
            add(file, true);
        }
    }
    return candidates;
}

/// Whether a file has a top-level `portal:`, as every manifest does: a directory's files that
/// have one are loaded first, so that the outputs they write are known before the others are
/// read (an output is not read as a manifest: it holds secrets).
bool has_portal_field(const std::string& file) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("portal:", 0) == 0) {
            return true;
        }
    }
    return false;
}

/// Runs `step` for `run`, keeping the first error it reports as the run's.
template <typename Step> auto in_section(ManifestRun& run, const Step& step) {
    const ErrorSection section;
    auto result = step();
    if (run.error.is_null()) {
        run.error = section.error();
    }
    return result;
}

/// A manifest on its way to a session.
struct Pending {
    std::optional<manifest::Manifest> manifest;
    std::shared_ptr<api::KeysApi> client;
    /// The progress of every session on `client`: they run one after another, and the client
    /// tells it of its rate-limit waits, which are then logged with the running counts and
    /// drawn on the live line like a single manifest's.
    std::shared_ptr<Progress> progress;
};

/// Loads the candidates: a directory's files with a `portal:` field first, then the rest of
/// them except the outputs of the manifests loaded. Returns the runs kept, in candidate order.
std::vector<ManifestRun> load_all(const std::vector<Candidate>& candidates,
                                  std::vector<Pending>& pending) {
    std::vector<std::optional<ManifestRun>> runs(candidates.size());
    std::vector<std::optional<manifest::Manifest>> loaded(candidates.size());
    const auto load = [&](std::size_t i) {
        runs[i].emplace();
        runs[i]->file = candidates[i].file;
        prefetch_state_of(runs[i]->file, "");
        loaded[i] = in_section(*runs[i], [&] { return load_manifest_or_report(runs[i]->file); });
        if (!loaded[i]) {
            runs[i]->exit_code = exit_code_for(core::Errc::invalid_input);
        }
    };
    std::set<std::string> outputs;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        if (!candidates[i].from_directory || has_portal_field(candidates[i].file)) {
            load(i);
        }
        if (loaded[i]) {
            for (const auto& output : loaded[i]->outputs) {
                outputs.insert(identity_of(output.path));
            }
        }
    }
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        if (runs[i]) {
            continue;
        }
        if (outputs.count(identity_of(candidates[i].file)) != 0) {
            spdlog::debug("{} is an output of a manifest beside it, not a manifest",
                          candidates[i].file);
            continue;
        }
        load(i);
    }
    std::vector<ManifestRun> kept;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        if (runs[i]) {
            kept.push_back(std::move(*runs[i]));
            pending.push_back(Pending{std::move(loaded[i]), nullptr, nullptr});
        }
    }
    return kept;
}

/// Where a manifest's state is: its backend's URL, else its file. The locks are taken in the
/// order of these.
std::string state_location(const manifest::Manifest& manifest) {
    return manifest.state_url.empty() ? identity_of(manifest.state_path) : manifest.state_url;
}

/// A state, its lock and its journal belong to one manifest: a later manifest that shares one
/// with an earlier one fails (taking the same lock twice would wait for itself).
void refuse_shared_states(std::vector<ManifestRun>& runs, std::vector<Pending>& pending) {
    std::map<std::string, std::string> owner;  // state location or local path -> manifest
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (!pending[i].manifest) {
            continue;
        }
        const auto& manifest = *pending[i].manifest;
        const std::string location = state_location(manifest);
        const std::string local = identity_of(manifest.state_path);
        const auto found = owner.count(location) != 0 ? owner.find(location) : owner.find(local);
        if (found != owner.end()) {
            runs[i].exit_code = in_section(runs[i], [&] {
                return report_error(core::Errc::invalid_input,
                                    runs[i].file + " uses the state " +
                                        apply::redact_location(location) + " of " + found->second +
                                        "; a state belongs to one manifest: give each manifest "
                                        "its own `state:`");
            });
            pending[i].manifest.reset();
            continue;
        }
        owner.emplace(location, runs[i].file);
        owner.emplace(local, runs[i].file);
    }
}

/// One client per portal URL and credential, its reads shared by the manifests using it.
/// --token-file and --token-stdin give every manifest the same credential, read once.
void connect_all(std::vector<ManifestRun>& runs, std::vector<Pending>& pending,
                 const GlobalOptions& global) {
    struct Client {
        std::shared_ptr<api::KeysApi> api;
        std::shared_ptr<Progress> progress;
    };
    std::map<std::string, Client> clients;
    std::optional<core::Result<core::Secret>> common_token;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (!pending[i].manifest) {
            continue;
        }
        const auto& manifest = *pending[i].manifest;
        const auto token = [&]() -> core::Result<core::Secret> {
            if (auto url_ok = api::check_portal_url(manifest.portal.url); !url_ok.ok()) {
                return url_ok.error();
            }
            if (!global.token_file.empty() || global.token_stdin) {
                if (!common_token) {
                    common_token = resolve_token(manifest, global);
                }
                return *common_token;
            }
            return resolve_token(manifest, global);
        }();
        if (!token.ok()) {
            runs[i].exit_code = in_section(runs[i], [&] { return report_error(token.error()); });
            pending[i].manifest.reset();
            continue;
        }
        const std::string portal =
            api::normalize_portal_url(manifest.portal.url) + " " + token.value().fingerprint();
        auto& client = clients[portal];
        if (!client.api) {
            client.progress = std::make_shared<Progress>();
            client.api = api::share_reads(
                make_api(manifest.portal.url, token.value(), global,
                         [progress = client.progress](const api::RateLimitWait& wait) {
                             progress->rate_limit_wait(wait);
                         }));
        }
        pending[i].client = client.api;
        pending[i].progress = client.progress;
    }
}

}  // namespace

bool several_manifests(const std::vector<std::string>& arguments) {
    std::error_code ec;
    return arguments.size() > 1 || (arguments.size() == 1 && fs::is_directory(arguments[0], ec));
}

std::variant<std::vector<ManifestRun>, int> open_sessions(const std::vector<std::string>& arguments,
                                                          const GlobalOptions& global,
                                                          const apply::PrepareOptions& options) {
    if (!global.state.empty()) {
        return report_error(core::Errc::invalid_input,
                            "--state (or PROVISION_STATE) names the state of one manifest, and "
                            "each of several manifests keeps its own: run them one at a time "
                            "with --state, or give each manifest a `state:`");
    }
    if (!options.plan.targets.empty()) {
        return report_error(core::Errc::invalid_input,
                            "--target names entries of one manifest: give that manifest alone");
    }
    auto candidates = candidates_of(arguments);
    if (!candidates.ok()) {
        return report_error(candidates.error());
    }
    std::vector<Pending> pending;
    std::vector<ManifestRun> runs = load_all(candidates.value(), pending);
    refuse_shared_states(runs, pending);
    connect_all(runs, pending, global);
    std::vector<std::size_t> order(runs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    const auto location = [&](std::size_t i) {
        return pending[i].manifest ? state_location(*pending[i].manifest) : std::string();
    };
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return location(a) < location(b); });
    // A run that changes the portal takes every lock before it reads the portal: the one key
    // listing its manifests share must be made after the last of them is held, since another
    // run may change a manifest's keys until its lock is ours.
    std::vector<std::optional<apply::Locked>> locks(runs.size());
    for (const std::size_t i : order) {
        if (!options.take_lock || !pending[i].manifest || core::stop_requested()) {
            continue;
        }
        auto locked = in_section(
            runs[i], [&] { return session_lock(*pending[i].manifest, global, options); });
        if (auto* code = std::get_if<int>(&locked)) {
            runs[i].exit_code = *code;
            pending[i].manifest.reset();
        } else {
            locks[i].emplace(std::move(std::get<apply::Locked>(locked)));
        }
    }
    for (const std::size_t i : order) {
        if (!pending[i].manifest) {
            continue;
        }
        if (core::stop_requested()) {
            fail_run(runs[i], core::Errc::cancelled,
                     runs[i].file + ": not planned: the run was interrupted");
            continue;
        }
        auto opened = in_section(runs[i], [&] {
            return open_session(std::move(*pending[i].manifest), pending[i].client, global, options,
                                std::move(locks[i]));
        });
        locks[i].reset();
        if (auto* code = std::get_if<int>(&opened)) {
            runs[i].exit_code = *code;
        } else {
            runs[i].session.emplace(std::move(std::get<Session>(opened)));
            runs[i].session->progress = pending[i].progress;
        }
    }
    return runs;
}

void fail_run(ManifestRun& run, core::Errc code, const std::string& message) {
    run.exit_code = in_section(run, [&] { return report_error(code, message); });
}

int combined_exit_code(const std::vector<ManifestRun>& runs) {
    int code = k_exit_ok;
    for (const auto& run : runs) {
        code = most_severe(code, run.exit_code);
    }
    return code;
}

std::string section_header(const std::string& file) {
    return "==> " + file + " <==\n";
}

std::string failure_text(const ManifestRun& run, const std::string& what) {
    std::string message = "see the standard error";
    if (run.error.is_object()) {
        message = run.error.at("message").get<std::string>();
        if (run.error.at("file").is_string() && run.error.at("line").is_number()) {
            message = fmt::format(
                "{}:{}:{}: {}", run.error.at("file").get<std::string>(),
                run.error.at("line").get<int>(),
                run.error.at("column").is_number() ? run.error.at("column").get<int>() : 1,
                message);
        }
    }
    return what + ": " + message + " (exit " + std::to_string(run.exit_code) + ")\n";
}

void print_plan_sections(const std::vector<ManifestRun>& runs, const GlobalOptions& global,
                         const std::string& what) {
    for (const auto& run : runs) {
        std::cout << section_header(run.file);
        if (run.session) {
            print_plan(run.session->plan, global);
        } else {
            std::cout << failure_text(run, what);
        }
        std::cout << '\n';
    }
}

nlohmann::json run_json(const ManifestRun& run) {
    nlohmann::json out = {{"manifest", run.file}, {"exitCode", run.exit_code}};
    if (!run.error.is_null()) {
        out["error"] = run.error;
        out["error"]["exitCode"] = run.exit_code;
    }
    return out;
}

}  // namespace provision::cli
