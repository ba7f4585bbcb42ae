// How long each backup set must stay under S3 Object Lock (SPEC §5 rule 7, issue 20): the lock
// follows the retention tier. A pure function of (sets, retention plan, policy, margin, now): no
// clock, no I/O. The callers apply it extend-only (a lock is never shortened):
// app/backup (a new set's objects) and app/sets/lock_promotion.h (every kept set, after each
// backup and prune).
//
// ## What a set needs
// A new set is written locked until   start_time + D days + margin   (D = daily_days).
// A kept set then needs the latest of what keeps it, per stream (Decision::db / ::docs):
//   daily                      start_time + D days + margin
//   monthly, final             start_time + M months + margin   (calendar months, day clamped)
//   yearly, final              start_time + Y years + margin
//   anything else that keeps   now + margin ("rolling")
//     a stream (a monthly or yearly representative that is not final yet, newest, min-keep)
// A monthly representative of month P for stream s is *final* when P has ended (today is in a
// later month) and no s-set dated in P is still in the daily band: no newer s-set of P can ever
// take its place. Before that it may be superseded tomorrow, so it gets only the rolling lock:
// promoting it for M months would leave a set retention already let go undeletable for a year.
// Yearly likewise: year Y has ended and no s-set dated in Y is in the monthly or daily band.
// Sets kept for no stream (incomplete-young, unreadable, run-failed over an expired set) and
// deleted sets need nothing beyond what they already have.
//
// ## The two promises (tests/retention/lock_plan_simulation_test.cc checks them over 11 years)
// With one run a day: (1) no set the plan keeps is ever unlocked at a run; (2) a set the plan
// lets go becomes deletable within `margin` of that day.
// (1) needs a margin longer than the time from one run to the next (plus a run's duration): a
// daily set's lock ends `margin` after its last day in the band, a rolling one `margin` after
// the run that asked for it. Runs that do not happen (an outage longer than the margin) leave
// the rolling-locked sets unlocked until the next run; final-tier locks do not depend on runs.
// (2) holds for any margin: the last lock a let-go set was given is either rolling (from an
// earlier run) or ends where its tier ended.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "retention/retention_plan.h"

namespace erp::retention {

enum class LockTier {
  none,     // nothing beyond what the set has: deleted, incomplete, unreadable, run-failed
  rolling,  // kept, but not (yet) for a final tier: now + margin
  daily,
  monthly,
  yearly,
};

// "none", "rolling", "daily", "monthly", "yearly".
std::string_view label(LockTier tier);

struct LockRequirement {
  LockTier tier = LockTier::none;
  // Where the set's objects must be locked until; nullopt for LockTier::none.
  std::optional<std::chrono::sys_seconds> retain_until;
};

// The lock a new set's objects are written with: start_time + daily_days + margin.
std::chrono::sys_seconds initial_retain_until(std::chrono::sys_seconds start_time,
                                              const RetentionPolicy& policy,
                                              std::chrono::seconds margin);

// One requirement per set, index-aligned with `sets` and `plan.decisions` (the plan made for
// those sets on the UTC date of `now`). Precondition: plan.decisions.size() == sets.size().
std::vector<LockRequirement> lock_requirements(std::span<const BackupSet> sets,
                                               const RetentionPlan& plan,
                                               const RetentionPolicy& policy,
                                               std::chrono::seconds margin,
                                               std::chrono::sys_seconds now);

// Kept sets whose lock will have ended within `window` of `now` although their requirement
// reaches past it: a promotion that failed or was not allowed (issue 20: "a keeper whose lock
// expires within 7 days without promotion is a warning and a metric"). `current[i]` is the
// earliest retain-until among set i's objects after this run's promotion (nullopt: some object
// has no lock). Index-aligned with `requirements`; returns indexes.
std::vector<std::size_t> expiring_keepers(
    std::span<const LockRequirement> requirements,
    std::span<const std::optional<std::chrono::sys_seconds>> current, std::chrono::sys_seconds now,
    std::chrono::seconds window = std::chrono::days{7});

}  // namespace erp::retention
