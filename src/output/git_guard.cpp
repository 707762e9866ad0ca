/// The git guard: asks git itself whether a plaintext output would end up in a repository.
///
/// From the nearest existing directory above the output: `git rev-parse --is-inside-work-tree`
/// (not a work tree, or no git at all: safe), then `git ls-files --error-unmatch -- PATH`
/// (tracked: refused, even if a .gitignore now matches it), then `git check-ignore -q -- PATH`
/// (ignored: safe; not ignored: refused). git runs with PATH, HOME and XDG_CONFIG_HOME only, so
/// the user's global excludes file counts and the portal token never reaches git.

#include "provision/output/git_guard.hpp"

#include "output/child_process.hpp"

namespace provision::output {

namespace {

std::filesystem::path nearest_existing_dir(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::path dir = path.parent_path();
    while (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
        if (dir == dir.parent_path()) {
            break;
        }
        dir = dir.parent_path();
    }
    return dir.empty() ? std::filesystem::path(".") : dir;
}

core::Result<int> git(const std::filesystem::path& program, const std::filesystem::path& dir,
                      std::vector<std::string> args) {
    args.insert(args.begin(), {"-C", dir.string()});
    auto ran = detail::run_child(program, args,
                                 detail::minimal_environment({"HOME", "XDG_CONFIG_HOME"}), "");
    if (!ran) {
        return ran.error();
    }
    return ran->exit_code;
}

core::Error refused(const manifest::OutputSpec& spec, const std::string& why) {
    return core::make_error(core::Errc::invalid_input,
                            "refusing plaintext output " + spec.path.string() + ": " + why +
                                ", so its secrets could be committed; add it to .gitignore, "
                                "encrypt it (encrypt: {age: [...]}) or set allowGit: true");
}

}  // namespace

core::Status check_git_safe(const manifest::OutputSpec& spec) {
    if (!spec.age_recipients.empty() || spec.allow_git) {
        return core::ok_status();
    }
    const auto program = detail::find_program("git");
    if (!program) {
        return core::ok_status();
    }
    const auto dir = nearest_existing_dir(spec.path);
    auto inside = git(*program, dir, {"rev-parse", "--is-inside-work-tree"});
    if (!inside) {
        return inside.error();
    }
    if (*inside != 0) {
        return core::ok_status();
    }
    auto tracked = git(*program, dir, {"ls-files", "--error-unmatch", "--", spec.path.string()});
    if (!tracked) {
        return tracked.error();
    }
    if (*tracked == 0) {
        return refused(spec, "git tracks it");
    }
    auto ignored = git(*program, dir, {"check-ignore", "-q", "--", spec.path.string()});
    if (!ignored) {
        return ignored.error();
    }
    if (*ignored == 0) {
        return core::ok_status();
    }
    if (*ignored == 1) {
        return refused(spec, "it is inside a git work tree and git does not ignore it");
    }
    return refused(spec, "it is inside a git work tree and `git check-ignore` failed (exit " +
                             std::to_string(*ignored) + ")");
}

std::vector<std::string> git_refusals(const manifest::Manifest& manifest) {
    std::vector<std::string> messages;
    for (const auto& spec : manifest.outputs) {
        if (auto safe = check_git_safe(spec); !safe) {
            messages.push_back("output " + spec.path_as_written + ": " + safe.error().message);
        }
    }
    return messages;
}

}  // namespace provision::output
