// What the source database is: the facts a backup records in its manifest (SPEC §4) and a
// restore checks afterwards (SPEC §6), read over libpq in a read-only transaction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "pg/pg_settings.h"
#include "pg/role_capabilities.h"

namespace erp::pg {

struct DatabaseInfo {
  int server_version_num = 0;        // PQserverVersion(): 150004 for 15.4, 90624 for 9.6.24
  std::string server_version;        // SHOW server_version: "15.4 (Debian 15.4-1.pgdg120+1)"
  std::string database;              // current_database()
  std::string user;                  // current_user
  std::int64_t table_count = 0;      // ordinary + partitioned tables in user schemas (not
                                     // pg_catalog, information_schema, pg_toast/pg_temp);
                                     // partitions are not counted apart from their parent
  std::int64_t llx_table_count = 0;  // those whose name starts with "llx_" (Dolibarr's prefix;
                                     // the "_" is literal: "llxfoo" does not count)
  // pg_database_size(): what the database occupies on disk, indexes included. An upper
  // bound for the size of its dump, which the backup checks against the most one stream
  // can hold (upload/part_schedule.h).
  std::int64_t database_bytes = 0;
  // pg_control_system().system_identifier: the cluster's identity, "" when this role may not
  // read it. With the database name it tells a restore whether its target is the source.
  std::string system_identifier;
  // What the connecting role could do besides reading (pg/role_capabilities.h): the backup's
  // pre-flight logs it and, with BACKUP_REQUIRE_READONLY_ROLE=true, refuses a role that could
  // write.
  RoleCapabilities role;
};

// Connects with PQconnectdbParams(settings.conninfo()), runs the queries inside
// BEGIN TRANSACTION READ ONLY, and disconnects. Blocking; no state is kept. libpq notices
// are dropped (library code does not log).
//
// Errors, all permanent (for a backup job a retry minutes later is the next cron run), with
// libpq's own text (trailing newlines removed, lines joined) and never the password:
//   - wrong password / none given: `authentication failed for user "erp" at host:port: ...
//     (hint: check PGPASSWORD/PGPASSWORD_FILE)`; a password the server rejected says so and
//     names the role ("the server rejected the password of role "erp" (wrong, rotated or
//     expired; ...)")
//   - TLS (certificate not signed by PGSSLROOTCERT's CA, host name not in the certificate, a
//     client key others may read, a client certificate the server refuses, a TLS-only
//     pg_hba): `cannot connect to PostgreSQL at host:port over TLS: ... (hint: ...)` naming
//     PGSSLROOTCERT, PGHOST, PGSSLKEY, PGSSLCERT or PGSSLMODE (connection_hints.h); kind
//     config when a file on this side is unusable (root certificate missing, key others may
//     read), else permanent
//   - unknown role or database: `... (hint: check PGUSER)` / `(hint: check PGDATABASE)`
//   - anything else while connecting (refused, unreachable, TLS, pg_hba):
//     `cannot connect to PostgreSQL at host:port: ... (hint: check PGHOST/PGPORT ...)`
//   - a failing query: `querying database "x" at host:port: ...`
// Invalid settings → config (PgSettings::validate()).
// `variable_prefix` is put before the PG* names in hints ("RESTORE_" for a restore target).
Result<DatabaseInfo> inspect_database(const PgSettings& settings,
                                      std::string_view variable_prefix = "");

}  // namespace erp::pg
