#include "app/backup/dump_row_counts.h"

#include <chrono>
#include <stop_token>
#include <thread>

#include "pg/dump_snapshot.h"

namespace erp::app {

catalog::RowCountsRecord to_record(const pg::RowCounts& counts, std::string snapshot,
                                   std::string fallback_reason) {
  catalog::RowCountsRecord record;
  record.method = std::string(pg::to_string(counts.method));
  record.snapshot = std::move(snapshot);
  record.fallback_reason = std::move(fallback_reason);
  record.large_objects = counts.large_objects;
  record.tables.reserve(counts.tables.size());
  for (const pg::TableRows& table : counts.tables) {
    record.tables.push_back({table.table, table.rows});
  }
  return record;
}

namespace {

// count_rows inside a savepoint of the exporting transaction: a count that fails (a table the
// role may not read, a cancelled query) aborts only the savepoint, which is rolled back at
// once, so the transaction and the snapshot pg_dump may not have imported yet stay valid, and
// a counting problem never becomes a failed dump.
Result<pg::RowCounts> count_in_savepoint(pg::PgSession& session, pg::RowCountMethod method,
                                         const Cancellation& cancellation, Logger& log) {
  if (auto opened = session.query("SAVEPOINT erp_backup_row_counts", cancellation); !opened) {
    return std::unexpected(opened.error().with_context("opening the counting savepoint"));
  }
  auto counted = pg::count_rows(session, method, cancellation);
  if (!counted) {
    // Not cancellable: it must run also once counting was cancelled.
    if (auto rolled = session.query("ROLLBACK TO SAVEPOINT erp_backup_row_counts"); !rolled) {
      log.warn("row counts: the counting savepoint could not be rolled back",
               {{"error", rolled.error().message}});
    }
  }
  return counted;
}

}  // namespace

Result<std::optional<int>> dump_with_row_counts(const config::BackupConfig& config,
                                                bool read_only_default, Logger& log,
                                                const Cancellation& cancellation,
                                                std::optional<catalog::RowCountsRecord>& counts,
                                                const DumpRun& dump) {
  if (config.row_counts == pg::RowCountMethod::off) return dump(std::nullopt);
  auto snapshot = pg::DumpSnapshot::open(config.pg, read_only_default);
  if (!snapshot) {
    log.warn(
        "row counts not taken: the counting session could not be opened; the manifest has "
        "no row counts",
        {{"error", snapshot.error().message}});
    return dump(std::nullopt);
  }
  const std::string method(pg::to_string(config.row_counts));
  if (snapshot->shared_id()) {
    log.info("row counts share pg_dump's snapshot",
             {{"method", method}, {"snapshot_id", *snapshot->shared_id()}});
  } else {
    log.warn(
        "row counts in a snapshot of their own, taken just before pg_dump started: a "
        "restore holds them as non-empty tables, not exact counts",
        {{"method", method}, {"reason", snapshot->fallback_reason()}});
  }

  // The counts stop on the job's stop and when pg_dump failed (nothing to count for then).
  Cancellation stop_counting;
  std::stop_callback on_stop(cancellation.token(),
                             [&] { stop_counting.cancel(cancellation.signal_number()); });
  std::optional<Result<pg::RowCounts>> counted;
  std::chrono::steady_clock::duration took{};
  Result<std::optional<int>> dumped;
  {
    std::jthread counter([&] {
      const auto started = std::chrono::steady_clock::now();
      counted = count_in_savepoint(snapshot->session(), config.row_counts, stop_counting, log);
      took = std::chrono::steady_clock::now() - started;
    });
    dumped = dump(snapshot->shared_id());
    if (!dumped) stop_counting.cancel(0);
  }  // the counter joined: the session, and with it the snapshot, held until both ended
  if (!dumped) return dumped;
  if (!*counted) {
    log.warn("row counts failed; the dump is complete, the manifest has no row counts",
             {{"method", method}, {"error", counted->error().message}});
    return dumped;
  }
  const pg::RowCounts& rows = **counted;
  counts = to_record(rows, snapshot->shared_id() ? "dump" : "own", snapshot->fallback_reason());
  log.info("row counts taken",
           {{"method", method},
            {"snapshot", counts->snapshot},
            {"tables", std::to_string(rows.tables.size())},
            {"large_objects", std::to_string(rows.large_objects)},
            {"seconds", std::to_string(std::chrono::duration<double>(took).count())}});
  return dumped;
}

}  // namespace erp::app
