#include "pg/restore_target.h"

namespace erp::pg {
namespace {

// One row per object that makes a database non-empty (restore_target.h): kind, name.
// ESCAPE '!' rather than backslash (standard_conforming_strings); pg_* schemas are the
// system's (pg_catalog, pg_toast, pg_temp_N).
constexpr const char* kContentsSql = R"sql(
WITH user_ns AS (
  SELECT oid, nspname FROM pg_catalog.pg_namespace
  WHERE nspname NOT LIKE 'pg!_%' ESCAPE '!' AND nspname <> 'information_schema'),
objects(kind, name) AS (
  SELECT 'schema', nspname::text FROM user_ns WHERE nspname <> 'public'
  UNION ALL
  SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
           WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
           WHEN 'f' THEN 'foreign table' ELSE 'type' END,
         pg_catalog.format('%I.%I', n.nspname, c.relname)
  FROM pg_catalog.pg_class c JOIN user_ns n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
  UNION ALL
  SELECT 'function', pg_catalog.format('%I.%I', n.nspname, p.proname)
  FROM pg_catalog.pg_proc p JOIN user_ns n ON n.oid = p.pronamespace
  UNION ALL
  SELECT 'type', pg_catalog.format('%I.%I', n.nspname, t.typname)
  FROM pg_catalog.pg_type t JOIN user_ns n ON n.oid = t.typnamespace
  WHERE t.typtype IN ('d', 'e', 'r') OR (t.typtype = 'b' AND t.typcategory <> 'A')
  UNION ALL
  SELECT 'operator', pg_catalog.format('%I.%s', n.nspname, o.oprname)
  FROM pg_catalog.pg_operator o JOIN user_ns n ON n.oid = o.oprnamespace
  UNION ALL
  SELECT 'collation', pg_catalog.format('%I.%I', n.nspname, c.collname)
  FROM pg_catalog.pg_collation c JOIN user_ns n ON n.oid = c.collnamespace
  UNION ALL
  SELECT 'text search configuration', pg_catalog.format('%I.%I', n.nspname, c.cfgname)
  FROM pg_catalog.pg_ts_config c JOIN user_ns n ON n.oid = c.cfgnamespace
  UNION ALL
  SELECT 'text search dictionary', pg_catalog.format('%I.%I', n.nspname, d.dictname)
  FROM pg_catalog.pg_ts_dict d JOIN user_ns n ON n.oid = d.dictnamespace
  UNION ALL
  SELECT 'large object', oid::text FROM pg_catalog.pg_largeobject_metadata
  UNION ALL
  SELECT 'extension', extname::text FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql')
SELECT kind, count(*)::text,
       string_agg(name, ', ' ORDER BY name) FILTER (WHERE rank <= 3)
FROM (SELECT kind, name, row_number() OVER (PARTITION BY kind ORDER BY name) AS rank
      FROM objects) numbered
GROUP BY kind ORDER BY kind
)sql";

}  // namespace

std::string TargetContents::describe() const {
  std::string text;
  for (const Kind& kind : kinds) {
    if (!text.empty()) text += ", ";
    text += std::to_string(kind.count) + " " + kind.kind + (kind.count == 1 ? "" : "s");
    if (kind.examples.empty()) continue;
    text += " (";
    for (std::size_t i = 0; i < kind.examples.size(); ++i) {
      text += (i == 0 ? "" : ", ") + kind.examples[i];
    }
    text += static_cast<std::int64_t>(kind.examples.size()) < kind.count ? ", ...)" : ")";
  }
  return text;
}

Result<TargetContents> target_contents(PgSession& session) {
  auto rows = session.query(kContentsSql);
  if (!rows) return std::unexpected(rows.error());
  TargetContents contents;
  for (const auto& row : *rows) {
    TargetContents::Kind kind{.kind = row[0].value_or(""), .count = to_int64(row[1])};
    // The names were joined with ", "; a name holding ", " itself splits, which costs only
    // the example's looks.
    std::string_view names = row[2] ? std::string_view(*row[2]) : std::string_view();
    while (!names.empty()) {
      const auto comma = names.find(", ");
      kind.examples.emplace_back(names.substr(0, comma));
      names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 2);
    }
    contents.kinds.push_back(std::move(kind));
  }
  return contents;
}

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

Result<ConnectionLimitState> connection_limit_state(PgSession& session) {
  // pg_has_role(owner, 'USAGE'): the privileges of the owner, which is what PostgreSQL's
  // ownership check asks of ALTER DATABASE. The backend types PostgreSQL does not count
  // against datconnlimit are the background workers (parallel workers among them).
  auto rows = session.query(
      "SELECT d.datname, d.datconnlimit::text, "
      "(pg_catalog.pg_has_role(d.datdba, 'USAGE') OR r.rolsuper)::text, r.rolsuper::text, "
      "(SELECT count(*) FROM pg_catalog.pg_stat_activity a WHERE a.datid = d.oid "
      "AND a.backend_type NOT IN ('background worker', 'parallel worker', "
      "'logical replication worker'))::text "
      "FROM pg_catalog.pg_database d, pg_catalog.pg_roles r "
      "WHERE d.datname = current_database() AND r.rolname = current_user");
  if (!rows) return std::unexpected(rows.error());
  if (rows->size() != 1) {
    return make_error(ErrorKind::permanent, "reading the target's CONNECTION LIMIT returned " +
                                                std::to_string(rows->size()) + " rows, expected 1");
  }
  const auto& row = (*rows)[0];
  return ConnectionLimitState{.database = row[0].value_or(""),
                              .limit = to_int64(row[1]),
                              .may_alter = row[2].value_or("") == "true",
                              .superuser = row[3].value_or("") == "true",
                              .counted = to_int64(row[4])};
}

std::string connection_limit_sql(const PgSession& session, const std::string& database,
                                 std::int64_t limit) {
  return "ALTER DATABASE " + session.quote_identifier(database) + " CONNECTION LIMIT " +
         std::to_string(limit);
}

Result<void> set_connection_limit(PgSession& session, const std::string& database,
                                  std::int64_t limit) {
  return session.execute(connection_limit_sql(session, database, limit));
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
