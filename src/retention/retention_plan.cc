#include "retention/retention_plan.h"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <optional>
#include <unordered_set>

#include "core/enum_names.h"

namespace erp::retention {
namespace {

using std::chrono::sys_days;
using std::chrono::year_month_day;

sys_days date_of(std::chrono::sys_seconds time) {
  // floor, not duration_cast: a time before 1970 still belongs to the day it is in.
  return std::chrono::floor<std::chrono::days>(time);
}

// `cap` is nullopt for a field with no upper bound.
std::unexpected<Error> field_error(std::string_view name, int value, std::optional<int> cap) {
  const std::string range =
      cap ? "a whole number from 0 to " + std::to_string(*cap) : std::string("0 or more");
  return make_error(ErrorKind::config, "retention policy: " + std::string(name) + "=" +
                                           std::to_string(value) +
                                           " is out of range (hint: " + range + ")");
}

}  // namespace

constexpr EnumName<ReasonKind> kReasonLabels[] = {
    {ReasonKind::daily, "daily"},           {ReasonKind::monthly, "monthly"},
    {ReasonKind::yearly, "yearly"},         {ReasonKind::newest, "newest"},
    {ReasonKind::min_keep, "min-keep"},     {ReasonKind::incomplete_young, "incomplete-young"},
    {ReasonKind::unreadable, "unreadable"}, {ReasonKind::run_failed, "run-failed"},
    {ReasonKind::expired, "expired"},       {ReasonKind::incomplete_expired, "incomplete-expired"}};

std::string_view label(ReasonKind kind) {
  return name_of(kReasonLabels, kind);
}

std::string to_string(const Reason& reason) {
  std::string text(label(reason.kind));
  char period[32];
  if (reason.kind == ReasonKind::monthly) {
    std::snprintf(period, sizeof period, " %04d-%02u", static_cast<int>(reason.year),
                  static_cast<unsigned>(reason.month));
    text += period;
  } else if (reason.kind == ReasonKind::yearly) {
    std::snprintf(period, sizeof period, " %04d", static_cast<int>(reason.year));
    text += period;
  }
  return text;
}

year_month_day minus_months(year_month_day date, std::chrono::months n) {
  // year_month_day - months keeps the day number; 31 March - 1 month is "31 February",
  // which is not ok(): clamp it to the last day of February rather than letting it
  // overflow into March, so the boundary stays inside the month it names.
  const year_month_day shifted = date - n;
  if (shifted.ok()) return shifted;
  return year_month_day{shifted.year() / shifted.month() / std::chrono::last};
}

year_month_day minus_years(year_month_day date, std::chrono::years n) {
  const year_month_day shifted = date - n;  // only 29 February can land on a missing day
  if (shifted.ok()) return shifted;
  return year_month_day{shifted.year() / shifted.month() / std::chrono::last};
}

Result<void> validate_policy(const RetentionPolicy& policy) {
  if (policy.daily_days < 0 || policy.daily_days > kMaxDailyDays)
    return field_error("RETENTION_DAILY_DAYS", policy.daily_days, kMaxDailyDays);
  if (policy.monthly_months < 0 || policy.monthly_months > kMaxMonthlyMonths)
    return field_error("RETENTION_MONTHLY_MONTHS", policy.monthly_months, kMaxMonthlyMonths);
  if (policy.yearly_years < 0 || policy.yearly_years > kMaxYearlyYears)
    return field_error("RETENTION_YEARLY_YEARS", policy.yearly_years, kMaxYearlyYears);
  if (policy.min_keep < 0) return field_error("RETENTION_MIN_KEEP", policy.min_keep, std::nullopt);
  if (policy.daily_days == 0 && policy.monthly_months == 0 && policy.yearly_years == 0 &&
      policy.min_keep == 0) {
    return make_error(ErrorKind::config,
                      "retention policy keeps no history: RETENTION_DAILY_DAYS, "
                      "RETENTION_MONTHLY_MONTHS, RETENTION_YEARLY_YEARS and RETENTION_MIN_KEEP "
                      "are all 0 (hint: set RETENTION_MIN_KEEP to 1 or more to keep only the "
                      "newest sets, or give one of the tiers a length)");
  }
  return {};
}

Result<RetentionBands> retention_bands(const RetentionPolicy& policy, year_month_day today) {
  if (auto valid = validate_policy(policy); !valid) return std::unexpected(valid.error());
  if (!today.ok()) {
    return make_error(ErrorKind::permanent,
                      "retention plan: today is not a calendar date (" +
                          std::to_string(static_cast<int>(today.year())) + "-" +
                          std::to_string(static_cast<unsigned>(today.month())) + "-" +
                          std::to_string(static_cast<unsigned>(today.day())) + ")");
  }
  return RetentionBands{
      .daily_from = sys_days{today} - std::chrono::days{policy.daily_days},
      .monthly_after = sys_days{minus_months(today, std::chrono::months{policy.monthly_months})},
      .yearly_after = sys_days{minus_years(today, std::chrono::years{policy.yearly_years})},
  };
}

std::string stream_reasons_text(const Decision& decision) {
  std::string text;
  for (Stream stream : catalog::kStreams) {
    const std::optional<Reason>& reason = decision.of(stream);
    if (!reason) continue;
    if (!text.empty()) text += ", ";
    text += std::string(catalog::to_string(stream)) + ": " + to_string(*reason);
  }
  if (decision.leftovers) {
    if (!text.empty()) text += ", ";
    text += "leftovers: " + to_string(*decision.leftovers);
  }
  return text;
}

namespace {

// Rules 1-5 for one stream: a reason for every set holding `stream`, written
// into decisions[i].db or .docs. `order` is newest first.
void plan_stream(Stream stream, std::span<const BackupSet> sets,
                 const std::vector<std::size_t>& order, const RetentionBands& b,
                 const RetentionPolicy& policy, std::vector<Decision>& decisions) {
  const auto holds = [&](std::size_t i) {
    return !sets[i].unreadable && sets[i].streams.has(stream);
  };
  const auto reason_of = [&](std::size_t i) -> std::optional<Reason>& {
    return stream == Stream::db ? decisions[i].db : decisions[i].docs;
  };

  // Because dates follow times, the s-sets of one month (or year) of a band are
  // consecutive in `order`, and the first one met is that month's newest.
  std::optional<std::chrono::year_month> last_month;  // of the previous monthly-band set
  std::optional<std::chrono::year> last_year;         // of the previous yearly-band set
  std::optional<std::size_t> newest;
  for (std::size_t i : order) {
    if (!holds(i)) continue;
    const sys_days date = date_of(sets[i].start_time);
    Reason reason{ReasonKind::expired};
    if (!newest) newest = i;
    if (date >= b.daily_from) {
      reason.kind = ReasonKind::daily;
    } else if (date > b.monthly_after) {
      const year_month_day ymd{date};
      const std::chrono::year_month month = ymd.year() / ymd.month();
      if (month != last_month) reason = Reason{ReasonKind::monthly, ymd.year(), ymd.month()};
      last_month = month;
    } else if (date > b.yearly_after) {
      const std::chrono::year year = year_month_day{date}.year();
      if (year != last_year) reason = Reason{ReasonKind::yearly, year, std::chrono::month{0}};
      last_year = year;
    }
    reason_of(i) = reason;
  }

  if (newest && !keeps(reason_of(*newest)->kind)) reason_of(*newest)->kind = ReasonKind::newest;

  std::size_t kept = 0;
  for (std::size_t i : order)
    if (holds(i) && keeps(reason_of(i)->kind)) ++kept;
  const auto min_keep = static_cast<std::size_t>(policy.min_keep);
  for (std::size_t i : order) {
    if (kept >= min_keep) break;
    if (holds(i) && !keeps(reason_of(i)->kind)) {
      reason_of(i)->kind = ReasonKind::min_keep;
      ++kept;
    }
  }
}

}  // namespace

Result<RetentionPlan> plan_retention(std::span<const BackupSet> sets, const RetentionPolicy& policy,
                                     year_month_day today, OwnBackup own_backup) {
  auto bands = retention_bands(policy, today);
  if (!bands) return std::unexpected(bands.error());
  const RetentionBands b = *bands;

  // Deletions are addressed by id: an id listed twice would make "keep one, delete the
  // other" delete both.
  std::unordered_set<std::string_view> seen;
  seen.reserve(sets.size());
  for (const BackupSet& set : sets) {
    if (!seen.insert(set.id).second) {
      return make_error(ErrorKind::corrupt, "retention plan: backup set " + set.id +
                                                " appears twice in the catalog (hint: the "
                                                "listing is inconsistent; nothing was deleted)");
    }
  }

  RetentionPlan plan{.bands = b, .decisions = {}};
  plan.decisions.reserve(sets.size());
  for (const BackupSet& set : sets) plan.decisions.push_back(Decision{set.id, Reason{}});

  // Newest first; "newest" means later start_time, then larger id.
  std::vector<std::size_t> order(sets.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t l, std::size_t r) {
    if (sets[l].start_time != sets[r].start_time) return sets[l].start_time > sets[r].start_time;
    return sets[l].id > sets[r].id;
  });

  for (Stream stream : catalog::kStreams)
    plan_stream(stream, sets, order, b, policy, plan.decisions);

  for (std::size_t i = 0; i < sets.size(); ++i) {
    Decision& decision = plan.decisions[i];
    // Rule 6: what is incomplete is decided on the set's date alone.
    const Reason incomplete{date_of(sets[i].start_time) >= b.daily_from
                                ? ReasonKind::incomplete_young
                                : ReasonKind::incomplete_expired};
    if (sets[i].unreadable) {
      decision.reason = Reason{ReasonKind::unreadable};
      continue;
    }
    if (sets[i].streams.empty()) {
      decision.reason = incomplete;
      continue;
    }
    // The first rule that keeps the set for any stream: the kinds are declared in rule
    // order. Two streams in the same band name the same month or year.
    decision.reason = Reason{ReasonKind::expired};
    for (Stream stream : catalog::kStreams) {
      const std::optional<Reason>& reason = decision.of(stream);
      if (reason && keeps(reason->kind) &&
          (!keeps(decision.reason.kind) || reason->kind < decision.reason.kind)) {
        decision.reason = *reason;
      }
    }
    // A deleted set takes its leftovers with it; a kept one decides them apart.
    if (sets[i].leftovers && decision.keep()) decision.leftovers = incomplete;
  }

  if (own_backup == OwnBackup::failed) {
    for (Decision& decision : plan.decisions) {
      if (!decision.keep()) decision.reason = Reason{ReasonKind::run_failed};
      if (decision.leftovers && !keeps(decision.leftovers->kind))
        decision.leftovers = Reason{ReasonKind::run_failed};
    }
  }
  return plan;
}

}  // namespace erp::retention
