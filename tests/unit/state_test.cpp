#include "provision/state/state.hpp"

#include "process.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

using namespace provision;
using provision::state::ManagedKey;
using provision::state::RetiringKey;
using provision::state::State;

namespace {

const std::string k_secret = "sk-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d29f3a";

core::Timestamp at(const char* iso) {
    return *core::parse_iso8601(iso);
}

ManagedKey make_key(const std::string& entry, const std::string& id) {
    ManagedKey key;
    key.entry = entry;
    key.id = id;
    key.name = entry;
    key.postfix = "9f3a";
    key.permissions = core::Scopes::from_list({"rooms:read", "files:read"});
    key.expires_in_days = 30;
    key.expires_at = at("2026-07-31T12:00:00Z");
    key.created_at = at("2026-07-01T12:00:00Z");
    key.fingerprint = "sha256:" + std::string(64, 'a');
    return key;
}

State sample_state() {
    State state;
    state.portal_url = "https://docspace.example.com";
    state.owner_id = "66faa6e4-f133-11ea-b126-00ffeec8b4ef";
    state.upsert(make_key("Reporting", "id-2"));
    ManagedKey unrestricted = make_key("Backup \"nightly\"\n#1", "id-1");
    unrestricted.permissions = core::Scopes::all();
    unrestricted.expires_in_days.reset();
    unrestricted.expires_at.reset();
    unrestricted.fingerprint.clear();
    state.upsert(unrestricted);
    RetiringKey old;
    old.entry = "Reporting";
    old.id = "id-0";
    old.postfix = "1b2c";
    old.expires_at = at("2026-07-05T00:00:00Z");
    old.retire_after = at("2026-07-02T12:00:00Z");
    old.reason = "rotated";
    state.retiring.push_back(old);
    return state;
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
    const auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    return text.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("a state file is serialised in the documented layout", "[state]") {
    State state;
    state.portal_url = "https://docspace.example.com";
    state.owner_id = "owner-1";
    state.upsert(make_key("Bot", "key-1"));
    CHECK(state::serialize_state(state) == R"({
  "version": 1,
  "portal": "https://docspace.example.com",
  "owner": "owner-1",
  "keys": [
    {
      "entry": "Bot",
      "id": "key-1",
      "name": "Bot",
      "postfix": "9f3a",
      "permissions": [
        "files:read",
        "rooms:read"
      ],
      "expiresInDays": 30,
      "expiresAt": "2026-07-31T12:00:00Z",
      "createdAt": "2026-07-01T12:00:00Z",
      "fingerprint": "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    }
  ],
  "retiring": []
}
)");
}

TEST_CASE("a serialised state parses back to the same records and the same bytes", "[state]") {
    const State original = sample_state();
    const std::string text = state::serialize_state(original);
    const auto parsed = state::parse_state(text, "bots.state.json");
    REQUIRE(parsed.ok());
    CHECK(state::serialize_state(*parsed) == text);
    REQUIRE(parsed->keys.size() == 2);
    const ManagedKey* backup = parsed->find("Backup \"nightly\"\n#1");
    REQUIRE(backup != nullptr);
    CHECK(backup->permissions.unrestricted);
    CHECK_FALSE(backup->expires_in_days);
    CHECK_FALSE(backup->expires_at);
    CHECK(backup->fingerprint.empty());
    const ManagedKey* reporting = parsed->find("Reporting");
    REQUIRE(reporting != nullptr);
    CHECK(reporting->permissions.items == std::vector<std::string>{"files:read", "rooms:read"});
    CHECK(reporting->expires_in_days == 30);
    CHECK(reporting->expires_at == at("2026-07-31T12:00:00Z"));
    CHECK(reporting->created_at == at("2026-07-01T12:00:00Z"));
    REQUIRE(parsed->retiring.size() == 1);
    CHECK(parsed->retiring[0].id == "id-0");
    CHECK(parsed->retiring[0].retire_after == at("2026-07-02T12:00:00Z"));
    CHECK(parsed->retiring[0].reason == "rotated");
    CHECK(parsed->portal_url == original.portal_url);
    CHECK(parsed->owner_id == original.owner_id);
}

TEST_CASE("retiring records within one second keep their order through a save and a load",
          "[state]") {
    // The file keeps whole seconds; ordering by the sub-second times it drops made the records
    // of a reloaded state swap places, so each save rewrote the file.
    state::State s = sample_state();
    s.retiring.clear();
    const core::Timestamp t = *core::parse_iso8601("2026-07-02T12:00:00Z");
    for (const auto& [id, millis] : {std::pair{"z", 500}, std::pair{"a", 700}}) {
        state::RetiringKey key;
        key.entry = "Integration Bot";
        key.id = id;
        key.retire_after = t + std::chrono::milliseconds{millis};
        key.reason = "rotated";
        s.retiring.push_back(key);
    }
    const std::string saved = state::serialize_state(s);
    const auto loaded = state::parse_state(saved, "s.json");
    REQUIRE(loaded.ok());
    CHECK(state::serialize_state(*loaded) == saved);
}

TEST_CASE("serialisation sorts entries so insertion order does not change the bytes", "[state]") {
    State forward;
    State backward;
    for (const char* entry : {"alpha", "beta", "gamma"}) {
        forward.keys.push_back(make_key(entry, std::string("id-") + entry));
    }
    for (const char* entry : {"gamma", "beta", "alpha"}) {
        backward.keys.push_back(make_key(entry, std::string("id-") + entry));
    }
    const std::string text = state::serialize_state(forward);
    CHECK(text == state::serialize_state(backward));
    CHECK(text.find("\"alpha\"") < text.find("\"beta\""));
    CHECK(text.find("\"beta\"") < text.find("\"gamma\""));
}

TEST_CASE("upsert replaces an entry's record and erase removes it", "[state]") {
    State state;
    state.upsert(make_key("b", "1"));
    state.upsert(make_key("a", "2"));
    state.upsert(make_key("b", "3"));
    REQUIRE(state.keys.size() == 2);
    CHECK(state.keys[0].entry == "a");
    CHECK(state.find("b")->id == "3");
    state.erase("b");
    CHECK(state.find("b") == nullptr);
    CHECK(state.keys.size() == 1);
}

TEST_CASE("upserts in any order keep the records sorted, so a lookup never scans", "[state]") {
    State state;
    // An order that is neither sorted nor reversed: 37 is coprime with 1000.
    for (int i = 0; i < 1000; ++i) {
        const int n = (i * 37) % 1000;
        state.upsert(make_key("entry " + std::to_string(1000 + n), "id-" + std::to_string(n)));
    }
    REQUIRE(state.keys.size() == 1000);
    CHECK(
        std::is_sorted(state.keys.begin(), state.keys.end(),
                       [](const ManagedKey& a, const ManagedKey& b) { return a.entry < b.entry; }));
    REQUIRE(state.find("entry 1500") != nullptr);
    CHECK(state.find("entry 1500")->id == "id-500");
    CHECK(state.find("entry 0999") == nullptr);   // before the first
    CHECK(state.find("entry 2000") == nullptr);   // after the last
    CHECK(state.find("entry 1500 ") == nullptr);  // between two
    state.upsert(make_key("entry 1500", "id-new"));
    CHECK(state.keys.size() == 1000);
    CHECK(state.find("entry 1500")->id == "id-new");
}

TEST_CASE("a serialiser that remembers records writes what a fresh one does through every change",
          "[state]") {
    state::StateSerializer reused;
    State state = sample_state();
    const auto same_bytes = [&] {
        const std::string text = reused.serialize(state);
        CHECK(text == state::serialize_state(state));
        const auto parsed = state::parse_state(text, "bots.state.json");
        REQUIRE(parsed.ok());
        CHECK(parsed->keys == state.keys);
    };
    same_bytes();
    state.upsert(make_key("Alpha", "id-3"));  // a new record before the remembered ones
    same_bytes();
    state.find("Reporting")->expires_at = at("2026-09-01T00:00:00Z");  // same entry, new value
    same_bytes();
    state.find("Alpha")->permissions = core::Scopes::from_list({"accounts:read"});
    same_bytes();
    state.upsert(make_key("Reporting", "id-4"));  // replaced under the same entry
    same_bytes();
    state.erase("Alpha");
    same_bytes();
    state.upsert(make_key("Alpha", "id-3"));  // back after it was forgotten
    same_bytes();
    state.keys.clear();
    same_bytes();
    state.upsert(make_key("Bot", "key-1"));
    same_bytes();
}

TEST_CASE("a remembered record that changes to hold a secret is still refused", "[state]") {
    state::StateSerializer reused;
    State state = sample_state();
    (void)reused.serialize(state);
    state.find("Reporting")->name = k_secret;
    CHECK_THROWS_AS(reused.serialize(state), std::logic_error);
}

TEST_CASE("serialising a state that holds an API key secret is refused without echoing it",
          "[state]") {
    State state = sample_state();
    SECTION("in a key name") {
        state.keys[0].name = k_secret;
    }
    SECTION("in a fingerprint") {
        state.keys[1].fingerprint = "leaked " + k_secret;
    }
    SECTION("in the owner") {
        state.owner_id = k_secret;
    }
    try {
        (void)state::serialize_state(state);
        FAIL("serialize_state accepted a secret");
    } catch (const std::logic_error& e) {
        CHECK(std::string(e.what()).find("secret") != std::string::npos);
        CHECK(std::string(e.what()).find(k_secret.substr(3)) == std::string::npos);
    }
}

TEST_CASE("a state file holding an API key secret is rejected on load", "[state]") {
    const std::string text =
        replace_once(state::serialize_state(sample_state()), "\"id-2\"", "\"" + k_secret + "\"");
    const auto parsed = state::parse_state(text, "bots.state.json");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().message.find("keys[1].id") != std::string::npos);
    CHECK(parsed.error().message.find(k_secret.substr(3)) == std::string::npos);
}

TEST_CASE("a state file of an unknown version says which provision it needs", "[state]") {
    const std::string text =
        replace_once(state::serialize_state(sample_state()), "\"version\": 1", "\"version\": 7");
    const auto parsed = state::parse_state(text, "ci/bots.state.json");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == core::Errc::invalid_input);
    const std::string& message = parsed.error().message;
    CHECK(message.find("ci/bots.state.json") != std::string::npos);
    CHECK(message.find("version 7") != std::string::npos);
    CHECK(message.find("upgrade provision") != std::string::npos);
}

TEST_CASE("a state file with a missing field names the field and the file", "[state]") {
    const std::string text =
        replace_once(state::serialize_state(sample_state()), "\"postfix\": \"9f3a\",", "");
    const auto parsed = state::parse_state(text, "bots.state.json");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().message.find("bots.state.json") != std::string::npos);
    CHECK(parsed.error().message.find("keys[0]") != std::string::npos);
    CHECK(parsed.error().message.find("missing field \"postfix\"") != std::string::npos);
}

TEST_CASE("a state file with an unknown field or a wrong type is rejected", "[state]") {
    const std::string base = state::serialize_state(sample_state());
    const auto unknown = state::parse_state(
        replace_once(base, "\"owner\":", "\"ownr\": \"x\", \"owner\":"), "s.json");
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().message.find("a field this provision does not know") !=
          std::string::npos);
    CHECK(unknown.error().message.find("ownr") == std::string::npos);
    const auto wrong_type = state::parse_state(
        replace_once(base, "\"expiresInDays\": 30", "\"expiresInDays\": \"30\""), "s.json");
    REQUIRE_FALSE(wrong_type.ok());
    CHECK(wrong_type.error().message.find("expiresInDays") != std::string::npos);
    const auto bad_date =
        state::parse_state(replace_once(base, "\"createdAt\": \"2026-07-01T12:00:00Z\"",
                                        "\"createdAt\": \"yesterday\""),
                           "s.json");
    REQUIRE_FALSE(bad_date.ok());
    CHECK(bad_date.error().message.find("createdAt") != std::string::npos);
}

TEST_CASE("a truncated state file is reported as corrupt with its position", "[state]") {
    const std::string text = "{\n  \"version\": 1,\n  \"portal\": ";
    const auto parsed = state::parse_state(text, "bots.state.json");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().message.find("bots.state.json:3:") != std::string::npos);
    CHECK(parsed.error().message.find("is corrupt: expected valid JSON") != std::string::npos);
}

TEST_CASE("a state file with a secret as a field name is rejected without echoing it", "[state]") {
    const std::string secret =
        "sk-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d29f3a";
    const std::string text = replace_once(state::serialize_state(sample_state()),
                                          "\"owner\":", "\"" + secret + "\": 1, \"owner\":");
    const auto parsed = state::parse_state(text, "bots.state.json");
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.error().message, Catch::Contains("does not know"));
    CHECK(parsed.error().message.find(secret.substr(3, 16)) == std::string::npos);
}

TEST_CASE("a state file with a number too large for a double is reported as corrupt", "[state]") {
    const auto parsed = state::parse_state(R"({"version": 1e999})", "bots.state.json");
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.error().message, Catch::Contains("bots.state.json:1:1 is corrupt"));
    CHECK_THAT(parsed.error().message, Catch::Contains("too large"));
}

TEST_CASE("a missing state file loads as an empty state", "[state]") {
    test_support::TempDir dir;
    const auto loaded = state::load_state(dir / "absent.state.json");
    REQUIRE(loaded.ok());
    CHECK(loaded->keys.empty());
    CHECK(loaded->retiring.empty());
    CHECK(loaded->version == 1);
}

TEST_CASE("a saved state is private and loads back identical", "[state]") {
    test_support::TempDir dir;
    const auto path = dir / "bots.state.json";
    const mode_t old_mask = ::umask(0);
    const auto saved = state::save_state(path, sample_state());
    ::umask(old_mask);
    REQUIRE(saved.ok());
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    const auto loaded = state::load_state(path);
    REQUIRE(loaded.ok());
    CHECK(state::serialize_state(*loaded) == state::serialize_state(sample_state()));
}

TEST_CASE("a prefetched state gives what load_state would read: the file as it is at the load",
          "[state]") {
    test_support::TempDir dir;
    const auto path = dir / "bots.state.json";
    REQUIRE(state::save_state(path, sample_state()).ok());
    const std::string before = state::serialize_state(sample_state());

    SECTION("unchanged: the same records") {
        state::prefetch_state(path);
        const auto loaded = state::load_state(path);
        REQUIRE(loaded.ok());
        CHECK(state::serialize_state(*loaded) == before);
        // The prefetch is used once: the next load reads and parses the file itself.
        const auto again = state::load_state(path);
        REQUIRE(again.ok());
        CHECK(state::serialize_state(*again) == before);
    }
    SECTION("rewritten after the prefetch (another run's save): the new file") {
        state::prefetch_state(path);
        State changed = sample_state();
        changed.upsert(make_key("Added later", "id-9"));
        REQUIRE(state::save_state(path, changed).ok());
        const auto loaded = state::load_state(path);
        REQUIRE(loaded.ok());
        CHECK(loaded->find("Added later") != nullptr);
        CHECK(state::serialize_state(*loaded) == state::serialize_state(changed));
    }
    SECTION("corrupt: the same error as a parse of it") {
        const std::string broken = replace_once(before, "\"version\": 1", "\"version\": \"one\"");
        { std::ofstream(path, std::ios::trunc) << broken; }
        state::prefetch_state(path);
        const auto loaded = state::load_state(path);
        REQUIRE_FALSE(loaded.ok());
        const auto parsed = state::parse_state(broken, path.string());
        REQUIRE_FALSE(parsed.ok());
        CHECK(loaded.error().message == parsed.error().message);
    }
    SECTION("removed after the prefetch: an empty state") {
        state::prefetch_state(path);
        std::filesystem::remove(path);
        const auto loaded = state::load_state(path);
        REQUIRE(loaded.ok());
        CHECK(loaded->keys.empty());
    }
}
