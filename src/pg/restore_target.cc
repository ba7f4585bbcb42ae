#include "pg/restore_target.h"

namespace erp::pg {

Result<std::vector<OtherSession>> other_sessions(PgSession& session) {
  auto rows = session.query(
      "SELECT pid::text, usename, application_name, client_addr::text "
      "FROM pg_catalog.pg_stat_activity "
      "WHERE datname = current_database() AND pid <> pg_backend_pid() "
      "AND backend_type = 'client backend' ORDER BY pid");
  if (!rows) return std::unexpected(rows.error());
  std::vector<OtherSession> sessions;
  for (const auto& row : *rows) {
    sessions.push_back(
        {row[0].value_or(""), row[1].value_or(""), row[2].value_or(""), row[3].value_or("")});
  }
  return sessions;
}

Result<void> drop_owned(PgSession& session, const std::string& role) {
  // One DROP OWNED over an ERP schema takes a lock per object (tables, their indexes, toast
  // tables, sequences, large objects: thousands) in one transaction, and fails with "out of
  // shared memory" on a server with default max_locks_per_transaction. So relations and large
  // objects go first in batches, each its own transaction, and DROP OWNED clears what is left.
  const std::string owner =
      "(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = " + session.quote_literal(role) + ")";
  const std::pair<const char*, const char*> kinds[] = {{"m", "MATERIALIZED VIEW"},
                                                       {"v", "VIEW"},
                                                       {"f", "FOREIGN TABLE"},
                                                       {"r", "TABLE"},
                                                       {"p", "TABLE"},
                                                       {"S", "SEQUENCE"}};
  for (const auto& [kind, keyword] : kinds) {
    for (;;) {
      auto rows = session.query(
          "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c "
          "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relowner = " +
          owner + " AND c.relkind = '" + kind +
          "' AND n.nspname NOT LIKE 'pg!_%' ESCAPE '!' AND n.nspname <> 'information_schema' "
          "LIMIT 50");
      if (!rows) return std::unexpected(rows.error());
      if (rows->empty()) break;
      std::string names;
      for (const auto& row : *rows) names += (names.empty() ? "" : ", ") + row[0].value_or("");
      if (auto dropped =
              session.execute(std::string("DROP ") + keyword + " IF EXISTS " + names + " CASCADE");
          !dropped) {
        return dropped;
      }
    }
  }
  for (;;) {
    auto unlinked = session.query(
        "SELECT pg_catalog.lo_unlink(oid) FROM (SELECT oid FROM pg_catalog.pg_largeobject_metadata "
        "WHERE lomowner = " +
        owner + " LIMIT 500) o");
    if (!unlinked) return std::unexpected(unlinked.error());
    if (unlinked->empty()) break;
  }
  return session.execute("DROP OWNED BY " + session.quote_identifier(role) + " CASCADE");
}

Result<std::string> current_user(PgSession& session) {
  auto rows = session.query("SELECT current_user");
  if (!rows) return std::unexpected(rows.error());
  if (rows->size() != 1 || !(*rows)[0][0]) {
    return make_error(ErrorKind::permanent, "SELECT current_user returned no row");
  }
  return *(*rows)[0][0];
}

}  // namespace erp::pg
