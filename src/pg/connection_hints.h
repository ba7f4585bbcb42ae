// What an operator should change when libpq (in this process, or inside pg_dump/pg_restore)
// could not connect for a reason it spells out in words but no SQLSTATE: TLS certificates and
// keys, TLS-only servers, and a password the server rejected. Pure text functions, so both the
// in-process session (pg_session.cc) and the children's failure paths (pg_dump.cc) give the
// same hints.
//
// The messages matched are libpq's and the server's English texts (the test server runs with
// lc_messages=C); a translated text matches nothing and the caller's generic hint applies.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace erp::pg {

// The hint for a TLS problem in `message` (libpq's or pg_dump's text), or nullopt when it
// describes none. `variable_prefix` goes before every variable name ("RESTORE_" for a
// restore target). Returned without the "(hint: ...)" wrapper, e.g.
//   "certificate verify failed"           → "PGSSLROOTCERT must name the CA that signed the
//                                            server's certificate ..."
//   "private key file ... group or world" → "PGSSLKEY ... chmod 0600 ..."
//   "does not match host name"            → "PGHOST must be a name in the certificate ..."
//   client certificate missing/refused    → "PGSSLCERT/PGSSLKEY ..."
//   "no encryption" (pg_hba needs TLS)    → "PGSSLMODE ..."
std::optional<std::string> tls_hint(std::string_view message, std::string_view variable_prefix);

// Whether `message` (one tls_hint() knows) is about a file on this side that libpq could not
// use: a root certificate file that is missing or unreadable, a client certificate or key that
// cannot be opened or loaded, a key others may read. Those are configuration errors (exit 2,
// nothing started); a certificate the server presents that does not verify is not (it may be
// the server that changed).
bool tls_file_unusable(std::string_view message);

// Whether `message` says the server rejected the password ("password authentication failed
// for user ..."): wrong, rotated, or expired (VALID UNTIL) credentials look the same from here.
bool password_rejected(std::string_view message);

// The hint for a rejected password of `role`, naming `variable_prefix`PGPASSWORD(_FILE) and
// saying when the file is read. Never holds the password.
std::string password_rejected_hint(std::string_view variable_prefix);

}  // namespace erp::pg
