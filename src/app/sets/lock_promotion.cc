#include "app/sets/lock_promotion.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "retention/backup_sets.h"
#include "retention/lock_plan.h"

namespace erp::app {
namespace {

using std::chrono::sys_seconds;

// One object to bring up to its set's requirement, and what became of it.
struct Job {
  std::size_t set = 0;  // index into catalog.sets
  const std::string* key = nullptr;
  sys_seconds required{};
  std::optional<sys_seconds> lock_after;  // its retain-until after this run; nullopt: none
  std::optional<Error> failure;
  bool promoted = false;
};

void promote(s3::ObjectStore& store, Job& job, s3::LockMode mode, bool dry_run) {
  auto head = store.head_object(*job.key);
  if (!head) {
    job.failure = head.error().with_context("reading the lock of " + *job.key);
    return;
  }
  if (head->lock) job.lock_after = head->lock->retain_until;
  const auto wanted = promotion_for(head->lock, job.required, mode);
  if (!wanted) return;
  if (!dry_run) {
    if (auto set = store.put_object_retention(*job.key, head->version_id, *wanted); !set) {
      job.failure = set.error().with_context("extending the lock of " + *job.key + " version " +
                                             head->version_id + " to " +
                                             s3::format_retain_until(wanted->retain_until));
      return;
    }
  }
  job.promoted = true;
  job.lock_after = wanted->retain_until;
}

// The objects of each kept set with a requirement: those a held stream or the manifest
// accounts for.
std::vector<Job> jobs_for(const catalog::Catalog& catalog,
                          const std::vector<retention::LockRequirement>& requirements) {
  std::vector<Job> jobs;
  for (std::size_t i = 0; i < catalog.sets.size(); ++i) {
    if (!requirements[i].retain_until) continue;
    const catalog::CatalogSet& set = catalog.sets[i];
    const auto leftovers = set.leftovers();
    const std::set<const catalog::CatalogObject*> excluded(leftovers.begin(), leftovers.end());
    for (const catalog::CatalogObject& object : set.objects) {
      if (excluded.contains(&object)) continue;
      jobs.push_back({.set = i, .key = &object.key, .required = *requirements[i].retain_until});
    }
  }
  return jobs;
}

}  // namespace

std::optional<s3::ObjectLock> promotion_for(const std::optional<s3::ObjectLock>& held,
                                            sys_seconds required, s3::LockMode configured) {
  if (held && held->retain_until >= required) return std::nullopt;
  // A held lock keeps its mode: changing it (governance to compliance included) needs
  // s3:BypassGovernanceRetention and the bypass header on AWS, RGW and GCS, which the tool never
  // sends; RGW 16 refuses it with AccessDenied even with a later date (docs/s3-stores.md).
  return s3::ObjectLock{held ? held->mode : configured, required};
}

PromotionOutcome promote_locks(s3::ObjectStore& store, const catalog::Catalog& catalog,
                               const retention::RetentionPlan& plan,
                               const retention::RetentionPolicy& policy,
                               const config::ObjectLockConfig& config, sys_seconds now,
                               bool dry_run) {
  const auto sets = retention::backup_sets(catalog);
  const auto requirements = retention::lock_requirements(sets, plan, policy, config.margin, now);
  std::vector<Job> jobs = jobs_for(catalog, requirements);
  const s3::LockMode mode = config.mode.value_or(s3::LockMode::governance);

  // A few HEADs at once: a catalog of decades holds hundreds of kept objects, each a round trip
  // (ObjectStore is thread-safe; every job writes only its own slot).
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < jobs.size(); i = next++)
      promote(store, jobs[i], mode, dry_run);
  };
  const std::size_t workers = std::min(kPromotionWorkers, jobs.size());
  if (workers <= 1) {
    worker();
  } else {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < workers; ++t) threads.emplace_back(worker);
  }

  PromotionOutcome outcome;
  // Per set, the earliest lock after this run; nullopt as soon as one object has none.
  std::vector<std::optional<sys_seconds>> current(catalog.sets.size());
  std::vector<bool> seen(catalog.sets.size(), false);
  for (Job& job : jobs) {
    if (job.promoted) ++outcome.promoted;
    if (job.failure) outcome.failures.push_back(std::move(*job.failure));
    std::optional<sys_seconds>& earliest = current[job.set];
    if (!seen[job.set]) {
      earliest = job.lock_after;
      seen[job.set] = true;
    } else if (!job.lock_after) {
      earliest.reset();
    } else if (earliest) {
      earliest = std::min(*earliest, *job.lock_after);
    }
  }
  for (std::size_t i : retention::expiring_keepers(requirements, current, now, kExpiringWindow)) {
    outcome.expiring.push_back(catalog.sets[i].id);
  }
  return outcome;
}

}  // namespace erp::app
