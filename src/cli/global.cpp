// The command line's shared machinery (global.hpp): global flags in any position and in every
// help, PROVISION_<FLAG> for every option, `provision help`, unknown commands.

#include "cli/global.hpp"

#include "provision/core/diagnostic.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <memory>

namespace provision::cli {

namespace {

bool is_builtin(const CLI::Option* option) {
    return option->check_name("--help") || option->check_name("--version");
}

/// The options PROVISION_<NAME> can give: every long option but --help and --version.
bool from_environment(const CLI::Option* option) {
    return !option->get_positional() && !option->get_lnames().empty() && !is_builtin(option);
}

/// CLI11's help, plus the root's options (the global flags) in every subcommand's help.
class Formatter : public CLI::Formatter {
public:
    std::string make_option_opts(const CLI::Option* option) const override {
        std::string out = CLI::Formatter::make_option_opts(option);
        if (from_environment(option)) {
            out += " (Env:" + environment_name(option->get_lnames().front()) + ")";
        }
        return out;
    }

    std::string make_footer(const CLI::App* app) const override {
        std::string out;
        if (const CLI::App* parent = app->get_parent(); parent != nullptr) {
            const auto globals = parent->get_options([](const CLI::Option* option) {
                return option->nonpositional() && !is_builtin(option);
            });
            if (!globals.empty()) {
                out = make_group("Global options (before or after the command)", false, globals)
                          .substr(1) +
                      "\n";
            }
        }
        return out + CLI::Formatter::make_footer(app);
    }
};

std::vector<std::string> command_names(const CLI::App& root) {
    std::vector<std::string> names;
    for (const CLI::App* sub : root.get_subcommands([](const CLI::App*) { return true; })) {
        if (!sub->get_group().empty()) {
            names.push_back(sub->get_name());
        }
    }
    return names;
}

std::string unknown_message(const CLI::App& root, const std::string& word) {
    std::string text = "unknown command " + word;
    if (const auto match = core::closest_match(word, command_names(root)); !match.empty()) {
        text += "; did you mean " + match + "?";
    }
    return text + " (`provision help` lists the commands)";
}

}  // namespace

void prepare_root(CLI::App& root) {
    root.formatter(std::make_shared<Formatter>());
    // A subcommand hands the options it does not know to the root: global flags may follow it.
    root.fallthrough();
}

std::string environment_name(const std::string& name) {
    std::string out = "PROVISION_";
    for (char c : name) {
        out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

void bind_environment(CLI::App& app) {
    // CLI11 would read an option's variable for every subcommand, used or not, and several
    // subcommands' options share one variable (--output, --state): apply_environment reads
    // them for the commands being run only.
    for (CLI::Option* option : app.get_options()) {
        option->envname("");
    }
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        bind_environment(*sub);
    }
}

void apply_environment(CLI::App& app) {
    for (CLI::Option* option : app.get_options()) {
        if (!from_environment(option) || option->count() != 0) {
            continue;
        }
        const char* value = std::getenv(environment_name(option->get_lnames().front()).c_str());
        if (value != nullptr && *value != '\0') {
            option->add_result(value);
            option->run_callback();
        }
    }
    for (CLI::App* sub : app.get_subcommands()) {
        apply_environment(*sub);
    }
}

void add_help_command(CLI::App& root, int& exit_code) {
    auto topic = std::make_shared<std::string>();
    CLI::App* cmd = root.add_subcommand("help", "Show the help of provision or of one command");
    cmd->add_option("command", *topic, "the command whose help to show");
    cmd->footer("Examples:\n  provision help\n  provision help apply");
    const CLI::App* root_ptr = &root;
    cmd->callback([root_ptr, topic, &exit_code] {
        // The formatter itself: App::help() of the root would show the help of the command
        // being run, `help`.
        const auto help_of = [root_ptr](const CLI::App& app, const std::string& name) {
            return root_ptr->get_formatter()->make_help(&app, name, CLI::AppFormatMode::Normal);
        };
        if (topic->empty()) {
            std::cout << help_of(*root_ptr, root_ptr->get_name());
            exit_code = k_exit_ok;
            return;
        }
        for (const CLI::App* sub :
             root_ptr->get_subcommands([](const CLI::App*) { return true; })) {
            if (sub->get_name() == *topic) {
                std::cout << help_of(*sub, root_ptr->get_name() + " " + sub->get_name());
                exit_code = k_exit_ok;
                return;
            }
        }
        exit_code = report_error(core::Errc::invalid_input, unknown_message(*root_ptr, *topic));
    });
}

std::optional<std::string> unknown_command(const CLI::App& root,
                                           const std::vector<std::string>& remaining) {
    if (!root.get_subcommands().empty() || remaining.empty() || remaining.front().empty() ||
        remaining.front().front() == '-') {
        return std::nullopt;
    }
    return unknown_message(root, remaining.front());
}

}  // namespace provision::cli
