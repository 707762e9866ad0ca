// Opening a command's session (session.hpp): the manifest, the client, then apply::prepare.

#include "cli/session.hpp"

#include "provision/plan/render.hpp"

#include <iostream>

namespace provision::cli {

std::variant<Session, int> open_session(const std::string& file, const GlobalOptions& global,
                                        apply::PrepareOptions options) {
    prefetch_state_of(file, global.state);
    auto loaded = load_manifest_or_report(file);
    if (!loaded) {
        return exit_code_for(core::Errc::invalid_input);
    }
    return open_session(std::move(*loaded), global, std::move(options));
}

std::variant<Session, int> open_session(manifest::Manifest manifest, const GlobalOptions& global,
                                        apply::PrepareOptions options) {
    if (!global.state.empty()) {
        if (auto located = use_state_location(manifest, global.state); !located.ok()) {
            return report_error(located.error());
        }
    }
    auto progress = std::make_shared<Progress>();
    auto client = make_api(manifest, global, [progress](const api::RateLimitWait& wait) {
        progress->rate_limit_wait(wait);
    });
    if (!client.ok()) {
        return report_error(client.error());
    }
    auto session =
        open_session(std::move(manifest), std::shared_ptr<api::KeysApi>(std::move(client.value())),
                     global, std::move(options));
    if (auto* opened = std::get_if<Session>(&session); opened != nullptr) {
        opened->progress = std::move(progress);
    }
    return session;
}

namespace {

apply::PrepareOptions with_globals(apply::PrepareOptions options, const GlobalOptions& global) {
    options.rebind_portal = options.rebind_portal || global.rebind_portal;
    options.lock_timeout =
        std::chrono::milliseconds(static_cast<long long>(global.lock_timeout * 1000));
    return options;
}

}  // namespace

std::variant<apply::Locked, int> session_lock(const manifest::Manifest& manifest,
                                              const GlobalOptions& global,
                                              apply::PrepareOptions options) {
    auto locked = apply::lock_state(manifest, with_globals(std::move(options), global));
    if (!locked.ok()) {
        return report_error(locked.error());
    }
    return std::move(locked.value());
}

std::variant<Session, int> open_session(manifest::Manifest manifest,
                                        std::shared_ptr<api::KeysApi> client,
                                        const GlobalOptions& global, apply::PrepareOptions options,
                                        std::optional<apply::Locked> locked) {
    options = with_globals(std::move(options), global);
    auto prepared = locked ? apply::prepare(manifest, *client, options, std::move(*locked))
                           : apply::prepare(manifest, *client, options);
    if (!prepared.ok()) {
        return report_error(prepared.error());
    }
    Session session;
    static_cast<apply::Prepared&>(session) = std::move(prepared.value());
    session.manifest = std::move(manifest);
    session.api = std::move(client);
    return session;
}

void print_plan(const plan::Plan& plan, const GlobalOptions& global) {
    if (global.output == "json") {
        print_json(plan::render_json(plan));
    } else if (global.output == "markdown") {
        std::cout << plan::render_markdown(plan);
    } else {
        std::cout << plan::render_text(plan,
                                       plan::TextOptions{stdout_color(global), global.show_noop});
    }
    // The plan must be on the screen before the log lines of the steps that carry it out.
    std::cout.flush();
}

}  // namespace provision::cli
