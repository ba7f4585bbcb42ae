// What `status` says about Object Lock (issue 20): the mode OBJECT_LOCK_MODE sets, and whether the
// job's credentials were refused the delete of a locked version, as the newest backup's canary
// found (app/backup/lock_canary.h) and recorded in its manifest:
//
//   status --json   "object_lock": {"mode": "governance", "enforced": true,
//                                   "checked_at": "2026-12-07T02:00:05Z"}
//                   {"mode": "off"} with the mode off; enforced and checked_at null when no
//                   manifest records a decided check
//   status          one line: object_lock<TAB>MODE<TAB>enforced|NOT-ENFORCED|unknown<TAB>
//                   CHECKED_AT|-<TAB>ID|-  (none with the mode off)
//
// The verdict comes from the newest complete set whose manifest is trusted
// (catalog::trust_problem) and carries an "object_lock" record; only the newest
// kLockStatusManifests manifests are read (a set written before the mode was turned on has no
// record; a longer search would only find an older verdict). The exit code of `status` does not
// change: its staleness alerting stays what it was; the metric erp_backup_object_lock_enforced
// alerts on the verdict.
#pragma once

#include <optional>
#include <string>

#include "catalog/key_layout.h"
#include "config/object_lock_config.h"
#include "core/error.h"
#include "s3/object_store.h"

namespace erp::app {

inline constexpr int kLockStatusManifests = 8;

struct LockStatus {
  std::string mode;                       // "off", "governance", "compliance"
  std::optional<bool> enforced;           // nullopt: no decided check recorded
  std::optional<std::string> checked_at;  // ISO 8601 UTC, with enforced
  std::string set_id;                     // the set whose manifest recorded it ("" none)
};

// With the mode off: {"off"}, no request. Otherwise one listing of the env's manifests/ and up to
// kLockStatusManifests manifest GETs, newest first. A manifest that is unreadable or untrusted
// is passed over. Errors: the store's (listing, or a GET failing other than not_found/corrupt).
Result<LockStatus> lock_status(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                               const config::ObjectLockConfig& config);

// The plain line described above (without the newline); "" with the mode off.
std::string lock_status_line(const LockStatus& status);

}  // namespace erp::app
