// What the source database is: the facts a backup records in its manifest (SPEC §4) and a
// restore checks afterwards (SPEC §6), read over libpq in a read-only transaction.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "pg/pg_session.h"
#include "pg/pg_settings.h"
#include "pg/read_only_belt.h"
#include "pg/role_capabilities.h"
#include "pg/session_sharing.h"

namespace erp::pg {

struct DatabaseInfo {
  int server_version_num = 0;        // PQserverVersion(): 150004 for 15.4, 90624 for 9.6.24
  std::string server_version;        // SHOW server_version: "15.4 (Debian 15.4-1.pgdg120+1)"
  std::string database;              // current_database()
  std::string user;                  // current_user
  std::int64_t table_count = 0;      // ordinary + partitioned tables in user schemas (not
                                     // pg_catalog, information_schema, pg_toast/pg_temp);
                                     // partitions are not counted apart from their parent
                                     // (what the manifest records; the TOC counts the same,
                                     // pg/pg_restore_list.h)
  std::int64_t llx_table_count = 0;  // those whose name starts with "llx_" (Dolibarr's prefix;
                                     // the "_" is literal: "llxfoo" does not count)
  std::int64_t partition_count = 0;  // partitions (relispartition) in user schemas
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

// The facts, on a session already open (a restore's own, which holds the target while it
// is closed to new sessions): the queries of inspect_database() below, in BEGIN TRANSACTION
// READ ONLY ... COMMIT. Errors: a failing query (permanent).
Result<DatabaseInfo> inspect_session(PgSession& session);

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

// What the backup pre-flight learns about its source: the facts, and whether the read-only
// belt (pg/read_only_belt.h) holds on a session made the way pg_dump's will be.
struct SourceInspection {
  DatabaseInfo info;
  ReadOnlyBelt belt = ReadOnlyBelt::in_effect;
  // When belt == refused: the refusal's words (refusal_reason()), e.g.
  // "unsupported startup parameter: options".
  std::string refusal;
  // SHOW default_transaction_read_only on the inspected session: the belt's doing, or the
  // role's or database's own setting (ALTER ROLE ... SET), which reaches through a pooler.
  bool session_default_read_only = false;
  // own or unknown (shared is an error, below).
  SessionSharingProbe sharing;
};

// inspect_database() for the backup source, trying the belt first: connects with
// `settings` + options kReadOnlyDefaultOption; when that connection is refused because of the
// `options` startup parameter (refuses_options_parameter()), connects once more with
// `settings` as they are (belt = refused). On the connection it got it reads
// SHOW default_transaction_read_only (belt = in_effect or not_in_effect), then runs
// inspect_database()'s queries in BEGIN TRANSACTION READ ONLY.
// Last, probe_session_sharing() on that connection (waiting `sharing_wait` at most).
// Errors: those of inspect_database(); after a refusal, those of the second attempt (a refusal
// again means the settings' own PGOPTIONS is refused too, and the message says so); a server
// session proven shared with other clients → config: "the server session behind PGHOST:PGPORT
// is shared with other clients (backend pid N served two connections): transaction or statement
// pooling, which pg_dump cannot run through (hint: ...session pooling or PostgreSQL directly)".
Result<SourceInspection> inspect_source(
    const PgSettings& settings,
    std::chrono::milliseconds sharing_wait = std::chrono::milliseconds(5000));

}  // namespace erp::pg
