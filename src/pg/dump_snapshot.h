// The snapshot a backup's row counts share with pg_dump (issue 21): a session made the way
// pg_dump's is opens BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY and exports its snapshot
// (pg_export_snapshot()); pg_dump then runs with --snapshot=<id>, so the rows counted in this
// transaction are the rows the dump holds, whatever is written meanwhile.
//
// Sharing needs pg_dump's session to reach the same server as this one: a pooler that routes a
// new connection elsewhere (another server, another database) cannot import the snapshot, and
// pg_dump would fail on it. So before pg_dump starts a SECOND session, made the same way, must
// import it (BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '<id>';
// ROLLBACK). When the export or that import is refused, the snapshot is not shared: the counts
// run in this session's own REPEATABLE READ transaction, begun just before pg_dump starts, and
// `fallback_reason` says why (the manifest's snapshot "own").
//
// "Made the way pg_dump's is": the same settings, the read-only belt in its options when pg_dump
// gets it (pg/read_only_belt.h), and the session settings pg_dump makes for its dump:
// statement_timeout, lock_timeout and idle_in_transaction_session_timeout 0 (a role's timeout
// must not kill a count, nor the transaction that holds the snapshot while pg_dump runs),
// row_security off (a table whose rows the role may only partly see is an error, as for
// pg_dump, never a smaller count).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "pg/pg_session.h"
#include "pg/pg_settings.h"

namespace erp::pg {

class DumpSnapshot {
 public:
  // Opens the session and its transaction and tries to share the snapshot (see above).
  // `settings` are copied. `read_only_default`: as pg_dump's PgDumpOptions::read_only_default.
  // Errors: the connection's or the transaction's (permanent or config, as PgSession); a
  // refused export or import is not an error but a fallback.
  static Result<DumpSnapshot> open(const PgSettings& settings, bool read_only_default);

  // The session, in its REPEATABLE READ READ ONLY transaction, for the counts. Not thread-safe:
  // one thread at a time.
  PgSession& session() { return *session_; }
  // The exported snapshot pg_dump imports (--snapshot=<id>); nullopt when it is not shared.
  const std::optional<std::string>& shared_id() const { return shared_id_; }
  // Why the snapshot is not shared ("" when it is).
  const std::string& fallback_reason() const { return fallback_reason_; }

 private:
  DumpSnapshot() = default;

  std::unique_ptr<PgSettings> settings_;  // the session borrows them: a stable address
  std::optional<PgSession> session_;
  std::optional<std::string> shared_id_;
  std::string fallback_reason_;
};

// `settings` with the read-only belt added to their options when `read_only_default`: what
// pg_dump's session and the snapshot sessions connect with.
PgSettings dump_session_settings(const PgSettings& settings, bool read_only_default);

// The import probe on its own: a new session from `settings` imports `snapshot_id` and rolls
// back. Errors: the connection's, or the import's refusal (permanent, the server's words).
Result<void> probe_snapshot_import(const PgSettings& settings, const std::string& snapshot_id);

}  // namespace erp::pg
