// Deleting expired sets on a versioned bucket under Object Lock (issue 20; `prune` with
// OBJECT_LOCK_MODE on). On such a bucket a plain DELETE frees nothing (it only adds a delete
// marker), so the sets the retention plan lets go are deleted version by version
// (DELETE ?versionId=), every version and delete marker of their keys.
//
// ## What is deleted
//   - every set the plan does not keep: all versions and markers of every key that
//     KeyLayout::parse reads as that set's db dump, docs archive or manifest (hidden ones too);
//   - the expired leftovers of kept sets (retention_plan.h rule 6), key by key.
//
// ## Hidden keys: reported, never deleted
// A key whose newest entry is a delete marker (a plain DELETE, `aws s3 rm`) is invisible to
// ListObjectsV2, so its set is in no catalog and no plan: nothing can tell whether retention
// would keep it. Anyone with s3:DeleteObject can hide a set that way; deleting what is hidden
// once its lock ran out would turn that into a loss. Such keys are listed in
// PruneSummary::hidden_keys (a warning), and left alone: removing the marker brings the set back.
//
// ## Overwritten keys: the set is kept
// The tool writes each key of a set once. A key whose object versions differ in content (ETag
// or size, from the HEADs) was written over: with s3:PutObject alone (the backup scope) someone
// can make a set look incomplete or expired that way, and the version that holds the backup
// would then go once its lock ended. Such a set (or leftover key) is kept whole, named in
// PruneSummary::overwritten_kept and logged as an error; `prune` exits 1. Versions of equal
// content (a retried write the store did not refuse) are no sign of that.
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
// Data objects first, manifests last (prune.h); within each, versions before delete markers.
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
// Fills summary's locked_kept, sets_locked_kept, overwritten_kept (both taken out of
// sets_deleted), hidden_keys,
// versions_deleted, objects_deleted (object versions, not markers), bytes_deleted (their
// listed sizes) and skipped_by_permission. A dry run reads (listing, HEADs) and deletes nothing.
Result<void> prune_by_version(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                              PruneSummary& summary, std::chrono::sys_seconds now);

}  // namespace erp::app
