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
};

// One check of a doctor run (doctor/check.h): its name and result ("ok", "degraded",
// "failed", "skipped").
struct CheckRun {
  std::string check;
  std::string result;
};

struct RunReport {
  std::vector<StreamRun> streams;
  std::optional<PruneRun> prune;
  std::vector<CheckRun> checks;  // doctor: every check, in report order
};

}  // namespace erp::app
