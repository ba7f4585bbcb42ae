// What a restore asks of, and does to, its target database before pg_restore runs (SPEC §6):
// what it holds already, who else is connected, how many connections it admits, and whose
// objects to drop. Each call runs on a session the caller opened with the RESTORE_PG* settings;
// each is one or a few statements in autocommit, blocking.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "pg/pg_session.h"

namespace erp::pg {

// What a database holds besides what every new database has. "Empty" means, precisely:
//   - no schema other than public (and the system's pg_* and information_schema);
//   - in every other schema (public included): no relation (table, partition, view,
//     materialized view, sequence, foreign table, composite type), function or procedure,
//     type (domain, enum, range, base type), operator, collation, text search configuration
//     or dictionary;
//   - no large object, and no extension but plpgsql.
// Grants and comments on the database or on public, and settings (ALTER DATABASE SET), do not
// count: they are not data, and a restore does not conflict with them.
struct TargetContents {
  struct Kind {
    std::string kind;  // "table", "schema", "large object", ...
    std::int64_t count = 0;
    std::vector<std::string> examples;  // the first few names, in name order ("public.x")
  };
  std::vector<Kind> kinds;  // only kinds found, in kind order; empty when the database is empty

  bool empty() const { return kinds.empty(); }
  // "2 tables (public.llx_societe, public.t), 1 schema (sales)"; "" when empty.
  std::string describe() const;
};

// Errors: the query's (permanent).
Result<TargetContents> target_contents(PgSession& session);

// Another session connected to the target database.
struct OtherSession {
  std::string pid;
  std::string user;              // "" when this role may not see it
  std::string application_name;  // e.g. "Dolibarr", "psql"
  std::string client_address;    // "" for a local socket or when hidden
};

// Every other client session connected to the session's current database.
Result<std::vector<OtherSession>> other_sessions(PgSession& session);

// How the target's CONNECTION LIMIT stands, and whether this session may change it.
struct ConnectionLimitState {
  std::string database;     // current_database()
  std::int64_t limit = -1;  // pg_database.datconnlimit: -1 no limit, N at most N sessions
  // ALTER DATABASE ... CONNECTION LIMIT needs the database's owner (or a member of it with its
  // privileges) or a superuser; a superuser is also the only role the limit does not hold for.
  bool may_alter = false;
  bool superuser = false;
  // Backends PostgreSQL counts against the limit now: every backend connected to the database
  // except background and parallel workers (client sessions, this one included, autovacuum
  // workers, walsenders).
  std::int64_t counted = 0;
};

Result<ConnectionLimitState> connection_limit_state(PgSession& session);

// "ALTER DATABASE "name" CONNECTION LIMIT n" for this connection's quoting: what
// set_connection_limit() runs, and what an operator runs to undo it. Pure apart from quoting.
std::string connection_limit_sql(const PgSession& session, const std::string& database,
                                 std::int64_t limit);

// Runs connection_limit_sql(). New sessions beyond the limit are refused ("too many connections
// for database"); sessions already connected stay. Errors: permanent, the server's words
// ("must be owner of database x").
Result<void> set_connection_limit(PgSession& session, const std::string& database,
                                  std::int64_t limit);

// DROP OWNED BY `role` CASCADE: every object the role owns in this database, and its grants.
// Relations and large objects are dropped first in batches (see the .cc for why), so a partly
// finished call leaves a partly emptied database: call it only once a restore is decided.
Result<void> drop_owned(PgSession& session, const std::string& role);

// The session's current_user (whom DROP OWNED drops when no RESTORE_ROLE is set).
Result<std::string> current_user(PgSession& session);

}  // namespace erp::pg
