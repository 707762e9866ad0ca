// The DocSpace response parser on arbitrary bodies, through every function of
// src/api/response_parser.hpp, as the HTTP client would call them: the success envelope, then
// each payload parser on its `response` (list, create, single key, boolean, string list, user),
// and for error statuses the three error shapes (error_from_response, describe_error_body,
// error_type). Checked beyond "no crash": every failure is a protocol error whose message holds
// no secret; a parsed key has an id; a create yields a well-formed secret whose last four
// characters are the postfix; the server's own words are redacted, single-line and short
// whatever the body. The one-pass key list reader (parse_key_list_envelope, a SAX handler) must
// give exactly what the DOM path gives, keys field by field or the same error message, with the
// list's key objects judged before its other items (the order that reader has always reported).

#include "fuzz_check.hpp"

#include "api/response_parser.hpp"

#include <algorithm>
#include <chrono>

using namespace provision;

namespace {

/// Every failure of a payload parser is a protocol error that does not repeat a secret.
/// Returns the value, or nullptr on failure.
template <class T> const T* checked(const core::Result<T>& result) {
    if (!result) {
        FUZZ_CHECK(result.error().code == core::Errc::protocol);
        FUZZ_CHECK(fuzz::secret_free(result.error().message));
        return nullptr;
    }
    return &result.value();
}

void check_key(const api::ApiKey& key) {
    FUZZ_CHECK(!key.id.empty());
    fuzz::check_scopes(key.permissions);
}

void parse_payloads(const nlohmann::json& response) {
    const auto list = api::detail::parse_key_list(response);
    if (const auto* keys = checked(list)) {
        for (const auto& key : *keys) {
            check_key(key);
        }
    }
    const auto single = api::detail::parse_key(response);
    if (const auto* key = checked(single)) {
        check_key(*key);
    }
    const auto create = api::detail::parse_created_key(response);
    if (const auto* created = checked(create)) {
        const std::string& secret = created->secret.reveal();
        FUZZ_CHECK(core::looks_like_api_key(secret));
        FUZZ_CHECK(created->key.postfix == secret.substr(secret.size() - 4));
        check_key(created->key);
    }
    checked(api::detail::parse_bool(response));
    checked(api::detail::parse_string_list(response));
    const auto self = api::detail::parse_user(response);
    if (const auto* user = checked(self)) {
        FUZZ_CHECK(!user->id.empty());
    }
}

/// The server's words as they reach a message: redacted, no control characters, bounded.
void check_server_words(std::string_view words) {
    FUZZ_CHECK(fuzz::secret_free(words));
    FUZZ_CHECK(words.size() <= 256);
    for (const char c : words) {
        FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body = fuzz::as_text(data, size);

    const auto envelope = api::detail::parse_envelope(body);
    if (const auto* response = checked(envelope)) {
        parse_payloads(*response);
    }
    // The one-pass list reader answers what the DOM path does, to the key and the message.
    const auto streamed = api::detail::parse_key_list_envelope(body);
    checked(streamed);
    auto objects_first = envelope ? *envelope : nlohmann::json();
    if (objects_first.is_array()) {
        std::stable_partition(objects_first.begin(), objects_first.end(),
                              [](const nlohmann::json& item) { return item.is_object(); });
    }
    const auto whole = envelope ? api::detail::parse_key_list(objects_first)
                                : core::Result<std::vector<api::ApiKey>>(envelope.error());
    FUZZ_CHECK(streamed.ok() == whole.ok());
    FUZZ_CHECK(streamed ? *streamed == *whole : streamed.error().message == whole.error().message);

    check_server_words(api::detail::describe_error_body(body));
    api::detail::error_type(body);

    const core::Timestamp now{std::chrono::sys_days{std::chrono::year{2026} / 7 / 1}};
    for (const int status : {400, 401, 403, 429, 500, 503}) {
        api::HttpResponse response;
        response.status = status;
        response.body = std::string(body);
        response.headers.emplace("retry-after", "3");
        const core::Error error = api::detail::error_from_response(response, "fuzzing", now);
        FUZZ_CHECK(error.http_status == status);
        FUZZ_CHECK(error.retry_after == std::chrono::seconds{3});
        FUZZ_CHECK(fuzz::secret_free(error.message));
        FUZZ_CHECK(error.message.starts_with("fuzzing: the portal answered HTTP "));
    }
    return 0;
}
