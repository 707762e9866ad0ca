// The manifest loader on arbitrary bytes: the loader's whole pipeline (byte checks, the
// strict-subset prescan, yaml-cpp, the schema) through load_manifest_text, the same entry point
// load_manifest uses once it has read the file. Beyond "no crash, no hang, no leak", it checks
// the loader's contract: a manifest comes back exactly when no error was reported; every
// diagnostic is either tied to a 1-based line and column inside the text or to no position at
// all; nothing escapes as an "internal error"; no message repeats a secret; and a manifest that
// loads holds only what the schema allows. And the prescan (src/manifest/prescan.cpp) keeps its
// promise: text it lets through holds no anchor, alias or tag as yaml-cpp itself reads it
// (yaml-cpp's event parser is the oracle), since yaml-cpp must never walk an alias graph.

#include "fuzz_check.hpp"

#include "manifest/loader.hpp"
#include "provision/manifest/manifest.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <set>
#include <sstream>

using namespace provision;

namespace {

const std::filesystem::path k_file = "/fuzz/manifest.yaml";

std::optional<std::string> fake_env(const std::string& name) {
    if (name == "DOCSPACE_URL") {
        return "https://portal.example.com";
    }
    if (name == "DOCSPACE_TOKEN") {
        return "fuzz-session-token";
    }
    if (name == "EMPTY") {
        return "";
    }
    return std::nullopt;
}

/// Notes what the strict subset forbids, as yaml-cpp reports it: an anchor, an alias or an
/// explicit tag (a node without one has the tag "?", or "!" when quoted).
class ForbiddenEvents final : public YAML::EventHandler {
public:
    bool seen = false;

    void OnDocumentStart(const YAML::Mark&) override {}
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override { note(anchor, "?"); }
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override { seen = true; }
    void OnScalar(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor,
                  const std::string&) override {
        note(anchor, tag);
    }
    void OnSequenceStart(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        note(anchor, tag);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        note(anchor, tag);
    }
    void OnMapEnd() override {}

private:
    void note(YAML::anchor_t anchor, const std::string& tag) {
        seen = seen || anchor != YAML::NullAnchor || (tag != "?" && tag != "!");
    }
};

/// When the byte checks and the prescan accept the text (the BOM already removed, as the
/// loader does), yaml-cpp must find nothing the prescan exists to refuse.
void check_prescan(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) {
        text.remove_prefix(3);
    }
    manifest::detail::DiagnosticSink sink(k_file.string(), text);
    if (!manifest::detail::check_bytes(text, sink) || !manifest::detail::scan_subset(text, sink)) {
        return;
    }
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    ForbiddenEvents events;
    try {
        parser.HandleNextDocument(events);
    } catch (const YAML::Exception&) {
        return;  // a syntax error: the loader reports it
    }
    FUZZ_CHECK(!events.seen);
}

void check_diagnostic(const core::Diagnostic& d, int lines) {
    FUZZ_CHECK(d.file == k_file.string());
    FUZZ_CHECK(!d.message.empty());
    FUZZ_CHECK(!d.message.starts_with("internal error"));
    FUZZ_CHECK(fuzz::secret_free(d.message));
    FUZZ_CHECK((d.line == 0 && d.column == 0) || (d.line >= 1 && d.column >= 1));
    FUZZ_CHECK(d.line <= lines);
}

void check_manifest(const manifest::Manifest& m) {
    FUZZ_CHECK(m.version == 1);
    FUZZ_CHECK(m.keys.size() <= 10000);
    FUZZ_CHECK(m.outputs.size() <= 32);
    std::set<std::string> names;
    for (const auto& key : m.keys) {
        FUZZ_CHECK(!key.name.empty() && key.name.size() <= 30);
        FUZZ_CHECK(names.insert(key.name).second);
        FUZZ_CHECK(!key.expires_in_days ||
                   (*key.expires_in_days >= 1 && *key.expires_in_days <= 365));
        FUZZ_CHECK(!key.env.empty());
        FUZZ_CHECK(key.location.line >= 1 && key.location.column >= 1);
        FUZZ_CHECK(m.find_key(key.name) == &key);
    }
    for (const auto& output : m.outputs) {
        FUZZ_CHECK(output.path.is_absolute());
        FUZZ_CHECK(output.location.line >= 1 && output.location.column >= 1);
        for (const auto& name : output.keys) {
            FUZZ_CHECK(m.find_key(name) != nullptr);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    const manifest::LoadResult result = manifest::load_manifest_text(text, k_file, fake_env);

    const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
    for (const auto& d : result.diagnostics) {
        check_diagnostic(d, lines);
    }
    FUZZ_CHECK(result.manifest.has_value() != core::has_errors(result.diagnostics));
    if (result.manifest) {
        // Only warnings remain, and each points at the field it is about.
        for (const auto& d : result.diagnostics) {
            FUZZ_CHECK(d.line >= 1);
        }
        check_manifest(*result.manifest);
    }
    check_prescan(text);
    return 0;
}
