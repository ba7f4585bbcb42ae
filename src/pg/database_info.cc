#include "pg/database_info.h"

#include "pg/pg_session.h"

namespace erp::pg {

Result<DatabaseInfo> inspect_database(const PgSettings& settings,
                                      std::string_view variable_prefix) {
  auto session = PgSession::connect(settings, variable_prefix);
  if (!session) return std::unexpected(session.error());

  DatabaseInfo info;
  info.server_version_num = session->server_version();
  // Nothing here writes, and the transaction says so: the production database is read-only
  // to this program (SPEC §1).
  if (auto begun = session->execute("BEGIN TRANSACTION READ ONLY"); !begun) {
    return std::unexpected(begun.error());
  }
  auto version = session->query("SHOW server_version");
  if (!version) return std::unexpected(version.error());
  if (version->size() == 1) info.server_version = (*version)[0][0].value_or("");

  // ESCAPE '!' rather than backslash: a backslash literal depends on
  // standard_conforming_strings. Schemas named pg_* are reserved for the system (pg_catalog,
  // pg_toast, pg_temp_N), so "not pg_%" plus information_schema is exactly "user schemas".
  // relispartition is 10+.
  const bool has_partitions = info.server_version_num >= 100000;
  const std::string counts =
      std::string(
          "SELECT current_database(), current_user, count(*), "
          "count(*) FILTER (WHERE c.relname LIKE 'llx!_%' ESCAPE '!'), "
          "pg_catalog.pg_database_size(current_database()) "
          "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
          "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg!_%' ESCAPE '!' "
          "AND n.nspname <> 'information_schema'") +
      (has_partitions ? " AND NOT c.relispartition" : "");
  auto rows = session->query(counts);
  if (!rows) return std::unexpected(rows.error());
  if (rows->size() == 1) {
    const auto& row = (*rows)[0];
    info.database = row[0].value_or("");
    info.user = row[1].value_or("");
    info.table_count = to_int64(row[2]);
    info.llx_table_count = to_int64(row[3]);
    info.database_bytes = to_int64(row[4]);
  }
  auto role = read_role_capabilities(*session, info.server_version_num);
  if (!role) return std::unexpected(role.error());
  info.role = std::move(*role);
  if (auto done = session->execute("COMMIT"); !done) return std::unexpected(done.error());
  // The cluster's identity, when this role may read it (pg_control_system() is granted to
  // superusers and pg_monitor only): outside the transaction, so a refusal costs nothing.
  if (info.server_version_num >= 90600) {
    if (auto id = session->query("SELECT system_identifier FROM pg_catalog.pg_control_system()");
        id && id->size() == 1) {
      info.system_identifier = (*id)[0][0].value_or("");
    }
  }
  return info;
}

}  // namespace erp::pg
