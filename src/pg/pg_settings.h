// How to reach a PostgreSQL database: libpq connection keywords plus the password.
//
// Filled by the config module from PG* variables (pg_environment_variables() says which
// variable feeds which keyword); this module reads no environment. Two consumers: libpq in
// this process (conninfo()) and child programs such as pg_dump (add_to_environment()):
// the password reaches a child only through its environment, never argv.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/secret.h"
#include "process/child_process.h"

namespace erp::pg {

// A libpq keyword and the environment variable libpq reads it from (e.g. sslmode/PGSSLMODE).
struct PgKeywordVariable {
  std::string_view keyword;
  std::string_view variable;
};

// Every libpq connection keyword that has an environment variable, in documentation order, up
// to libpq 17 (require_auth and sslcertmode are 16+, sslnegotiation 17+: an older libpq
// rejects them as "invalid connection option"). "password" (PGPASSWORD) is not among them: it
// is PgSettings::password.
std::span<const PgKeywordVariable> pg_environment_variables();

// The libpq keyword/value arrays for PQconnectdbParams, NULL-terminated. The pointers borrow
// from the PgSettings they were made from: valid while it lives and is not changed.
struct PgConninfo {
  std::vector<const char*> keywords;
  std::vector<const char*> values;
};

// Move-only (it holds a Secret); clone() copies explicitly.
struct PgSettings {
  // libpq keyword → value: host, port, dbname, user, sslmode, sslrootcert, options, ...
  // Only keywords listed in pg_environment_variables(); never "password".
  std::map<std::string, std::string> params;
  // Empty: none given (libpq may then use a passfile).
  Secret password;

  PgSettings clone() const;

  // The settings are usable: every keyword known and passable to a child, no "password"
  // among the params. Error kind config, naming the keyword.
  Result<void> validate() const;

  // For PQconnectdbParams(..., expand_dbname = 0): every param, the password when set, and
  // fallback_application_name = `application_name`. Errors: those of validate().
  Result<PgConninfo> conninfo(const char* application_name = "erp-backup") const;

  // Sets PGHOST, PGPORT, PGDATABASE, PGUSER, PGSSLMODE, ... for every param, and PGPASSWORD
  // (as a secret entry) when a password is set. Errors: those of validate().
  Result<void> add_to_environment(process::ChildEnvironment& environment) const;

  // For messages: `host:port` as given (libpq defaults spelled out as "(default socket)" and
  // 5432), e.g. "db.internal:5432"; never the password.
  std::string target() const;
  // params.at("user") or "(default user)".
  std::string user() const;
  // params.at("dbname") or "(default database)".
  std::string database() const;
};

// Returns `text` with every occurrence of `password` replaced by <redacted>: a last line of
// defence for messages that come from elsewhere (libpq, a child's stderr). Passwords shorter
// than 4 bytes are left alone (replacing them would garble every message).
std::string redact_password(std::string text, const Secret& password);

}  // namespace erp::pg
