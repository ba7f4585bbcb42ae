// The db stream's row counts (issue 21, BACKUP_ROW_COUNTS): pg_dump and the counts read the
// same snapshot, and run at the same time.
//
//   1. before pg_dump starts: pg::DumpSnapshot::open (a session made like pg_dump's, REPEATABLE
//      READ READ ONLY, its snapshot exported and a second session's import tried);
//   2. pg_dump runs on the calling thread with --snapshot=<id> (shared) or as it always did
//      (not shared: the counts' transaction began just before, snapshot "own", a warning naming
//      the reason), while pg::count_rows runs on a thread of its own in that transaction; the
//      session is held until both ended;
//   3. the counts become the manifest's database.row_counts.
// Counting never fails the stream: a session that cannot be opened or a count that fails is a
// warning, and the manifest then has no row counts (restores say the set has none; a drill of
// it fails, having nothing to compare). The counts run in a savepoint of the exporting
// transaction, so a failed count does not end the snapshot pg_dump may still have to import.
// A stop (the job's cancellation) or pg_dump's failure cancels a count still running (PQcancel).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "catalog/manifest.h"
#include "config/backup_config.h"
#include "core/cancellation.h"
#include "core/logger.h"
#include "pg/row_counts.h"

namespace erp::app {

// What the stream's producer runs for the dump: pg_dump with `snapshot` (nullopt: none to
// share). Returns the producer's exit status, as StreamSpec::produce.
using DumpRun =
    std::function<Result<std::optional<int>>(const std::optional<std::string>& snapshot)>;

// Runs `dump` with the counts beside it (above) when config.row_counts is not off, else just
// `dump(nullopt)`. `counts` is set when the counts were taken and the dump succeeded.
// `read_only_default`: whether pg_dump gets the read-only belt (the counting sessions get it
// alike). Returns dump's result.
Result<std::optional<int>> dump_with_row_counts(const config::BackupConfig& config,
                                                bool read_only_default, Logger& log,
                                                const Cancellation& cancellation,
                                                std::optional<catalog::RowCountsRecord>& counts,
                                                const DumpRun& dump);

// The manifest's record of `counts`, taken in the snapshot `snapshot` ("dump" or "own") with
// `fallback_reason` ("" for "dump"). Pure.
catalog::RowCountsRecord to_record(const pg::RowCounts& counts, std::string snapshot,
                                   std::string fallback_reason);

}  // namespace erp::app
