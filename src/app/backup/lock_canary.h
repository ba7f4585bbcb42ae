// The Object Lock enforcement canary (issue 20). A store can accept lock headers and still let
// a locked version be deleted (SeaweedFS, s3gw), and a bucket policy can grant
// s3:BypassGovernanceRetention without anyone noticing: the only proof that matters is that
// THESE credentials cannot delete a locked version. So each backup and each prune (not a dry
// run) with OBJECT_LOCK_MODE on:
//
//   1. makes sure <S3_PREFIX>/<BACKUP_ENV>/.lock-canary has a version locked for at least a day
//      more (min(1 day, margin)): absent → a small JSON object PUT under {mode, now + margin};
//      present but its lock ends sooner → PutObjectRetention to now + margin (extend only; a
//      store that dropped the PUT's headers gets the retention too, upload/lock_check.h). So one
//      version serves for good, and the bucket gains no object per run;
//   2. tries to delete that version with the job's own credentials, the way an attacker holding
//      them would: in governance mode with `x-amz-bypass-governance-retention: true`
//      (delete_object_version_bypassing_governance), since a credential with
//      s3:BypassGovernanceRetention removes a governance lock by just adding that header; in
//      compliance mode without it (nothing can bypass a compliance lock, so asking proves
//      nothing more). Ceph RGW 16 grants that bypass to every credential that may delete the
//      version, the owner included, unless a policy denies it explicitly (docs/s3-stores.md):
//        refused (AccessDenied, or MinIO's ObjectLocked)  enforced = true
//        deleted                                          enforced = false, and step 1 runs
//                                                         again, so the next run checks again
//        anything else (a store error, no version id)    undecided (nullopt)
// A refusal proves what matters whether the lock or the credentials' policy refused it. That is
// also why prune runs it: in the recommended split setup (docs/least-privilege.md) the backup's
// credentials may not delete at all, so their refusal says nothing about the store; prune's
// credentials can delete, so only their refusal shows the store enforces the lock.
//
// The canary is never part of a set (catalog/key_layout.h): the catalog leaves it out and prune
// never deletes it; `ls` shows it.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "catalog/key_layout.h"
#include "core/error.h"
#include "core/logger.h"
#include "s3/object_lock.h"
#include "s3/object_store.h"

namespace erp::app {

struct CanaryResult {
  std::optional<bool> enforced;  // see above; nullopt: undecided
  std::string key;
  std::string version_id;  // the locked version the delete was tried on ("" when none)
  // Undecided: why. Enforced false: writing the canary again failed (the next run then finds it
  // absent and writes it; the verdict stands).
  std::optional<Error> problem;
};

// Steps 1 and 2 above at `now`, with the lock `mode` and `margin` (OBJECT_LOCK_*). Never fails:
// what could not be decided is in the result. Requests: two HEADs and a DELETE on a run whose
// canary is in place; a PUT (or a retention and a HEAD of the version) more otherwise.
CanaryResult check_lock_canary(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                               s3::LockMode mode, std::chrono::seconds margin,
                               std::chrono::sys_seconds now);

// The verdict in the log, as backup and prune write it: info when enforced, an error naming
// the likely causes when not (an operator must act), a warning when undecided (and when
// writing the canary again failed).
void log_canary(Logger& log, const CanaryResult& canary);

// Whether `error` is a store's refusal to delete a locked version (AccessDenied, ObjectLocked).
bool is_delete_refused(const Error& error);

}  // namespace erp::app
