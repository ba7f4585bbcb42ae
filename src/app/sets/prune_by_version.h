// Deleting expired sets on a versioned bucket under Object Lock (issue 20; `prune` with
// OBJECT_LOCK_MODE on). On such a bucket a plain DELETE frees nothing (it only adds a delete
// marker), so the sets the retention plan lets go are deleted version by version
// (DELETE ?versionId=), every version and delete marker of their keys.
//
// ## What is deleted
//   - every set the plan does not keep: all versions and markers of every key that
//     KeyLayout::parse reads as that set's db dump, docs archive or manifest (hidden ones too);
//   - the expired leftovers of kept sets (retention_plan.h rule 6), key by key;
//   - what a plain DELETE left behind: keys whose newest entry is a delete marker (so
//     ListObjectsV2 and the catalog no longer see them), read as an object of a set the plan
//     does not keep (or of no listed set at all), dated before the daily band. Of those, only
//     the versions that are not locked.
// Foreign keys, last-success.json, leases, doctor probes and the lock canary never parse as a
// set's object, so they are never touched.
//
// ## Locks decide, checked by HEAD
// Every object version is HEADed (head_object_version) before anything is deleted: a listing
// carries no lock. A set with any version whose retain-until is after `now` is "locked, kept":
// nothing of it is deleted (a half-deleted set would be worse than a whole one), it is counted
// and named in PruneSummary::locked_kept, and it is no failure: its lock ends within the margin
// of the day retention let it go (lock_plan.h), and a later prune deletes it. A locked leftover
// key is kept likewise, silently.
//
// ## Order
// Data objects first, manifests last (prune.h); within each, versions before delete markers,
// so a hidden key stays hidden until it is gone.
//
// ## Permission
// A delete refused with AccessDenied (a version HEAD said is unlocked, or a marker) is a
// credential without s3:DeleteObjectVersion (a backup job's, issue 20's least privilege): the
// deletion stops there, summary.skipped_by_permission is set, and the call succeeds. Any other
// failure of a HEAD or a delete is returned (a HEAD failure before anything was deleted).
#pragma once

#include <chrono>

#include "app/sets/prune.h"
#include "catalog/key_layout.h"
#include "core/error.h"
#include "s3/object_store.h"

namespace erp::app {

// One ListObjectVersions of the env prefix, HEADs, then (unless summary.dry_run) the deletes.
// Fills summary's locked_kept, sets_locked_kept (and takes them out of sets_deleted),
// versions_deleted, objects_deleted (object versions, not markers), bytes_deleted (their
// listed sizes) and skipped_by_permission. A dry run reads (listing, HEADs) and deletes nothing.
Result<void> prune_by_version(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                              PruneSummary& summary, std::chrono::sys_seconds now);

}  // namespace erp::app
