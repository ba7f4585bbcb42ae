// What a command did, for the metrics published at its end (app/report/run_metrics.h). Commands
// fill the parts that concern them through Context::report; the composition root adds the
// command name, times and exit code. Plain data.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/stream.h"

namespace erp::app {

// One stream of a backup run that was selected (it ran, or its pre-flight failed it).
struct StreamRun {
  catalog::Stream stream = catalog::Stream::db;
  bool committed = false;
  std::uint64_t bytes = 0;  // stored bytes (the object's size) when committed
  std::uint64_t parts = 0;  // parts of the multipart upload (1 for a single PUT) when committed
  std::chrono::duration<double> duration{0};  // from the stream's start to its end
};

// What a prune that ran (the command, or after a backup) deleted and aborted.
struct PruneRun {
  bool dry_run = false;
  std::uint64_t sets_deleted = 0;
  std::uint64_t objects_deleted = 0;
  std::uint64_t bytes_deleted = 0;
  std::uint64_t stale_uploads_aborted = 0;
  // Object Lock (issue 20): kept sets whose lock ends within 7 days short of their tier's
  // horizon, objects whose lock this run extended, and whether the deletes were refused for want
  // of permission (prune then stopped deleting).
  std::uint64_t expiring_keepers = 0;
  std::uint64_t promoted_objects = 0;
  bool skipped_by_permission = false;
};

// One check of a doctor run (doctor/check.h): its name and result ("ok", "degraded",
// "failed", "skipped").
struct CheckRun {
  std::string check;
  std::string result;
};

// A drill (issue 21): this run's verdict and measured recovery time, and when the newest passing
// drill ran (this one, or the newest passing evidence in the bucket): a failed drill still
// publishes when the last good one was, so the alert on a drill older than 8 days holds.
struct DrillRun {
  std::string set_id;
  bool passed = false;
  std::chrono::duration<double> duration{0};  // end to end: the measured recovery time
  std::optional<std::chrono::system_clock::time_point> last_success;
  // Stored bytes of the drilled set (the evidence's dump_bytes + docs_bytes): with a passing
  // drill, duration / GiB is erp_backup_drill_rto_seconds_per_gib (0: not published).
  std::uint64_t stored_bytes = 0;
};

struct RunReport {
  std::vector<StreamRun> streams;
  std::optional<PruneRun> prune;
  std::vector<CheckRun> checks;  // doctor: every check, in report order
  // backup with OBJECT_LOCK_MODE on: the canary's verdict (app/backup/lock_canary.h); nullopt
  // when the mode is off or the canary could not decide (then no sample is published).
  std::optional<bool> object_lock_enforced;
  std::optional<DrillRun> drill;  // drill: filled by the drill command
  // status: when the newest passing drill in the bucket passed (app/sets/drill_status.h), so the
  // alert on a drill older than 8 days also works from status's metrics; nullopt when none.
  std::optional<std::chrono::system_clock::time_point> last_drill_success;
};

}  // namespace erp::app
