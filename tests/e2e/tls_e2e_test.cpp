// TLS against the emulator's HTTPS mode with a certificate made at test time: verification is
// always on, a custom CA bundle makes it pass, and a failed verification sends no request.

#include "e2e_support.hpp"

using namespace e2e;

TEST_CASE("apply over HTTPS verifies the portal's certificate against --ca-bundle and never skips "
          "verification",
          "[e2e][tls]") {
    TempDir pki;
    const std::string key_file = (pki / "key.pem").string();
    const std::string cert = (pki / "cert.pem").string();
    const auto made = test_support::run_process(
        {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key_file,
         "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
         "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE"});
    REQUIRE(made.exit_code == 0);
    Emulator emu({"--tls-cert", cert, "--tls-key", key_file});
    REQUIRE(emu.tls());
    Project project(emu);
    REQUIRE(emu.url().rfind("https://", 0) == 0);

    const auto untrusted = project.command("apply");
    CHECK(untrusted.exit_code == 1);
    CHECK(untrusted.err.find("certificate") != std::string::npos);
    CHECK(emu.requests().empty());  // the handshake failed: nothing reached the portal

    const auto trusted = project.command("apply", {"--ca-bundle", cert});
    INFO(trusted.err);
    CHECK(trusted.exit_code == 0);
    CHECK(project.posts() == 3);
    const auto values = source_dotenv(project.secrets("bots.env"), {"INTEGRATION_BOT_API_KEY"});
    CHECK(self_with(emu, values.at("INTEGRATION_BOT_API_KEY")).status == 200);
}
