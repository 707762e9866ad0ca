// The one-pass reader of the key list (parse_key_list_envelope) against the DOM path it must
// agree with (parse_envelope, then parse_key_list), on thousands of bodies: valid lists in the
// emulator's format, and the same lists mutated systematically (each member of a key removed,
// nulled, of another type, duplicated; items that are not objects; repeated and odd envelope
// members; bad dates; truncated, invalid and deeply nested bodies). The reference judges the
// list with its key objects first and anything else after them: the one-pass reader has always
// reported the first failing key object before an item that is not an object, wherever that
// item stands (the test named "...before an earlier item that is not an object" pins it).

#include "api/response_parser.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

using namespace provision;
using nlohmann::json;

namespace {

using Keys = core::Result<std::vector<api::ApiKey>>;

/// An object as members of raw JSON text, so a test can repeat, reorder or drop members.
struct Member {
    std::string name;
    std::string value;
};
using Object = std::vector<Member>;

std::string text(const Object& object) {
    std::string out = "{";
    for (const auto& [name, value] : object) {
        out += (out.size() > 1 ? "," : "") + json(name).dump() + ":" + value;
    }
    return out + "}";
}

std::string quoted(const std::string& value) {
    return json(value).dump();
}

Object creator() {
    const std::string avatar = "/static/images/default_user_photo_size_";
    return {{"id", quoted("aa11bb22-cc33-dd44-ee55-ff6677889900")},
            {"displayName", quoted("Jane Doe")},
            {"avatar", quoted(avatar + "82-82.png")},
            {"avatarOriginal", quoted(avatar + "200-200.png")},
            {"profileUrl", quoted("http://127.0.0.1:8092/accounts/people/filter?search=jane")},
            {"hasAvatar", "false"},
            {"isAnonim", "false"}};
}

/// Key `i` as docspace-emulator prints it (src/emulator/keys_routes.cpp, members in its order);
/// the optional members come and go with `i`.
Object key_object(int i) {
    char id[40];
    std::snprintf(id, sizeof id, "0000%04x-0000-4000-8000-%012x", i % 0x10000, i);
    const std::string postfix = std::string(id).substr(32);
    Object key{{"id", quoted(id)},
               {"name", quoted("Key " + std::to_string(i) + (i % 7 == 0 ? " \"é\\ \u00e9" : ""))},
               {"key", quoted("sk-***" + postfix)},
               {"keyPostfix", quoted(postfix)}};
    if (i % 3 != 0) {
        key.push_back({"permissions", i % 3 == 1 ? R"(["rooms:read","files:read"])" : "[]"});
    }
    if (i % 4 == 1) {
        key.push_back({"lastUsed", quoted("2026-07-02T10:00:00.1234567+03:00")});
    }
    key.push_back({"createOn", quoted("2026-07-01T15:04:05.0000000+03:00")});
    key.push_back({"createBy", text(creator())});
    if (i % 2 == 0) {
        key.push_back({"expiresAt", quoted("2026-07-31T15:04:05.0000000Z")});
    }
    key.push_back({"isActive", i % 5 == 0 ? "false" : "true"});
    return key;
}

std::string list_of(const std::vector<std::string>& items) {
    std::string out = "[";
    for (const auto& item : items) {
        out += (out.size() > 1 ? "," : "") + item;
    }
    return out + "]";
}

std::string keys_list(int count) {
    std::vector<std::string> items;
    for (int i = 0; i < count; ++i) {
        items.push_back(text(key_object(i)));
    }
    return list_of(items);
}

/// The envelope around `response` as the emulator prints it (src/emulator/responses.cpp).
std::string envelope(const std::string& response) {
    return R"({"response":)" + response +
           R"(,"count":1,"links":[{"href":"http://127.0.0.1:8092/api/2.0/keys","action":"GET"}],)"
           R"("status":0,"statusCode":200})";
}

/// The DOM path with the list's key objects first: what the one-pass reader answers.
Keys reference(const std::string& body) {
    auto response = api::detail::parse_envelope(body);
    if (!response) {
        return response.error();
    }
    if (response->is_array()) {
        std::stable_partition(response->begin(), response->end(),
                              [](const json& item) { return item.is_object(); });
    }
    return api::detail::parse_key_list(*response);
}

/// The DOM path exactly as parse_key_list reads the list.
Keys dom_path(const std::string& body) {
    const auto response = api::detail::parse_envelope(body);
    return response ? api::detail::parse_key_list(*response) : Keys(response.error());
}

const std::string k_not_object = "a key in the portal's answer is not a JSON object";

struct Tally {
    std::size_t bodies = 0;
    std::size_t valid = 0;
    std::size_t differs_from_dom = 0;  ///< only where an item that is not an object came first
};

/// The one-pass reader gives the reference's keys or its error, code and message.
void check_same(const std::string& body, Tally& tally) {
    const Keys streamed = api::detail::parse_key_list_envelope(body);
    const Keys expected = reference(body);
    INFO("body: " << (body.size() > 600 ? body.substr(0, 600) + "..." : body));
    ++tally.bodies;
    REQUIRE(streamed.ok() == expected.ok());
    if (streamed.ok()) {
        ++tally.valid;
        CHECK(streamed->size() == expected->size());
        CHECK(*streamed == *expected);
    } else {
        CHECK(streamed.error().code == expected.error().code);
        CHECK(streamed.error().message == expected.error().message);
    }
    const Keys dom = dom_path(body);
    if (dom.ok() != streamed.ok() ||
        (!dom.ok() && dom.error().message != streamed.error().message)) {
        ++tally.differs_from_dom;
        REQUIRE_FALSE(dom.ok());
        CHECK(dom.error().message == k_not_object);
        CHECK(streamed.error().message.starts_with("a key object from the portal has no 'id'") !=
              streamed.error().message.starts_with("malformed key object"));
    }
}

/// Values a member is set to: every JSON kind, strings that are and are not dates, strings
/// shorter and longer than a postfix, a secret, control characters and containers.
const std::vector<std::string> k_values = {
    "null",
    "true",
    "false",
    "0",
    "-1",
    "18446744073709551615",
    "1.5",
    "1e400",
    R"("")",
    R"("abc")",
    R"("abcd")",
    R"("x\ny\u0001")",
    quoted(std::string(300, 'd')),
    R"("2026-07-01T15:04:05Z")",
    R"("2026-07-01 15:04:05")",
    R"("2026-13-01T15:04:05+03:00")",
    R"("sk-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d29f3a")",
    "[]",
    R"(["files:read"])",
    R"(["*"])",
    R"(["files:read",1])",
    "[null]",
    "[[]]",
    R"([{"a":1}])",
    "{}",
    R"({"id":"u-1"})",
    R"({"id":1})",
    R"({"id":"u-1","displayName":null})",
    R"({"a":[{"b":{"c":[]}}],"response":[1]})"};

/// The members a mutation aims at; "createBy.x" is a member of the creator object.
const std::vector<std::string> k_fields = {
    "id",        "name",     "key",         "keyPostfix", "permissions", "createOn",
    "expiresAt", "lastUsed", "isActive",    "createBy",   "createBy.id", "createBy.displayName",
    "unknown",   "response", "createBy.zzz"};

/// Applies `change` to the member `field` of `key` (or of its creator).
template <class Change> Object mutated(Object key, const std::string& field, Change change) {
    if (field.starts_with("createBy.")) {
        Object by = creator();
        change(by, field.substr(9));
        for (auto& member : key) {
            if (member.name == "createBy") {
                member.value = text(by);
            }
        }
        return key;
    }
    change(key, field);
    return key;
}

void remove_member(Object& object, const std::string& name) {
    std::erase_if(object, [&](const Member& m) { return m.name == name; });
}

void set_member(Object& object, const std::string& name, const std::string& value) {
    for (auto& member : object) {
        if (member.name == name) {
            member.value = value;
            return;
        }
    }
    object.push_back({name, value});
}

/// Every single-member mutation of a key: removed, set to each value, and repeated with each
/// value before or after the original.
std::vector<Object> single_mutations(const Object& key) {
    std::vector<Object> out;
    for (const auto& field : k_fields) {
        out.push_back(mutated(key, field, remove_member));
        for (const auto& value : k_values) {
            out.push_back(mutated(key, field, [&](Object& o, const std::string& name) {
                set_member(o, name, value);
            }));
            out.push_back(mutated(key, field, [&](Object& o, const std::string& name) {
                o.push_back({name, value});
            }));
            out.push_back(mutated(key, field, [&](Object& o, const std::string& name) {
                o.insert(o.begin(), {name, value});
            }));
        }
    }
    return out;
}

}  // namespace

TEST_CASE("the one-pass key list reader agrees with the DOM path on valid lists", "[api]") {
    Tally tally;
    for (const int count : {0, 1, 2, 7, 2000}) {
        check_same(envelope(keys_list(count)), tally);
    }
    // Whitespace everywhere, and the envelope's members in another order.
    check_same(json::parse(envelope(keys_list(9))).dump(4), tally);
    check_same(R"({"statusCode":200,"status":0,"links":[],"count":1,"response":)" + keys_list(3) +
                   "}",
               tally);
    CHECK(tally.valid == tally.bodies);
    const auto keys = api::detail::parse_key_list_envelope(envelope(keys_list(2000)));
    REQUIRE(keys.ok());
    REQUIRE(keys->size() == 2000);
    CHECK((*keys)[7].name == "Key 7 \"é\\ é");
    CHECK((*keys)[1].permissions.items == std::vector<std::string>{"files:read", "rooms:read"});
    CHECK((*keys)[0].permissions.unrestricted);
    CHECK((*keys)[1].last_used.has_value());
    CHECK_FALSE((*keys)[1].expires_at.has_value());
    CHECK((*keys)[1].created_by_name == "Jane Doe");
}

TEST_CASE("the one-pass key list reader agrees with the DOM path on every mutated member",
          "[api]") {
    Tally tally;
    const std::vector<Object> mutations = single_mutations(key_object(1));
    for (const auto& mutation : mutations) {
        for (std::size_t at = 0; at < 3; ++at) {  // first, middle and last of three keys
            std::vector<std::string> items{text(key_object(2)), text(key_object(3)),
                                           text(key_object(4))};
            items[at] = text(mutation);
            check_same(envelope(list_of(items)), tally);
        }
    }
    CHECK(tally.bodies == mutations.size() * 3);
    CHECK(tally.valid > 0);
    CHECK(tally.valid < tally.bodies);
}

TEST_CASE("the one-pass key list reader reports the first failing key, as the DOM path does",
          "[api]") {
    Tally tally;
    const std::vector<Object> failing = {
        mutated(key_object(1), "id", remove_member),
        mutated(key_object(1), "name",
                [](Object& o, const std::string& n) { set_member(o, n, "1"); }),
        mutated(key_object(1), "createOn",
                [](Object& o, const std::string& n) { set_member(o, n, R"("x")"); }),
        mutated(key_object(1), "isActive", remove_member),
        mutated(key_object(1), "createBy.id", remove_member),
        mutated(key_object(1), "permissions",
                [](Object& o, const std::string& n) { set_member(o, n, "[1]"); }),
    };
    for (const auto& first : failing) {
        for (const auto& second : failing) {
            check_same(envelope(list_of({text(key_object(0)), text(first), text(second)})), tally);
        }
    }
    CHECK(tally.valid == 0);
}

TEST_CASE("the one-pass key list reader agrees with the DOM path on items that are not objects",
          "[api]") {
    Tally tally;
    const std::string good = text(key_object(1));
    const std::string bad = text(mutated(key_object(2), "name", remove_member));
    const std::string no_id = text(mutated(key_object(3), "id", remove_member));
    for (const std::string& odd : std::vector<std::string>{"1", R"("x")", "null", "true", "1.5",
                                                           "[]", "[{}]", "[" + good + "]"}) {
        check_same(envelope(list_of({odd})), tally);
        check_same(envelope(list_of({good, odd})), tally);
        check_same(envelope(list_of({odd, good, good})), tally);
        check_same(envelope(list_of({good, bad, odd})), tally);
        check_same(envelope(list_of({odd, bad})), tally);
        check_same(envelope(list_of({odd, good, no_id, odd})), tally);
    }
    CHECK(tally.differs_from_dom == 16);
}

TEST_CASE("a failing key is reported before an earlier item that is not an object", "[api]") {
    const std::string body = envelope(list_of({"1", R"({"name":"x"})"}));
    const auto streamed = api::detail::parse_key_list_envelope(body);
    REQUIRE_FALSE(streamed.ok());
    CHECK(streamed.error().message == "a key object from the portal has no 'id'");
    const auto dom = dom_path(body);
    REQUIRE_FALSE(dom.ok());
    CHECK(dom.error().message == k_not_object);
}

TEST_CASE("the one-pass key list reader agrees with the DOM path on the envelope's members",
          "[api]") {
    Tally tally;
    const std::string good = keys_list(2);
    const std::string bad = list_of({text(mutated(key_object(1), "createOn", remove_member))});
    const std::vector<std::string> responses = {
        good, bad, "[1]", "[]", "5", "null", "{}", R"("x")", R"({"response":[]})"};
    for (const auto& response : responses) {
        check_same(envelope(response), tally);
        check_same(R"({"status":0,"response":)" + response + "}", tally);
        for (const auto& again : responses) {  // a repeated member: the last one counts
            check_same(R"({"response":)" + response + R"(,"count":2,"response":)" + again + "}",
                       tally);
        }
    }
    for (const std::string& status : std::vector<std::string>{
             "0", "-0", "1", "-1", "0.0", "1e0", R"("0")", "null", "true", "false", "[]", "{}",
             "[0]", "18446744073709551615", "9223372036854775808", "-9223372036854775808"}) {
        check_same(R"({"response":)" + good + R"(,"status":)" + status + "}", tally);
        check_same(R"({"status":)" + status + R"(,"response":)" + bad + "}", tally);
        check_same(R"({"status":)" + status + R"(,"status":0,"response":[]})", tally);
        check_same(R"({"status":0,"status":)" + status + R"(,"response":[]})", tally);
        check_same(R"({"status":)" + status + "}", tally);
    }
    for (const std::string& root :
         std::vector<std::string>{"[]", "[" + good + "]", R"("x")", "1", "null", "true", "{}",
                                  R"({"links":[{"response":[1]}],"count":{"response":[]}})",
                                  R"({"Response":[],"response ":[]})"}) {
        check_same(root, tally);
    }
    // Members around the list with values of every kind, some named like the envelope's own.
    check_same(R"({"links":[{"href":"x","response":[1,2]}],"x":{"status":1,"response":5},)"
               R"("response":)" +
                   good + R"(,"y":[[{"status":1}]],"z":"response","n":null})",
               tally);
    CHECK(tally.valid > 0);
}

TEST_CASE("the one-pass key list reader agrees with the DOM path on invalid and truncated JSON",
          "[api]") {
    Tally tally;
    const std::string good = envelope(keys_list(3));
    for (std::size_t size = 0; size <= good.size(); ++size) {
        check_same(good.substr(0, size), tally);
    }
    const std::string bad = envelope(list_of({text(mutated(key_object(1), "id", remove_member))}));
    for (std::size_t size = 0; size <= bad.size(); size += 3) {
        check_same(bad.substr(0, size), tally);
    }
    for (const std::string& body : std::vector<std::string>{
             good + "x", good + " " + good, good + "\n", " \t" + good, "/* c */" + good,
             envelope("[1,]"), envelope("[{'id':1}]"), envelope("[NaN]"), envelope(R"(["\x"])"),
             envelope("[\"\xff\"]"), envelope(R"(["\ud800"])"), envelope("[01]"),
             "{\"response\":[]", "", " ", "]", "}{", envelope("[" + text(key_object(1)) + "]]")}) {
        check_same(body, tally);
    }
    CHECK(tally.valid > 0);
}

TEST_CASE("the one-pass key list reader agrees with the DOM path on deep nesting", "[api]") {
    Tally tally;
    // The envelope, the list and a key object are three levels; 64 is the most accepted.
    for (const std::size_t extra : std::vector<std::size_t>{59, 60, 61, 62, 63}) {
        const std::string open(extra, '[');
        const std::string close(extra, ']');
        const std::string nested = open + close;
        const auto key = [&](const std::string& field) {
            return mutated(key_object(1), field, [&](Object& o, const std::string& name) {
                set_member(o, name, nested);
            });
        };
        check_same(envelope(list_of({text(key("unknown"))})), tally);
        check_same(envelope(list_of({text(key("permissions"))})), tally);
        check_same(envelope(list_of({text(key("createBy.zzz"))})), tally);
        check_same(envelope(list_of({nested})), tally);
        check_same(R"({"links":)" + nested + R"(,"response":[]})", tally);
        // Brackets in strings do not count; unmatched closers do not go below zero.
        check_same(R"({"links":")" + open + R"(\"\\","response":)" + list_of({nested}) + "}",
                   tally);
        check_same(R"(]]]]{"response":)" + list_of({nested}) + "}", tally);
    }
    CHECK(tally.valid > 0);
    CHECK(tally.valid < tally.bodies);
}
