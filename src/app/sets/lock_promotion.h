// Promotion of kept sets' Object Locks (issue 20): a set is written locked for the daily band
// (lock_plan.h, initial_retain_until); once the plan keeps it as a final monthly or yearly
// representative (or rolling), its objects' locks are extended to what that tier needs. Run by
// app::prune after its deletions whenever OBJECT_LOCK_MODE is on, so both `prune` and backup's
// own prune do it (a dry run only reports).
//
// ## Extend only
// For each kept set with a requirement (retention::lock_requirements), every object a held
// stream or the manifest accounts for (leftovers are not: they are on their way out) is HEADed:
// where its lock is absent (an object written before locking was turned on) or ends before the
// requirement, PutObjectRetention on that version sets {mode, required}, where mode is the
// object's own when it holds a lock (a mode change needs the governance bypass the tool never
// sends: RGW refuses even governance -> compliance), the configured one when it holds none.
// A lock that already reaches the requirement is left alone, so a second run sends nothing.
//
// ## Failures
// A HEAD or PutObjectRetention that fails is counted and described (for the log), never fatal:
// deletion has happened already and the other sets still deserve their promotion. A kept set
// whose earliest lock, after this run, ends within `kExpiringWindow` although its requirement
// reaches past it is an expiring keeper (retention::expiring_keepers): the warning an operator
// needs before the set becomes deletable by anyone.
//
// ## Cost
// One HEAD per object of each kept set (about 3 x 44 with the default policy after a year,
// +3 a year after that), plus one PutObjectRetention per object promoted (three per set on the
// day it becomes a final monthly or yearly representative, otherwise none). kPromotionWorkers
// HEADs are in flight at once, as the catalog reads manifests (catalog.h). Measured on the fake
// store with 20 ms per HEAD, 400 daily sets (44 kept, 132 objects): 2.76 s one at a time, 0.67 s
// with 4 workers.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "config/object_lock_config.h"
#include "core/error.h"
#include "retention/retention_plan.h"
#include "s3/object_lock.h"
#include "s3/object_store.h"

namespace erp::app {

inline constexpr std::chrono::days kExpiringWindow{7};
inline constexpr std::size_t kPromotionWorkers = 4;

// The lock to set on an object holding `held` so that it lasts until `required`: nullopt when
// `held` already reaches it (never shortened). The mode is held's, or `configured` for an object
// without a lock. Pure.
std::optional<s3::ObjectLock> promotion_for(const std::optional<s3::ObjectLock>& held,
                                            std::chrono::sys_seconds required,
                                            s3::LockMode configured);

struct PromotionOutcome {
  std::size_t promoted = 0;           // PutObjectRetention calls that succeeded (dry run: needed)
  std::vector<Error> failures;        // HEADs and PutObjectRetention calls that failed
  std::vector<std::string> expiring;  // ids of expiring keepers, oldest first
};

// Promotes the locks of the sets `plan` keeps (plan.decisions[i] is for catalog.sets[i]).
// Precondition: config.enabled(). `now` is the run's time (the base of rolling locks and of the
// expiring window). With dry_run nothing is written: `promoted` counts what would be, and
// `expiring` is judged as if it had been.
PromotionOutcome promote_locks(s3::ObjectStore& store, const catalog::Catalog& catalog,
                               const retention::RetentionPlan& plan,
                               const retention::RetentionPolicy& policy,
                               const config::ObjectLockConfig& config, std::chrono::sys_seconds now,
                               bool dry_run);

}  // namespace erp::app
