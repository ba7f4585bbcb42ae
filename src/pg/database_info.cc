#include "pg/database_info.h"

#include "pg/pg_session.h"

namespace erp::pg {

Result<DatabaseInfo> inspect_session(PgSession& session) {
  DatabaseInfo info;
  info.server_version_num = session.server_version();
  // Nothing here writes, and the transaction says so: the production database is read-only
  // to this program (SPEC §1).
  if (auto begun = session.execute("BEGIN TRANSACTION READ ONLY"); !begun) {
    return std::unexpected(begun.error());
  }
  auto version = session.query("SHOW server_version");
  if (!version) return std::unexpected(version.error());
  if (version->size() == 1) info.server_version = (*version)[0][0].value_or("");

  // ESCAPE '!' rather than backslash: a backslash literal depends on
  // standard_conforming_strings. Schemas named pg_* are reserved for the system (pg_catalog,
  // pg_toast, pg_temp_N), so "not pg_%" plus information_schema is exactly "user schemas".
  // relispartition is 10+; before that there are no partitions.
  const std::string partition = info.server_version_num >= 100000 ? "c.relispartition" : "false";
  const std::string counts =
      "SELECT current_database(), current_user, count(*) FILTER (WHERE NOT " + partition +
      "), count(*) FILTER (WHERE NOT " + partition +
      " AND c.relname LIKE 'llx!_%' ESCAPE '!'), "
      "pg_catalog.pg_database_size(current_database()), count(*) FILTER (WHERE " +
      partition +
      ") FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg!_%' ESCAPE '!' "
      "AND n.nspname <> 'information_schema'";
  auto rows = session.query(counts);
  if (!rows) return std::unexpected(rows.error());
  if (rows->size() == 1) {
    const auto& row = (*rows)[0];
    info.database = row[0].value_or("");
    info.user = row[1].value_or("");
    info.table_count = to_int64(row[2]);
    info.llx_table_count = to_int64(row[3]);
    info.database_bytes = to_int64(row[4]);
    info.partition_count = to_int64(row[5]);
  }
  auto role = read_role_capabilities(session, info.server_version_num);
  if (!role) return std::unexpected(role.error());
  info.role = std::move(*role);
  if (auto done = session.execute("COMMIT"); !done) return std::unexpected(done.error());
  // The cluster's identity, when this role may read it (pg_control_system() is granted to
  // superusers and pg_monitor only): outside the transaction, so a refusal costs nothing.
  if (info.server_version_num >= 90600) {
    if (auto id = session.query("SELECT system_identifier FROM pg_catalog.pg_control_system()");
        id && id->size() == 1) {
      info.system_identifier = (*id)[0][0].value_or("");
    }
  }
  return info;
}

Result<DatabaseInfo> inspect_database(const PgSettings& settings,
                                      std::string_view variable_prefix) {
  auto session = PgSession::connect(settings, variable_prefix);
  if (!session) return std::unexpected(session.error());
  return inspect_session(*session);
}

Result<SourceInspection> inspect_source(const PgSettings& settings,
                                        std::chrono::milliseconds sharing_wait) {
  SourceInspection inspection;
  PgSettings belted = settings.clone();  // outlives the session that borrows it
  const auto own = settings.params.find("options");
  belted.params["options"] =
      with_read_only_default(own == settings.params.end() ? "" : own->second);
  auto session = PgSession::connect(belted);
  if (!session && refuses_options_parameter(session.error().message)) {
    // A pooler that does not pass startup options on (pgbouncer) refuses the whole connection;
    // the READ ONLY transactions still hold, so go on without the belt.
    inspection.belt = ReadOnlyBelt::refused;
    inspection.refusal = refusal_reason(session.error().message);
    session = PgSession::connect(settings);
    if (!session && refuses_options_parameter(session.error().message)) {
      Error error = session.error();
      error.message +=
          " (hint: the server or a pooler in front of it refuses the options "
          "startup parameter; unset PGOPTIONS)";
      return std::unexpected(std::move(error));
    }
  }
  if (!session) return std::unexpected(session.error());
  // Accepted is not applied: a pooler told to ignore the parameter drops it silently.
  auto shown = session->query("SHOW default_transaction_read_only");
  if (!shown) return std::unexpected(shown.error());
  inspection.session_default_read_only = shown->size() == 1 && (*shown)[0][0].value_or("") == "on";
  if (inspection.belt == ReadOnlyBelt::in_effect && !inspection.session_default_read_only) {
    inspection.belt = ReadOnlyBelt::not_in_effect;
  }
  auto info = inspect_session(*session);
  if (!info) return std::unexpected(info.error());
  inspection.info = std::move(*info);
  // The probe's second connection is made like this one (with the belt when it was taken).
  const PgSettings& used = inspection.belt == ReadOnlyBelt::refused ? settings : belted;
  auto probe = probe_session_sharing(*session, used, sharing_wait);
  if (!probe) return std::unexpected(probe.error());
  if (probe->sharing == SessionSharing::shared) {
    return make_error(
        ErrorKind::config,
        "the server session behind " + settings.target() +
            " is shared with other clients (backend pids: " + probe->detail +
            "): a pooler in transaction or statement pooling mode, which pg_dump cannot run "
            "through (its session settings and its dump transaction may land on different "
            "server sessions) (hint: point PGHOST/PGPORT at a pool with pool_mode=session, or "
            "at PostgreSQL directly)");
  }
  inspection.sharing = std::move(*probe);
  return inspection;
}

}  // namespace erp::pg
