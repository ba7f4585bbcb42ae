// Pruning (SPEC §5, issue 4): catalog → retention plan → deletion of the sets the plan
// does not keep. Used by `erp-backup prune` and by `backup` after a successful run.
//
// Deletion order: the data objects of every deleted set first, then their manifests, so
// an interrupted prune leaves sets that are complete or visibly incomplete (the catalog
// checks the manifest's streams against the listing), and the next prune converges.
// The expired leftovers of kept sets (retention_plan.h rule 6: a failed stream's upload)
// go with the data objects; a kept set's manifest and held streams' objects are never
// deleted. Foreign objects, unreadable sets and last-success.json are never deleted.
//
// With OBJECT_LOCK_MODE on (issue 20; PruneLocking below) the bucket is versioned and locked:
// expired sets are deleted version by version, a set with a version still locked is kept whole
// (prune_by_version.h), and then the kept sets' locks are extended to what their tier needs
// (lock_promotion.h). With the mode off, plain deletes as before.
//
// Permission (both modes): when the store refuses the deletes with AccessDenied (DeleteObjects
// refusing every key, a DeleteObjectVersion of an unlocked version), the credentials may not
// delete (a backup job's under least privilege): deleting stops, skipped_by_permission is set,
// and prune still succeeds; `prune` exits 1 on it, `backup` reports it and exits 0.
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
#include "config/object_lock_config.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/logger.h"
#include "retention/retention_plan.h"
#include "s3/object_store.h"

namespace erp::app {

// An expired set kept because one of its versions is locked beyond now.
struct LockedKeptSet {
  std::string id;
  std::chrono::sys_seconds retain_until{};  // the latest lock among its versions
};

// A set kept because one of its keys holds versions of different content (prune_by_version.h,
// "Overwritten keys"): someone wrote over the tool's object.
struct OverwrittenSet {
  std::string id;
  std::string key;  // the first such key
};

// What prune needs of OBJECT_LOCK_MODE / OBJECT_LOCK_MARGIN. The default (mode off) is the
// behaviour before issue 20.
struct PruneLocking {
  config::ObjectLockConfig config;
  // The run's time: locks ending after it are in force; the base of rolling locks. (`--as-of`
  // moves the plan's date only; locks are always judged at the real time.)
  std::chrono::sys_seconds now{};
};

struct PruneSummary {
  catalog::Catalog catalog;
  retention::RetentionPlan plan;  // plan.decisions[i] is for catalog.sets[i]
  bool dry_run = false;
  std::size_t sets_kept = 0;
  std::size_t sets_deleted = 0;  // planned for deletion (deleted unless dry_run); not locked_kept
  std::size_t leftovers_expired = 0;  // objects of kept sets planned for deletion (rule 6)
  std::size_t sets_unreadable = 0;    // kept because their manifest cannot be trusted
  std::size_t objects_deleted = 0;    // actually deleted (with locking: object versions)
  std::uint64_t bytes_deleted = 0;    // the listed sizes of the objects actually deleted
  // The env's open multipart uploads and what prune() did about them (stale_uploads.h);
  // nullopt when prune() was not given StaleUploadOptions. Failed aborts do not fail prune():
  // see stale_uploads->failures() / ok().
  std::optional<StaleUploadReport> stale_uploads;

  // -- Object Lock (issue 20); zero / empty with the mode off, except skipped_by_permission. --
  bool locking = false;  // OBJECT_LOCK_MODE was on: deleted by version, locks promoted
  // Sets the plan lets go that stay whole because a version is still locked (not failures).
  std::size_t sets_locked_kept = 0;
  std::vector<LockedKeptSet> locked_kept;
  std::size_t versions_deleted = 0;  // versions and delete markers deleted for good
  // Sets the plan lets go (or leftovers) kept because a key was overwritten: an error to look at.
  std::vector<OverwrittenSet> overwritten_kept;
  // Keys of sets the catalog no longer sees (hidden behind a delete marker): reported, never
  // deleted by version (prune_by_version.h, "Hidden keys").
  std::vector<std::string> hidden_keys;
  // The store refused a delete with AccessDenied: deleting stopped (see the top of this file).
  bool skipped_by_permission = false;
  std::size_t promoted_objects = 0;  // locks extended (dry run: to be extended)
  std::size_t promotion_failures = 0;
  std::vector<Error> promotion_errors;        // what failed, one per failure, for the log
  std::vector<std::string> expiring_keepers;  // ids of kept sets whose lock ends within 7 days
};

// Loads the catalog and the plan; deletes nothing.
Result<PruneSummary> plan_prune(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                                const retention::RetentionPolicy& policy,
                                std::chrono::year_month_day today, retention::OwnBackup own_backup);

// Deletes the objects of every set `summary.plan` does not keep and the expired leftovers
// of the sets it keeps (data objects first, manifests last) and counts them (and their
// bytes) in summary.objects_deleted and summary.bytes_deleted.
// Mode off only. The store refusing every key with AccessDenied sets
// summary.skipped_by_permission instead of failing (no manifest is then touched).
Result<void> execute_prune(s3::ObjectStore& store, PruneSummary& summary);

// What prune does after plan_prune: with the mode off, execute_prune (unless dry_run); with it
// on, prune_by_version (reads only when dry_run) and then the kept sets' lock promotion
// (lock_promotion.h; report only when dry_run), whose failures are counted, not returned.
Result<void> apply_prune(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                         const retention::RetentionPolicy& policy, PruneSummary& summary,
                         const PruneLocking& locking);

// plan_prune, then apply_prune: deletes every object (with locking: every version) of each set
// the plan does not keep, unless dry_run. Then, when `stale_uploads` is given, prune_stale_uploads
// (aborts unless dry_run) into summary.stale_uploads. Errors: config for a policy that keeps
// nothing; the store's errors; permanent naming the keys the store refused to delete (uploads are
// then not looked at).
Result<PruneSummary> prune(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                           const retention::RetentionPolicy& policy,
                           std::chrono::year_month_day today, bool dry_run,
                           retention::OwnBackup own_backup,
                           const std::optional<StaleUploadOptions>& stale_uploads = std::nullopt,
                           const PruneLocking& locking = {});

// What the metrics say about a prune that ran (app/report/run_metrics.h).
PruneRun to_prune_run(const PruneSummary& summary);

// Logs a warning for each unreadable set the plan keeps (id, manifest key, why): what an
// operator has to look at, since no prune will ever delete it. For `prune` and `backup`'s
// own prune.
void log_unreadable_sets(Logger& log, const PruneSummary& summary);

// log_unreadable_sets, then what Object Lock made of the run: each locked, kept set (info), a
// skip for want of delete permission (warning naming s3:DeleteObjectVersion / s3:DeleteObject),
// each promotion failure (error), each expiring keeper (warning). For `prune` and `backup`'s own
// prune.
void log_prune_findings(Logger& log, const PruneSummary& summary);

// The UTC date of `clock`'s now.
std::chrono::year_month_day utc_today(const Clock& clock);

}  // namespace erp::app
