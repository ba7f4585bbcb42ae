// The hints for connection failures libpq describes only in words. The messages are the ones
// libpq 15 and the server printed in tests/integration/test_pg_security.py's setups.
#include "pg/connection_hints.h"

#include <doctest/doctest.h>

#include <string>

namespace erp::pg {
namespace {

std::string hint(std::string_view message, std::string_view prefix = "") {
  return tls_hint(message, prefix).value_or("<none>");
}

bool has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("pg: a server certificate from another CA points at PGSSLROOTCERT") {
  const std::string text = hint(
      "connection to server at \"127.0.0.1\", port 5432 failed: SSL error: certificate verify "
      "failed");
  CHECK(has(text, "PGSSLROOTCERT"));
  CHECK(has(hint("SSL error: certificate verify failed", "RESTORE_"), "RESTORE_PGSSLROOTCERT"));
}

TEST_CASE("pg: a missing root certificate file points at PGSSLROOTCERT") {
  CHECK(has(hint("root certificate file \"/nonexistent.crt\" does not exist Either provide the "
                 "file or change sslmode to disable server certificate verification."),
            "PGSSLROOTCERT"));
}

TEST_CASE("pg: a client key others may read points at PGSSLKEY and chmod 0600") {
  const std::string text = hint(
      "private key file \"/k/c.key\" has group or world access; file must have permissions "
      "u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) or less "
      "if owned by root");
  CHECK(text.starts_with("PGSSLKEY"));
  CHECK(has(text, "chmod 0600"));
}

TEST_CASE("pg: a client certificate missing, untrusted or for another role points at both") {
  for (const char* message : {"FATAL:  connection requires a valid client certificate",
                              "SSL error: tlsv1 alert unknown ca",
                              "FATAL:  certificate authentication failed for user \"erp_cert\"",
                              "certificate present, but not private key file \"/x.key\""}) {
    CAPTURE(message);
    const std::string text = hint(message);
    CHECK(has(text, "PGSSLCERT"));
    CHECK(has(text, "PGSSLKEY"));
  }
}

TEST_CASE("pg: a host name outside the certificate, or a TLS-only server, is named") {
  CHECK(
      has(hint("server certificate for \"localhost\" does not match host name \"db\""), "PGHOST"));
  CHECK(has(hint("FATAL:  no pg_hba.conf entry for host \"127.0.0.1\", user \"erp_admin\", "
                 "database \"postgres\", no encryption"),
            "PGSSLMODE=verify-full"));
  CHECK(has(hint("server does not support SSL, but SSL was required"), "PGSSLMODE"));
}

TEST_CASE("pg: only files on this side that libpq cannot use are configuration problems") {
  CHECK(tls_file_unusable("root certificate file \"/x.crt\" does not exist"));
  CHECK(tls_file_unusable("private key file \"/k\" has group or world access; ..."));
  CHECK(tls_file_unusable("could not open certificate file \"/c.crt\": No such file"));
  CHECK(tls_file_unusable("certificate present, but not private key file \"/k\""));
  // The server's certificate or its refusal may be the server's doing: not a setting alone.
  CHECK_FALSE(tls_file_unusable("SSL error: certificate verify failed"));
  CHECK_FALSE(tls_file_unusable("SSL error: tlsv1 alert unknown ca"));
  CHECK_FALSE(tls_file_unusable("FATAL:  connection requires a valid client certificate"));
}

TEST_CASE("pg: other failures have no TLS hint; a rejected password is recognised") {
  CHECK_FALSE(tls_hint("FATAL:  password authentication failed for user \"erp\"", ""));
  CHECK_FALSE(tls_hint("Connection refused Is the server running on that host", ""));
  CHECK(password_rejected("FATAL:  password authentication failed for user \"erp\""));
  CHECK_FALSE(password_rejected("FATAL:  certificate authentication failed for user \"erp\""));
  CHECK(password_rejected_hint("RESTORE_") == "check RESTORE_PGPASSWORD/RESTORE_PGPASSWORD_FILE");
}

}  // namespace
}  // namespace erp::pg
