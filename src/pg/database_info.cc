#include "pg/database_info.h"

#include <libpq-fe.h>

#include <charconv>
#include <memory>
#include <string_view>

namespace erp::pg {

namespace {

struct ConnectionDeleter {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Connection = std::unique_ptr<PGconn, ConnectionDeleter>;
using QueryResult = std::unique_ptr<PGresult, ResultDeleter>;

void drop_notice(void*, const char*) {}

// libpq's messages end in "\n" and continue on "\n\t"-indented lines; ours are one line.
std::string one_line(std::string_view text) {
  std::string out;
  bool pending_space = false;
  for (const char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space && out.back() != ' ') out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string libpq_error(PGconn* connection, const PgSettings& settings) {
  return redact_password(one_line(PQerrorMessage(connection)), settings.password);
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

Error connect_error(PGconn* connection, const PgSettings& settings) {
  const std::string detail = libpq_error(connection, settings);
  const std::string where = settings.target();
  // libpq has no SQLSTATE for a failed connection, so the server's words decide. They are
  // English unless the server's lc_messages says otherwise; then the generic hint applies.
  if (contains(detail, "authentication failed") || PQconnectionNeedsPassword(connection)) {
    return Error{ErrorKind::permanent, "authentication failed for user \"" + settings.user() +
                                           "\" at " + where + ": " + detail +
                                           " (hint: check PGPASSWORD/PGPASSWORD_FILE)"};
  }
  if (contains(detail, "role \"") && contains(detail, "does not exist")) {
    return Error{ErrorKind::permanent, "cannot connect to PostgreSQL at " + where + " as user \"" +
                                           settings.user() + "\": " + detail +
                                           " (hint: check PGUSER)"};
  }
  if (contains(detail, "database \"") && contains(detail, "does not exist")) {
    return Error{ErrorKind::permanent, "cannot connect to PostgreSQL at " + where +
                                           ", database \"" + settings.database() + "\": " + detail +
                                           " (hint: check PGDATABASE)"};
  }
  return Error{ErrorKind::permanent,
               "cannot connect to PostgreSQL at " + where + ": " + detail +
                   " (hint: check PGHOST/PGPORT and that the server accepts connections from "
                   "here)"};
}

Result<QueryResult> run(PGconn* connection, const PgSettings& settings, const char* sql,
                        ExecStatusType expected) {
  QueryResult result(PQexec(connection, sql));
  if (!result || PQresultStatus(result.get()) != expected) {
    return make_error(ErrorKind::permanent, "querying database \"" + settings.database() +
                                                "\" at " + settings.target() + ": " +
                                                libpq_error(connection, settings));
  }
  return result;
}

std::int64_t to_int64(const char* text) {
  std::int64_t value = 0;
  const std::string_view view(text);
  std::from_chars(view.data(), view.data() + view.size(), value);
  return value;
}

}  // namespace

Result<DatabaseInfo> inspect_database(const PgSettings& settings) {
  auto conninfo = settings.conninfo();
  if (!conninfo) return std::unexpected(conninfo.error());
  Connection connection(
      PQconnectdbParams(conninfo->keywords.data(), conninfo->values.data(), /*expand_dbname=*/0));
  if (!connection) {
    return make_error(ErrorKind::permanent,
                      "cannot connect to PostgreSQL at " + settings.target() + ": out of memory");
  }
  PQsetNoticeProcessor(connection.get(), drop_notice, nullptr);
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return std::unexpected(connect_error(connection.get(), settings));
  }

  DatabaseInfo info;
  info.server_version_num = PQserverVersion(connection.get());
  // Nothing here writes, and the transaction says so: the production database is read-only
  // to this program (SPEC §1).
  if (auto begun = run(connection.get(), settings, "BEGIN TRANSACTION READ ONLY", PGRES_COMMAND_OK);
      !begun) {
    return std::unexpected(begun.error());
  }
  auto version = run(connection.get(), settings, "SHOW server_version", PGRES_TUPLES_OK);
  if (!version) return std::unexpected(version.error());
  if (PQntuples(version->get()) == 1) info.server_version = PQgetvalue(version->get(), 0, 0);

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
  auto rows = run(connection.get(), settings, counts.c_str(), PGRES_TUPLES_OK);
  if (!rows) return std::unexpected(rows.error());
  if (PQntuples(rows->get()) == 1) {
    info.database = PQgetvalue(rows->get(), 0, 0);
    info.user = PQgetvalue(rows->get(), 0, 1);
    info.table_count = to_int64(PQgetvalue(rows->get(), 0, 2));
    info.llx_table_count = to_int64(PQgetvalue(rows->get(), 0, 3));
    info.database_bytes = to_int64(PQgetvalue(rows->get(), 0, 4));
  }
  if (auto done = run(connection.get(), settings, "COMMIT", PGRES_COMMAND_OK); !done) {
    return std::unexpected(done.error());
  }
  return info;
}

}  // namespace erp::pg
