#include "pg/dump_snapshot.h"

#include "pg/read_only_belt.h"

namespace erp::pg {
namespace {

constexpr const char* kApplicationName = "erp-backup row counts";
constexpr const char* kBegin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

// The session settings pg_dump makes before its transaction (pg_dump.c setup_connection), those
// that matter to a count, each where the server has it.
Result<void> set_up_like_pg_dump(PgSession& session) {
  std::string sql = "SET statement_timeout = 0";
  if (session.server_version() >= 90300) sql += "; SET lock_timeout = 0";
  if (session.server_version() >= 90600) sql += "; SET idle_in_transaction_session_timeout = 0";
  if (session.server_version() >= 90500) sql += "; SET row_security = off";
  return session.execute(sql);
}

}  // namespace

PgSettings dump_session_settings(const PgSettings& settings, bool read_only_default) {
  PgSettings made = settings.clone();
  if (read_only_default) {
    const auto own = settings.params.find("options");
    made.params["options"] =
        with_read_only_default(own == settings.params.end() ? "" : own->second);
  }
  return made;
}

Result<DumpSnapshot> DumpSnapshot::open(const PgSettings& settings, bool read_only_default) {
  DumpSnapshot snapshot;
  snapshot.settings_ =
      std::make_unique<PgSettings>(dump_session_settings(settings, read_only_default));
  auto session = PgSession::connect(*snapshot.settings_, "", kApplicationName);
  if (!session) return std::unexpected(session.error());
  snapshot.session_.emplace(std::move(*session));
  PgSession& counting = *snapshot.session_;
  if (auto set = set_up_like_pg_dump(counting); !set) return std::unexpected(set.error());
  if (auto begun = counting.execute(kBegin); !begun) return std::unexpected(begun.error());

  auto exported = counting.query("SELECT pg_catalog.pg_export_snapshot()");
  if (exported && exported->size() == 1 && (*exported)[0][0]) {
    const std::string id = *(*exported)[0][0];
    if (auto imported = probe_snapshot_import(*snapshot.settings_, id); imported) {
      snapshot.shared_id_ = id;
      return snapshot;
    } else {
      // The exporting transaction is fine as it is: its snapshot, taken at the export, is the
      // counts' own.
      snapshot.fallback_reason_ =
          "a second session could not import the exported snapshot: " + imported.error().message;
      return snapshot;
    }
  }
  snapshot.fallback_reason_ =
      "pg_export_snapshot() was refused: " +
      (exported ? std::string("it returned no snapshot") : exported.error().message);
  // The refusal aborted the transaction: a new one, its snapshot taken now (the first query
  // of a REPEATABLE READ transaction takes it), just before pg_dump starts.
  if (auto rolled = counting.execute("ROLLBACK"); !rolled) return std::unexpected(rolled.error());
  if (auto begun = counting.execute(std::string(kBegin) + "; SELECT 1"); !begun) {
    return std::unexpected(begun.error());
  }
  return snapshot;
}

Result<void> probe_snapshot_import(const PgSettings& settings, const std::string& snapshot_id) {
  auto session = PgSession::connect(settings, "", kApplicationName);
  if (!session) return std::unexpected(session.error());
  auto imported = session->execute(std::string(kBegin) + "; SET TRANSACTION SNAPSHOT " +
                                   session->quote_literal(snapshot_id));
  (void)session->execute("ROLLBACK");  // the session ends here anyway
  if (!imported) return std::unexpected(imported.error());
  return {};
}

}  // namespace erp::pg
