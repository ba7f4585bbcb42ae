#include "retention/lock_plan.h"

#include <set>
#include <utility>

#include "core/enum_names.h"

namespace erp::retention {
namespace {

using std::chrono::sys_days;
using std::chrono::sys_seconds;
using std::chrono::year_month_day;

constexpr EnumName<LockTier> kTierLabels[] = {{LockTier::none, "none"},
                                              {LockTier::rolling, "rolling"},
                                              {LockTier::daily, "daily"},
                                              {LockTier::monthly, "monthly"},
                                              {LockTier::yearly, "yearly"}};

sys_days date_of(sys_seconds time) {
  return std::chrono::floor<std::chrono::days>(time);
}

// `time` moved by whole calendar months (years), its date clamped to the target month's last
// day and its time of day kept: 2026-01-31T02:00Z + 1 month = 2026-02-28T02:00Z. The same
// clamp as the retention bands (minus_months with a negative count), so a set locked "for M
// months" is locked until the last date its monthly band keeps it, not into the next month.
sys_seconds plus_months(sys_seconds time, int n) {
  const sys_days date = date_of(time);
  return sys_days{minus_months(year_month_day{date}, std::chrono::months{-n})} + (time - date);
}
sys_seconds plus_years(sys_seconds time, int n) {
  const sys_days date = date_of(time);
  return sys_days{minus_years(year_month_day{date}, std::chrono::years{-n})} + (time - date);
}

// Per stream s, the months (years) whose representative is not final: they still have an s-set
// from which a newer representative can come.
struct OpenPeriods {
  // (stream, year*12 + month-1) of every s-set in the daily band: its month's monthly
  // representative may still change once that set leaves the daily band.
  std::set<std::pair<Stream, int>> months;
  // (stream, year) of every s-set in the daily or the monthly band: its year's yearly
  // representative may still change once that set crosses the monthly bound.
  std::set<std::pair<Stream, int>> years;
};

int month_key(std::chrono::year year, std::chrono::month month) {
  return static_cast<int>(year) * 12 + static_cast<int>(unsigned{month}) - 1;
}

OpenPeriods open_periods(std::span<const BackupSet> sets, const RetentionBands& bands) {
  OpenPeriods open;
  for (const BackupSet& set : sets) {
    if (set.unreadable) continue;  // holds no stream (retention_plan.h, rule 6)
    const sys_days date = date_of(set.start_time);
    const year_month_day ymd{date};
    const bool daily = date >= bands.daily_from;
    const bool above_monthly_bound = daily || date > bands.monthly_after;
    for (Stream stream : catalog::kStreams) {
      if (!set.streams.has(stream)) continue;
      if (daily) open.months.emplace(stream, month_key(ymd.year(), ymd.month()));
      if (above_monthly_bound) open.years.emplace(stream, static_cast<int>(ymd.year()));
    }
  }
  return open;
}

// The lock one stream's reason asks of a set; LockTier::none for a reason that does not keep.
LockRequirement stream_requirement(Stream stream, const Reason& reason, const BackupSet& set,
                                   const OpenPeriods& open, const RetentionPolicy& policy,
                                   std::chrono::seconds margin, sys_seconds now) {
  const year_month_day today{date_of(now)};
  const LockRequirement rolling{LockTier::rolling, now + margin};
  switch (reason.kind) {
    case ReasonKind::daily:
      return {LockTier::daily, initial_retain_until(set.start_time, policy, margin)};
    case ReasonKind::monthly: {
      const bool ended =
          month_key(today.year(), today.month()) > month_key(reason.year, reason.month);
      if (!ended || open.months.contains({stream, month_key(reason.year, reason.month)}))
        return rolling;
      return {LockTier::monthly, plus_months(set.start_time, policy.monthly_months) + margin};
    }
    case ReasonKind::yearly: {
      const bool ended = today.year() > reason.year;
      if (!ended || open.years.contains({stream, static_cast<int>(reason.year)})) return rolling;
      return {LockTier::yearly, plus_years(set.start_time, policy.yearly_years) + margin};
    }
    case ReasonKind::newest:
    case ReasonKind::min_keep:
      return rolling;
    case ReasonKind::expired:
    // The set-level kinds, never a stream's reason (retention_plan.h, Decision::db).
    case ReasonKind::incomplete_young:
    case ReasonKind::unreadable:
    case ReasonKind::run_failed:
    case ReasonKind::incomplete_expired:
      return {};
  }
  return {};
}

}  // namespace

std::string_view label(LockTier tier) {
  return name_of(kTierLabels, tier);
}

sys_seconds initial_retain_until(sys_seconds start_time, const RetentionPolicy& policy,
                                 std::chrono::seconds margin) {
  return start_time + std::chrono::days{policy.daily_days} + margin;
}

std::vector<LockRequirement> lock_requirements(std::span<const BackupSet> sets,
                                               const RetentionPlan& plan,
                                               const RetentionPolicy& policy,
                                               std::chrono::seconds margin, sys_seconds now) {
  const OpenPeriods open = open_periods(sets, plan.bands);
  std::vector<LockRequirement> requirements(sets.size());
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const Decision& decision = plan.decisions[i];
    // Deleted sets need nothing; neither do sets kept for no stream (incomplete-young,
    // unreadable, run-failed): their per-stream reasons, if any, are all `expired`.
    if (!decision.keep()) continue;
    LockRequirement& wanted = requirements[i];
    for (Stream stream : catalog::kStreams) {
      const std::optional<Reason>& reason = decision.of(stream);
      if (!reason) continue;
      const LockRequirement candidate =
          stream_requirement(stream, *reason, sets[i], open, policy, margin, now);
      if (!candidate.retain_until) continue;
      // The later date wins; on a tie the higher tier names it (a final tier over rolling).
      if (!wanted.retain_until || *candidate.retain_until > *wanted.retain_until ||
          (*candidate.retain_until == *wanted.retain_until && candidate.tier > wanted.tier)) {
        wanted = candidate;
      }
    }
  }
  return requirements;
}

std::vector<std::size_t> expiring_keepers(std::span<const LockRequirement> requirements,
                                          std::span<const std::optional<sys_seconds>> current,
                                          sys_seconds now, std::chrono::seconds window) {
  const sys_seconds horizon = now + window;
  std::vector<std::size_t> expiring;
  for (std::size_t i = 0; i < requirements.size() && i < current.size(); ++i) {
    const std::optional<sys_seconds>& wanted = requirements[i].retain_until;
    if (!wanted || *wanted <= horizon) continue;  // nothing needed past the window
    if (!current[i] || *current[i] <= horizon) expiring.push_back(i);
  }
  return expiring;
}

}  // namespace erp::retention
