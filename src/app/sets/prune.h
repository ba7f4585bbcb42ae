// Pruning (SPEC §5, issue 4): catalog → retention plan → deletion of the sets the plan
// does not keep. Used by `erp-backup prune` and by `backup` after a successful run.
//
// Deletion order: the data objects of every deleted set first, then their manifests, so
// an interrupted prune leaves sets that are complete or visibly incomplete (the catalog
// checks the manifest's streams against the listing), and the next prune converges.
// The expired leftovers of kept sets (retention_plan.h rule 6: a failed stream's upload)
// go with the data objects; a kept set's manifest and held streams' objects are never
// deleted. Foreign objects, unreadable sets and last-success.json are never deleted.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "app/backup/stale_uploads.h"
#include "app/report/run_report.h"
#include "catalog/catalog.h"
#include "catalog/key_layout.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/logger.h"
#include "retention/retention_plan.h"
#include "s3/object_store.h"

namespace erp::app {

struct PruneSummary {
  catalog::Catalog catalog;
  retention::RetentionPlan plan;  // plan.decisions[i] is for catalog.sets[i]
  bool dry_run = false;
  std::size_t sets_kept = 0;
  std::size_t sets_deleted = 0;       // planned for deletion (deleted unless dry_run)
  std::size_t leftovers_expired = 0;  // objects of kept sets planned for deletion (rule 6)
  std::size_t sets_unreadable = 0;    // kept because their manifest cannot be trusted
  std::size_t objects_deleted = 0;    // actually deleted
  std::uint64_t bytes_deleted = 0;    // the listed sizes of the objects actually deleted
  // The env's open multipart uploads and what prune() did about them (stale_uploads.h);
  // nullopt when prune() was not given StaleUploadOptions. Failed aborts do not fail prune():
  // see stale_uploads->failures() / ok().
  std::optional<StaleUploadReport> stale_uploads;
};

// Loads the catalog and the plan; deletes nothing.
Result<PruneSummary> plan_prune(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                                const retention::RetentionPolicy& policy,
                                std::chrono::year_month_day today, retention::OwnBackup own_backup);

// Deletes the objects of every set `summary.plan` does not keep and the expired leftovers
// of the sets it keeps (data objects first, manifests last) and counts them (and their
// bytes) in summary.objects_deleted and summary.bytes_deleted.
Result<void> execute_prune(s3::ObjectStore& store, PruneSummary& summary);

// plan_prune, then (unless dry_run) execute_prune: deletes every object of each set the plan does
// not keep. Then, when `stale_uploads` is given, prune_stale_uploads (aborts unless dry_run) into
// summary.stale_uploads. Errors: config for a policy that keeps nothing; the store's errors;
// permanent naming the keys the store refused to delete (uploads are then not looked at).
Result<PruneSummary> prune(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                           const retention::RetentionPolicy& policy,
                           std::chrono::year_month_day today, bool dry_run,
                           retention::OwnBackup own_backup,
                           const std::optional<StaleUploadOptions>& stale_uploads = std::nullopt);

// What the metrics say about a prune that ran (app/report/run_metrics.h).
PruneRun to_prune_run(const PruneSummary& summary);

// Logs a warning for each unreadable set the plan keeps (id, manifest key, why): what an
// operator has to look at, since no prune will ever delete it. For `prune` and `backup`'s
// own prune.
void log_unreadable_sets(Logger& log, const PruneSummary& summary);

// The UTC date of `clock`'s now.
std::chrono::year_month_day utc_today(const Clock& clock);

}  // namespace erp::app
