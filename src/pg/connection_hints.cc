#include "pg/connection_hints.h"

namespace erp::pg {
namespace {

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace

std::optional<std::string> tls_hint(std::string_view message, std::string_view variable_prefix) {
  const std::string v(variable_prefix);
  // Most specific first: a key libpq refuses to load fails before any certificate is checked,
  // and "certificate authentication failed" (the server's cert auth) is not a password problem.
  if (contains(message, "private key file") && contains(message, "group or world access")) {
    return v +
           "PGSSLKEY names a private key that group or others may read, which libpq refuses: "
           "chmod 0600 the file (owned by the user this job runs as)";
  }
  if (contains(message, "root certificate file")) {
    return v +
           "PGSSLROOTCERT must name a readable file holding the CA that signed the server's "
           "certificate";
  }
  if (contains(message, "certificate present, but not private key") ||
      contains(message, "private key file") || contains(message, "certificate file") ||
      contains(message, "client certificate") || contains(message, "certificate authentication") ||
      contains(message, "alert unknown ca") || contains(message, "alert certificate") ||
      contains(message, "alert bad certificate") || contains(message, "alert handshake")) {
    return "the server wants a client certificate it trusts for this role: check " + v +
           "PGSSLCERT and " + v +
           "PGSSLKEY (a key file of mode 0600; the certificate's CN must be the role, or match "
           "the server's pg_ident map)";
  }
  if (contains(message, "certificate verify failed") ||
      contains(message, "unable to get local issuer certificate") ||
      contains(message, "self-signed certificate") ||
      contains(message, "self signed certificate")) {
    return "the server's certificate is not signed by a CA in " + v +
           "PGSSLROOTCERT: point it at the CA that signed the server's certificate";
  }
  if (contains(message, "does not match host name")) {
    return v + "PGHOST must be a name or address in the server certificate's subjectAltName (" + v +
           "PGSSLMODE=verify-ca checks the CA only)";
  }
  if (contains(message, "server does not support SSL")) {
    return "the server has TLS turned off, and " + v + "PGSSLMODE requires it";
  }
  if (contains(message, "no pg_hba.conf entry") && contains(message, "no encryption")) {
    return "the server accepts this connection over TLS only: set " + v +
           "PGSSLMODE=verify-full and " + v + "PGSSLROOTCERT";
  }
  return std::nullopt;
}

bool tls_file_unusable(std::string_view message) {
  return contains(message, "root certificate file") || contains(message, "private key file") ||
         contains(message, "could not open certificate file") ||
         contains(message, "could not read certificate file") ||
         contains(message, "could not load private key") ||
         contains(message, "certificate present, but not private key");
}

bool password_rejected(std::string_view message) {
  return contains(message, "password authentication failed");
}

std::string password_rejected_hint(std::string_view variable_prefix) {
  const std::string v(variable_prefix);
  return "check " + v + "PGPASSWORD/" + v + "PGPASSWORD_FILE";
}

}  // namespace erp::pg
