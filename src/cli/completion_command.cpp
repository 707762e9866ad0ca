// `provision completion bash|zsh|fish`: a shell completion script made from the command line
// itself (every subcommand and option CLI11 knows, a command's own subcommands such as `state
// migrate|unlock` included, and the values each command's options accept when they are a fixed
// set, so a new option completes without an edit here), manifest files for the arguments, and
// the manifest's entry names after --target and --key, which the script asks `provision
// __entries MANIFEST` for (a hidden command: offline, silent, one name a line). zsh runs the
// bash script through bashcompinit, so that script uses nothing bash has and zsh lacks
// (mapfile). tests/completion_check.py completes in the three real shells.

#include "cli/commands.hpp"
#include "provision/core/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <sstream>

namespace provision::cli {

namespace {

struct OptionSpec {
    std::vector<std::string> names;  ///< "-C", "--chdir"
    std::string description;
    bool takes_value = false;
    std::string long_name;  ///< "chdir" ("" without one)
    char short_name = 0;
    std::vector<std::string> choices;  ///< the values it accepts, when they are a fixed set
};

const char* const k_levels = "trace debug info warn error off";

/// The values an option's CLI::IsMember check accepts: CLI11 describes it as "{a,b,c}" in
/// the option's type name ("TEXT:{text,json,markdown}"). --log-level is checked later, when
/// logging is set up, so its levels are listed here.
std::vector<std::string> choices_of(const CLI::Option& option) {
    std::vector<std::string> out;
    if (option.check_name("--log-level")) {
        std::istringstream levels(k_levels);
        for (std::string level; levels >> level;) {
            out.push_back(level);
        }
        return out;
    }
    const std::string type = option.get_type_name();
    const auto open = type.find('{');
    const auto close = type.find('}', open);
    if (open == std::string::npos || close == std::string::npos) {
        return out;
    }
    std::istringstream set(type.substr(open + 1, close - open - 1));
    for (std::string value; std::getline(set, value, ',');) {
        out.push_back(value);
    }
    return out;
}

struct CommandSpec {
    std::string name, description;
    std::vector<OptionSpec> options;
    std::vector<CommandSpec> subcommands;  ///< `state migrate`, `state unlock`
};

std::vector<OptionSpec> options_of(const CLI::App& app) {
    std::vector<OptionSpec> out;
    for (const CLI::Option* option : app.get_options()) {
        if (option->get_positional() || option->check_name("--version")) {
            continue;
        }
        OptionSpec spec;
        spec.description = option->get_description();
        spec.takes_value = option->get_items_expected_max() > 0;  // flags expect none
        spec.choices = choices_of(*option);
        for (const auto& name : option->get_snames()) {
            spec.names.push_back("-" + name);
            spec.short_name = name.front();
        }
        for (const auto& name : option->get_lnames()) {
            spec.names.push_back("--" + name);
            spec.long_name = spec.long_name.empty() ? name : spec.long_name;
        }
        out.push_back(std::move(spec));
    }
    return out;
}

bool hidden(const CLI::App& command) {
    return command.get_group().empty() || command.get_name().rfind("__", 0) == 0;
}

std::vector<CommandSpec> commands_of(const CLI::App& root) {
    std::vector<CommandSpec> out;
    for (const CLI::App* sub : root.get_subcommands([](const CLI::App*) { return true; })) {
        if (!hidden(*sub)) {
            out.push_back(
                {sub->get_name(), sub->get_description(), options_of(*sub), commands_of(*sub)});
        }
    }
    return out;
}

std::vector<std::string> names_of(const std::vector<OptionSpec>& options, bool with_value) {
    std::vector<std::string> out;
    for (const auto& option : options) {
        if (!with_value || option.takes_value) {
            out.insert(out.end(), option.names.begin(), option.names.end());
        }
    }
    return out;
}

/// The bash `case "$cmd:$prev"` branches that complete the values of options with a fixed set
/// (--output differs between commands); the global options' match any command.
std::string bash_choice_cases(const std::vector<CommandSpec>& commands,
                              const std::vector<OptionSpec>& globals) {
    std::string out;
    const auto add = [&out](const std::string& command, const OptionSpec& option) {
        if (option.choices.empty()) {
            return;
        }
        std::vector<std::string> patterns;
        for (const auto& name : option.names) {
            patterns.push_back(command + ":" + name);
        }
        out += fmt::format(
            "        {}) __provision_reply < <(compgen -W \"{}\" -- \"$cur\"); return ;;\n",
            core::join(patterns, "|"), core::join(option.choices, " "));
    };
    for (const auto& command : commands) {
        for (const auto& option : command.options) {
            add(command.name, option);
        }
    }
    for (const auto& option : globals) {
        add("*", option);
    }
    return out;
}

std::string bash_script(const std::vector<CommandSpec>& commands,
                        const std::vector<OptionSpec>& globals) {
    std::vector<std::string> command_names;
    std::vector<std::string> nested;  // commands that take a subcommand
    std::vector<std::string> valued = names_of(globals, true);
    std::string cases;
    std::string sub_cases;
    for (const auto& command : commands) {
        command_names.push_back(command.name);
        const auto with_value = names_of(command.options, true);
        valued.insert(valued.end(), with_value.begin(), with_value.end());
        cases += fmt::format("        \"{}\") opts=\"{}\" ;;\n", command.name,
                             core::join(names_of(command.options, false), " "));
        std::vector<std::string> sub_names;
        for (const auto& sub : command.subcommands) {
            sub_names.push_back(sub.name);
            const auto sub_valued = names_of(sub.options, true);
            valued.insert(valued.end(), sub_valued.begin(), sub_valued.end());
            cases += fmt::format("        \"{} {}\") opts=\"{}\" ;;\n", command.name, sub.name,
                                 core::join(names_of(sub.options, false), " "));
        }
        if (!sub_names.empty()) {
            nested.push_back(command.name);
            sub_cases += fmt::format("            {}) __provision_reply < <(compgen -W \"{}\" "
                                     "-- \"$cur\"); return ;;\n",
                                     command.name, core::join(sub_names, " "));
        }
    }
    std::sort(valued.begin(), valued.end());
    valued.erase(std::unique(valued.begin(), valued.end()), valued.end());
    return fmt::format(
        R"(# bash completion for provision (`provision completion bash`)
__provision_entries() {{
    provision __entries "$1" 2>/dev/null
}}

# COMPREPLY from standard input, one word a line (mapfile is bash's only: zsh runs this too).
__provision_reply() {{
    local line
    COMPREPLY=()
    while IFS= read -r line; do
        COMPREPLY+=("$line")
    done
}}

__provision_complete() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
    local cmd="" sub="" manifest="" word i opts
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${{COMP_WORDS[i]}}
        case " {valued} " in
            *" $word "*) ((i++)); continue ;;
        esac
        case $word in
            -*) ;;
            *) if [[ -z $cmd ]]; then cmd=$word
               elif [[ -z $sub && " {nested} " == *" $cmd "* ]]; then sub=$word
               elif [[ -z $manifest ]]; then manifest=$word; fi ;;
        esac
    done
    case $prev in
        --target|--key)
            if [[ -n $manifest ]]; then
                local name
                COMPREPLY=()
                while IFS= read -r name; do
                    [[ $name == "$cur"* ]] && COMPREPLY+=("$name")
                done < <(__provision_entries "$manifest")
            fi
            return ;;
        -C|--chdir) __provision_reply < <(compgen -d -- "$cur"); return ;;
    esac
    case $cmd:$prev in
{choices}    esac
    case " {valued} " in
        *" $prev "*) __provision_reply < <(compgen -f -- "$cur"); return ;;
    esac
    if [[ -z $cmd ]]; then
        __provision_reply < <(compgen -W "{commands} {globals}" -- "$cur")
        return
    fi
    if [[ $cur == -* ]]; then
        case "$cmd${{sub:+ $sub}}" in
{cases}            *) opts="" ;;
        esac
        __provision_reply < <(compgen -W "$opts {globals}" -- "$cur")
        return
    fi
    if [[ $cmd == help ]]; then
        __provision_reply < <(compgen -W "{commands}" -- "$cur")
        return
    fi
    if [[ -z $sub ]]; then
        case $cmd in
{sub_cases}        esac
    fi
    __provision_reply < <(compgen -f -- "$cur")
}}
complete -o filenames -F __provision_complete provision
)",
        fmt::arg("valued", core::join(valued, " ")),
        fmt::arg("choices", bash_choice_cases(commands, globals)),
        fmt::arg("commands", core::join(command_names, " ")),
        fmt::arg("globals", core::join(names_of(globals, false), " ")), fmt::arg("cases", cases),
        fmt::arg("nested", core::join(nested, " ")), fmt::arg("sub_cases", sub_cases));
}

/// zsh runs the bash script through its bashcompinit layer. Installed as _provision in $fpath,
/// the file is the body of the completion function zsh autoloads: it also completes the word
/// it was loaded for.
std::string zsh_script(const std::vector<CommandSpec>& commands,
                       const std::vector<OptionSpec>& globals) {
    return "#compdef provision\n# zsh completion for provision (`provision completion zsh`)\n"
           "autoload -U +X bashcompinit && bashcompinit\n" +
           bash_script(commands, globals) +
           "if (( ${+compstate} )); then\n"
           "    _bash_complete -o filenames -F __provision_complete\n"
           "fi\n";
}

std::string fish_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "'";
}

std::string fish_option(const OptionSpec& option, const std::string& condition) {
    std::string line = "complete -c provision";
    if (!condition.empty()) {
        line += " -n " + fish_quote(condition);
    }
    if (option.short_name != 0) {
        line += std::string(" -s ") + option.short_name;
    }
    if (!option.long_name.empty()) {
        line += " -l " + option.long_name;
    }
    if (option.long_name == "target" || option.long_name == "key") {
        line += " -x -a '(__provision_entries)'";
    } else if (!option.choices.empty()) {
        line += " -x -a " + fish_quote(core::join(option.choices, " "));
    } else if (option.long_name == "chdir") {
        line += " -x -a '(__fish_complete_directories)'";
    } else if (option.takes_value) {
        line += " -r";
    }
    return line + " -d " + fish_quote(option.description) + "\n";
}

std::string fish_script(const std::vector<CommandSpec>& commands,
                        const std::vector<OptionSpec>& globals) {
    std::vector<std::string> names;
    for (const auto& command : commands) {
        names.push_back(command.name);
    }
    std::string out = "# fish completion for provision (`provision completion fish`)\n"
                      "function __provision_entries\n"
                      "    for word in (commandline -opc)[3..-1]\n"
                      "        if string match -qr '\\.ya?ml$' -- $word\n"
                      "            provision __entries $word 2>/dev/null\n"
                      "            return\n"
                      "        end\n"
                      "    end\n"
                      "end\n"
                      "complete -c provision -f\n";
    for (const auto& command : commands) {
        out += "complete -c provision -n '__fish_use_subcommand' -a " + command.name + " -d " +
               fish_quote(command.description) + "\n";
    }
    out += "complete -c provision -n '__fish_seen_subcommand_from help' -a " +
           fish_quote(core::join(names, " ")) + "\n";
    for (const auto& option : globals) {
        out += fish_option(option, "");
    }
    for (const auto& command : commands) {
        const std::string in_command = "__fish_seen_subcommand_from " + command.name;
        out += "complete -c provision -n '" + in_command +
               "; and not __fish_seen_subcommand_from help' -F\n";
        for (const auto& option : command.options) {
            out += fish_option(option, in_command);
        }
        std::vector<std::string> sub_names;
        for (const auto& sub : command.subcommands) {
            sub_names.push_back(sub.name);
        }
        for (const auto& sub : command.subcommands) {
            out += "complete -c provision -n " +
                   fish_quote(in_command + "; and not __fish_seen_subcommand_from " +
                              core::join(sub_names, " ")) +
                   " -a " + sub.name + " -d " + fish_quote(sub.description) + "\n";
            for (const auto& option : sub.options) {
                out += fish_option(option,
                                   in_command + "; and __fish_seen_subcommand_from " + sub.name);
            }
        }
    }
    return out;
}

}  // namespace

void add_completion_command(CLI::App& root, int& exit_code) {
    auto shell = std::make_shared<std::string>();
    CLI::App* cmd = root.add_subcommand("completion", "Print a shell completion script");
    cmd->add_option("shell", *shell, "bash, zsh or fish")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh", "fish"}));
    cmd->footer("Examples:\n"
                "  source <(provision completion bash)\n"
                "  provision completion fish > ~/.config/fish/completions/provision.fish\n"
                "Packages install the scripts for bash, zsh and fish.");
    const CLI::App* root_ptr = &root;
    cmd->callback([root_ptr, shell, &exit_code] {
        const auto commands = commands_of(*root_ptr);
        const auto globals = options_of(*root_ptr);
        if (*shell == "bash") {
            std::cout << bash_script(commands, globals);
        } else if (*shell == "zsh") {
            std::cout << zsh_script(commands, globals);
        } else {
            std::cout << fish_script(commands, globals);
        }
        exit_code = k_exit_ok;
    });

    auto manifest = std::make_shared<std::string>();
    CLI::App* entries = root.add_subcommand("__entries", "the manifest's entry names");
    entries->group("");  // hidden: the completion scripts' helper
    entries->add_option("manifest", *manifest)->required();
    entries->callback([manifest, &exit_code] {
        auto loaded = manifest::load_manifest(*manifest, manifest::process_env(), /*offline=*/true);
        if (!loaded.manifest) {
            exit_code = exit_code_for(core::Errc::invalid_input);
            return;
        }
        for (const auto& spec : loaded.manifest->keys) {
            std::cout << spec.name << '\n';
        }
        exit_code = k_exit_ok;
    });
}

}  // namespace provision::cli
