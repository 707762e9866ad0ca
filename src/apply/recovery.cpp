// The recovery file: see recovery.hpp. Parsed with nlohmann's non-throwing parser; an error
// names the file and never quotes it, since it is made of secrets.

#include "provision/apply/recovery.hpp"

#include "provision/core/atomic_file.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace provision::apply {

namespace {

core::Error corrupt(const std::filesystem::path& path, const std::string& what) {
    return core::make_error(core::Errc::invalid_input,
                            "recovery file " + path.string() + ": " + what +
                                "; it holds secrets of live keys: repair it by hand, or delete "
                                "it and rotate the keys it names");
}

core::Result<nlohmann::json> load(const std::filesystem::path& path) {
    auto text = core::read_file_if_exists(path);
    if (!text.ok()) {
        return text.error();
    }
    if (!text.value()) {
        return nlohmann::json{{"formatVersion", 1}, {"keys", nlohmann::json::object()}};
    }
    auto json = nlohmann::json::parse(*text.value(), nullptr, false);
    if (json.is_discarded()) {
        return corrupt(path, "not valid JSON");
    }
    const auto keys = json.is_object() ? json.find("keys") : json.end();
    if (!json.is_object() || keys == json.end() || !keys->is_object()) {
        return corrupt(path, "expected an object with a \"keys\" object");
    }
    for (const auto& [entry, record] : keys->items()) {
        const auto secret = record.is_object() ? record.find("secret") : record.end();
        if (!record.is_object() || secret == record.end() || !secret->is_string()) {
            return corrupt(path, "every key must be an object with a \"secret\" string");
        }
    }
    return json;
}

}  // namespace

std::filesystem::path recovery_path_for(const std::filesystem::path& state_path) {
    return {state_path.string() + ".recovery"};
}

core::Result<std::map<std::string, core::Secret>> read_recovery(const std::filesystem::path& path) {
    auto json = load(path);
    if (!json.ok()) {
        return json.error();
    }
    std::map<std::string, core::Secret> secrets;
    for (const auto& [entry, record] : json.value().at("keys").items()) {
        secrets.emplace(entry, core::Secret{record.at("secret").get<std::string>()});
    }
    return secrets;
}

core::Status save_recovered(const std::filesystem::path& path, const std::string& entry,
                            const std::string& id, const std::string& postfix,
                            const core::Secret& secret) {
    auto json = load(path);
    if (!json.ok()) {
        return json.error();
    }
    json.value()["keys"][entry] = {{"id", id}, {"postfix", postfix}, {"secret", secret.reveal()}};
    const core::Secret text{json.value().dump(2) + "\n"};
    core::WriteOptions options;
    options.mode = 0600;
    options.refuse_symlink = true;
    return core::write_file_atomic(path, text.reveal(), options);
}

core::Status remove_recovery(const std::filesystem::path& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return core::make_error(core::Errc::io, "cannot delete recovery file " + path.string() +
                                                    ": " + std::strerror(errno));
    }
    return core::ok_status();
}

}  // namespace provision::apply
