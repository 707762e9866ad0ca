/// Encryption at rest by running `age`, and the fingerprint index kept beside each encrypted
/// output.
///
/// Encryption: `age --armor -r R1 -r R2 ...` with the plaintext on stdin and the ciphertext read
/// from stdout; the caller writes it with the same atomic 0600 path as plain outputs, so no
/// temporary file of age's ever holds anything. Decryption: `age --decrypt -i FILE ENCRYPTED`, or
/// `-i -` with the identity text on stdin when it came from PROVISION_AGE_IDENTITY. The child's
/// environment is PATH alone. age's own diagnostics are passed on (last line only), with anything
/// shaped like an age secret key or an API key masked.

#include "provision/output/age.hpp"

#include "output/child_process.hpp"
#include "output/formats.hpp"
#include "provision/core/atomic_file.hpp"
#include "provision/core/json_positions.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

namespace provision::output {

namespace {

/// The last non-empty line of age's stderr, with secret-shaped words masked.
std::string age_message(const std::string& err) {
    std::string text = err;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    const std::size_t nl = text.rfind('\n');
    std::string line = nl == std::string::npos ? text : text.substr(nl + 1);
    for (std::size_t at = line.find("AGE-SECRET-KEY-"); at != std::string::npos;
         at = line.find("AGE-SECRET-KEY-", at + 1)) {
        std::size_t end = at;
        while (end < line.size() && line[end] != ' ' && line[end] != '"' && line[end] != '\'') {
            ++end;
        }
        line.replace(at, end - at, "AGE-SECRET-KEY-***");
    }
    line = core::redact_secrets(line);
    return line.empty() ? std::string("no message") : line;
}

std::optional<std::filesystem::path> age_program() {
    return detail::find_program("age");
}

}  // namespace

std::optional<AgeIdentity> age_identity_from_env() {
    AgeIdentity identity;
    if (const char* file = std::getenv("PROVISION_AGE_IDENTITY_FILE"); file && *file != '\0') {
        identity.file = file;
        return identity;
    }
    if (const char* text = std::getenv("PROVISION_AGE_IDENTITY"); text && *text != '\0') {
        identity.text = core::Secret{text};
        return identity;
    }
    return std::nullopt;
}

std::filesystem::path age_index_path(const std::filesystem::path& output) {
    std::filesystem::path index = output;
    index += ".fingerprints.json";
    return index;
}

std::string render_age_index(const AgeIndex& index) {
    nlohmann::ordered_json keys = nlohmann::ordered_json::object();
    for (const auto& [env, item] : index.keys) {
        keys[env] = {{"entry", item.entry}, {"fingerprint", item.fingerprint}};
    }
    const nlohmann::ordered_json doc = {
        {"about", "Written by provision beside an age-encrypted output: the fingerprint "
                  "(SHA-256) of each secret it holds. No secret is stored here."},
        {"version", 1},
        {"content", index.content_fingerprint},
        {"keys", keys}};
    return doc.dump(2) + "\n";
}

core::Result<std::optional<AgeIndex>> read_age_index(const std::filesystem::path& output) {
    const auto path = age_index_path(output);
    auto text = core::read_file_if_exists(path, 4 * 1024 * 1024);
    if (!text) {
        return text.error();
    }
    if (!text->has_value()) {
        return std::optional<AgeIndex>{};
    }
    // Errors give the line and column and what was expected, never the file's text.
    const auto corrupt = [&](const std::string& position, const std::string& expected) {
        return core::make_error(core::Errc::invalid_input,
                                "fingerprint index " + path.string() + ":" + position +
                                    " is corrupt (expected " + expected +
                                    "); delete it and run apply with an age identity set");
    };
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(**text);
    } catch (const nlohmann::json::parse_error& e) {
        return corrupt(core::line_column(**text, e.byte > 0 ? e.byte - 1 : 0), "valid JSON");
    } catch (const nlohmann::json::out_of_range&) {
        return corrupt("1:1", "valid JSON, found a number too large to read");
    }
    const core::JsonPositions positions(**text);
    if (!doc.is_object()) {
        return corrupt(positions.at({}), "a JSON object");
    }
    const auto version = doc.find("version");
    if (version == doc.end() || !version->is_number_integer() || version->get<long long>() != 1) {
        return corrupt(positions.at({"version"}), "\"version\": 1");
    }
    AgeIndex index;
    const auto content = doc.find("content");
    if (content == doc.end() || !content->is_string()) {
        return corrupt(positions.at({"content"}), "a string \"content\"");
    }
    const auto keys = doc.find("keys");
    if (keys == doc.end() || !keys->is_object()) {
        return corrupt(positions.at({"keys"}), "a \"keys\" object");
    }
    index.content_fingerprint = content->get<std::string>();
    for (const auto& [env, item] : keys->items()) {
        if (!item.is_object() || !item.contains("entry") || !item["entry"].is_string() ||
            !item.contains("fingerprint") || !item["fingerprint"].is_string()) {
            return corrupt(positions.at({"keys", env}),
                           "an object with string \"entry\" and \"fingerprint\" for each variable");
        }
        index.keys[env] = {item["entry"].get<std::string>(),
                           item["fingerprint"].get<std::string>()};
    }
    return std::optional<AgeIndex>{std::move(index)};
}

core::Result<std::map<std::string, std::vector<std::string>>>
read_sealed_fingerprints(const manifest::Manifest& manifest,
                         std::map<std::string, AgeIndex>* indexes) {
    std::map<std::string, std::vector<std::string>> sealed;
    if (age_identity_from_env()) {
        return sealed;
    }
    for (const auto& spec : manifest.outputs) {
        std::error_code ec;
        if (spec.age_recipients.empty() || !std::filesystem::exists(spec.path, ec)) {
            continue;
        }
        auto index = read_age_index(spec.path);
        if (!index) {
            return index.error();
        }
        if (!index->has_value()) {
            return core::make_error(
                core::Errc::invalid_input,
                "encrypted output " + spec.path.string() + " has no fingerprint index (" +
                    age_index_path(spec.path).filename().string() +
                    "), so what it holds is unknown; set PROVISION_AGE_IDENTITY_FILE or "
                    "PROVISION_AGE_IDENTITY so it can be decrypted");
        }
        for (const auto& [env, item] : (*index)->keys) {
            sealed[item.entry].push_back(item.fingerprint);
        }
        if (indexes != nullptr) {
            (*indexes)[spec.path.string()] = std::move(**index);
        }
    }
    return sealed;
}

core::Status check_age_available() {
    if (!age_program()) {
        return detail::io_error(
            "the `age` program is not on PATH; install it (Debian/Ubuntu: apt-get install "
            "age) to write or read encrypted outputs");
    }
    return core::ok_status();
}

core::Result<std::string> age_encrypt(const std::vector<std::string>& recipients,
                                      std::string_view plaintext) {
    const auto program = age_program();
    if (!program) {
        return check_age_available().error();
    }
    std::vector<std::string> args{"--encrypt", "--armor"};
    for (const auto& recipient : recipients) {
        args.push_back("-r");
        args.push_back(recipient);
    }
    auto ran = detail::run_child(*program, args, detail::minimal_environment(), plaintext);
    if (!ran) {
        return ran.error();
    }
    if (ran->exit_code != 0 || ran->out.empty()) {
        return detail::io_error("age could not encrypt (exit " + std::to_string(ran->exit_code) +
                                "): " + age_message(ran->err));
    }
    return std::move(ran->out);
}

core::Result<core::Secret> age_decrypt(const std::filesystem::path& encrypted,
                                       const AgeIdentity& identity) {
    const auto program = age_program();
    if (!program) {
        return check_age_available().error();
    }
    const bool from_file = !identity.file.empty();
    const std::vector<std::string> args{"--decrypt", "-i",
                                        from_file ? identity.file.string() : std::string("-"), "--",
                                        encrypted.string()};
    std::string input;
    if (!from_file) {
        input = identity.text.reveal();
        input.push_back('\n');
    }
    auto ran = detail::run_child(*program, args, detail::minimal_environment(), input);
    core::Secret{std::move(input)};  // wiped on destruction
    if (!ran) {
        return ran.error();
    }
    core::Secret plaintext{std::move(ran->out)};
    if (ran->exit_code != 0) {
        return core::make_error(
            core::Errc::invalid_input,
            "cannot decrypt " + encrypted.string() + " with the identity from " +
                (from_file ? "PROVISION_AGE_IDENTITY_FILE" : "PROVISION_AGE_IDENTITY") +
                ": age says: " + age_message(ran->err));
    }
    return plaintext;
}

core::Result<core::Secret> age_decrypt_text(std::string_view armored, const AgeIdentity& identity) {
    // age reads the identity text on its stdin, so the ciphertext goes through a file: a
    // private temporary one, which holds nothing but ciphertext.
    const char* tmp = std::getenv("TMPDIR");
    std::string name =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/provision-sealed-XXXXXX";
    const int fd = ::mkstemp(name.data());
    if (fd < 0) {
        return detail::io_error(
            std::string("cannot create a temporary file for a sealed secret: ") +
            std::strerror(errno));
    }
    const bool written =
        ::write(fd, armored.data(), armored.size()) == static_cast<ssize_t>(armored.size());
    ::close(fd);
    auto decrypted =
        written ? age_decrypt(name, identity)
                : core::Result<core::Secret>(detail::io_error("cannot write a temporary file for a "
                                                              "sealed secret"));
    ::unlink(name.c_str());
    return decrypted;
}

}  // namespace provision::output
