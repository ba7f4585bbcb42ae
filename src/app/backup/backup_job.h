// `erp-backup backup` in phases (SPEC §2, issue 7). Each phase is a function the commands
// that follow (verify, restore, status) can reuse:
//
//   1. pre-flight  before pg_dump starts or the tree is walked: the bucket answers a listing
//                  with these credentials (app/backup/preflight.h), the source
//                  database is inspected (pg::inspect_source: whether the read-only belt holds,
//                  and a source behind transaction pooling refused), its pg_dump is new enough,
//                  and the database fits in
//                  the largest stream the part settings can carry (upload/part_schedule.h);
//                  then, once everything that only reads has passed, the set is claimed: the
//                  run's lease on the set's ID (app/backup/run_lease.h: refused when another run of
//                  the same second holds one) and every key of the set still free
//   2. streams     db and docs concurrently, one thread each, sharing the part-buffer budget
//                  (run_stream in app/backup/backup_streams.h); each object is written
//                  conditionally (never replacing one, where the store honours If-None-Match),
//                  while the lease's heartbeat renews it
//   3. manifest    assembled from what the pre-flight and the streams found (pure)
//   4. commit      every committed object re-read (HEAD: the size and ETag its stream
//                  recorded, recheck_committed_object), then the manifest (the commit point,
//                  conditional too), then last-success.json with each committed stream
//                  (a partial set's too: its failed stream keeps its older entry)
//   5. follow-ups  prune, only when every stream committed; the lease is deleted on every path
//                  (a refused delete, credentials without s3:DeleteObject, is a warning: the
//                  lease goes stale and a prune with its own credentials removes it)
//
// With OBJECT_LOCK_MODE on (issue 20): the pre-flight also reads the bucket's Object Lock
// configuration (check_object_lock, app/backup/preflight.h); every object of the set (dumps,
// documents archive, manifest) is written under {mode, retention::initial_retain_until(start,
// policy, margin)} and read back (upload/lock_check.h: a stream whose object cannot be locked
// fails; a manifest that cannot be locked fails the run, exit 1, and last-success.json is not
// updated); before the manifest the enforcement canary runs (app/backup/lock_canary.h) and its
// verdict goes into the manifest's "object_lock" record and the metrics. last-success.json and
// the lease are never locked. A prune after the backup that the credentials may not delete for
// (skipped by permission) leaves the exit code 0: the backup job is meant to hold no delete
// permission when a prune job of its own does the deleting.
//
// Exit codes: 0 every stream committed; 3 one committed and the other failed (the manifest
// says which; the set is partial, its committed stream restorable); 1 nothing committed (no
// manifest), the set was claimed by another run of the same second, a committed object changed
// before the commit, or the commit or prune failed; 2 usage or configuration (nothing touched);
// 128+N stopped by signal N (uploads aborted, no manifest).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "app/backup/backup_streams.h"
#include "app/commands/context.h"
#include "catalog/manifest.h"
#include "core/error.h"
#include "pg/database_info.h"
#include "s3/object_store.h"
#include "upload/part_schedule.h"

namespace erp::app {

struct BackupSelection {
  bool db = true;
  bool docs = true;
};

// Whether the database fits in the largest stream `schedule` can carry (its size on disk is an
// upper bound for its dump). Errors: config, naming the sizes and the settings to raise.
Result<void> check_database_fits(const pg::DatabaseInfo& database,
                                 const upload::PartSchedule& schedule);

// What the manifest records besides the streams' own records.
struct BackupFacts {
  std::string id;
  std::string env;
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point finished;
  std::string tool_version;
  std::string host;
  std::optional<pg::DatabaseInfo> database;              // when the db pre-flight succeeded
  std::optional<catalog::SourceRecord> source;           // the dumped database's identity
  std::string pg_dump_version;                           // when pg_dump ran
  std::optional<catalog::RowCountsRecord> row_counts;    // when counted (BACKUP_ROW_COUNTS)
  std::optional<catalog::DocumentsRecord> documents;     // when the docs stream ran
  std::optional<catalog::ObjectLockRecord> object_lock;  // OBJECT_LOCK_MODE on
};

// The manifest of a set, from the facts and the outcome of each stream that was selected
// (nullopt: not selected). Pure.
catalog::Manifest assemble_manifest(const BackupFacts& facts,
                                    const std::optional<StreamOutcome>& db,
                                    const std::optional<StreamOutcome>& docs);

// Whether the object `record` names is still the one its stream wrote: HEAD gives the recorded
// size and, when one was recorded, ETag. Errors: corrupt naming the key, what is there and what
// was written (another writer replaced it); the HEAD's own errors. One HEAD.
Result<void> recheck_committed_object(s3::ObjectStore& store, const catalog::StreamRecord& record);

// What a run's streams amount to.
enum class SetOutcome {
  complete,  // every selected stream committed: exit 0, last-success.json, prune
  partial,   // some committed, some failed: the manifest says which, exit 3
  nothing,   // nothing committed: no manifest, exit 1
};
SetOutcome outcome_of(const std::optional<StreamOutcome>& db,
                      const std::optional<StreamOutcome>& docs);

// Runs the whole job for `selection` with the settings in `context`; a failure (partial included)
// carries the exit code of backup_command.h and is logged.
Outcome run_backup_job(Context& context, BackupSelection selection);

}  // namespace erp::app
