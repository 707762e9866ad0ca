// The four output readers (dotenv, JSON, YAML, Kubernetes Secret) on arbitrary bytes: an output
// file may have been edited by hand or mangled, and its secrets are read back before every
// rewrite. Each input goes through all four readers. Checked beyond "no crash": an error never
// repeats a secret (the file is full of them); and what a reader returns, rendered again in the
// same format, reads back to the same variables and the same values byte for byte, which is
// the module's promise that a rewrite leaves the other keys' secrets unchanged.

#include "fuzz_check.hpp"

#include "provision/output/output.hpp"

using namespace provision;

namespace {

void round_trip(manifest::OutputFormat format, std::string_view text) {
    manifest::OutputSpec spec;
    spec.path = "/fuzz/output";
    spec.format = format;
    spec.k8s_name = "fuzz";
    const auto values = output::parse_output(spec, text);
    if (!values) {
        FUZZ_CHECK(values.error().code == core::Errc::invalid_input);
        FUZZ_CHECK(fuzz::secret_free(values.error().message));
        return;
    }
    std::vector<output::SecretRecord> records;
    for (const auto& [env, secret] : *values) {
        output::SecretRecord record;
        record.entry = env;
        record.env = env;
        record.secret = secret;
        record.permissions = core::Scopes::all();
        records.push_back(std::move(record));
    }
    // Not every value read can be written in every format (a NUL in dotenv, a variable name
    // Kubernetes refuses); what can be written must read back unchanged.
    const auto rendered = output::render_output(spec, records);
    if (!rendered) {
        return;
    }
    const auto again = output::parse_output(spec, *rendered);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(*again == *values);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    for (const auto format : {manifest::OutputFormat::dotenv, manifest::OutputFormat::json,
                              manifest::OutputFormat::yaml, manifest::OutputFormat::k8s_secret}) {
        round_trip(format, text);
    }
    return 0;
}
