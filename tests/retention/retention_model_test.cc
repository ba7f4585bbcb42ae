// The plan against a second, deliberately naive reading of SPEC §5, on random catalogs,
// policies and dates. The model decides each set by looking at every other set (O(n²)),
// with its own calendar arithmetic; the plan sorts once. They must agree on every reason.
#include <algorithm>
#include <chrono>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <doctest/doctest.h>

#include "retention/retention_plan.h"
#include "retention_test_support.h"

namespace erp::retention {
namespace {

using namespace std::chrono;
using testing::at;
using testing::complete_set;
using testing::date_text;
using testing::ymd;

year_month_day clamp_to_month(year_month_day date) {
  return date.ok() ? date : year_month_day{date.year() / date.month() / last};
}

// §5 read literally, one set at a time.
std::vector<Reason> model_plan(const std::vector<BackupSet>& sets, const RetentionPolicy& policy,
                               year_month_day today, OwnBackup own) {
  const sys_days daily_from = sys_days{today} - days{policy.daily_days};
  const sys_days monthly_after{clamp_to_month(today - months{policy.monthly_months})};
  const sys_days yearly_after{clamp_to_month(today - years{policy.yearly_years})};
  const auto date = [](const BackupSet& s) { return floor<days>(s.start_time); };
  const auto newer = [](const BackupSet& a, const BackupSet& b) {
    return std::tie(a.start_time, a.id) > std::tie(b.start_time, b.id);
  };
  const auto in_daily = [&](const BackupSet& s) { return s.complete && date(s) >= daily_from; };
  const auto in_monthly = [&](const BackupSet& s) {
    return s.complete && date(s) < daily_from && date(s) > monthly_after;
  };
  const auto in_yearly = [&](const BackupSet& s) {
    return s.complete && date(s) < daily_from && date(s) <= monthly_after && date(s) > yearly_after;
  };
  const auto month_of = [&](const BackupSet& s) {
    const year_month_day d{date(s)};
    return d.year() / d.month();
  };
  const auto year_of = [&](const BackupSet& s) { return year_month_day{date(s)}.year(); };

  std::vector<Reason> reasons(sets.size());
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const BackupSet& s = sets[i];
    const bool newest_of_month = std::none_of(sets.begin(), sets.end(), [&](const BackupSet& t) {
      return in_monthly(t) && month_of(t) == month_of(s) && newer(t, s);
    });
    const bool newest_of_year = std::none_of(sets.begin(), sets.end(), [&](const BackupSet& t) {
      return in_yearly(t) && year_of(t) == year_of(s) && newer(t, s);
    });
    if (!s.complete) {
      reasons[i] = {date(s) >= daily_from ? ReasonKind::incomplete_young
                                          : ReasonKind::incomplete_expired};
    } else if (in_daily(s)) {
      reasons[i] = {ReasonKind::daily};
    } else if (in_monthly(s) && newest_of_month) {
      reasons[i] = {ReasonKind::monthly, year_of(s), year_month_day{date(s)}.month()};
    } else if (in_yearly(s) && newest_of_year) {
      reasons[i] = {ReasonKind::yearly, year_of(s)};
    } else {
      reasons[i] = {ReasonKind::expired};
    }
  }
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const bool newest_complete =
        sets[i].complete && std::none_of(sets.begin(), sets.end(), [&](const BackupSet& t) {
          return t.complete && newer(t, sets[i]);
        });
    if (newest_complete && !keeps(reasons[i].kind)) reasons[i] = {ReasonKind::newest};
  }
  int kept = 0;
  std::vector<std::size_t> deleted;
  for (std::size_t i = 0; i < sets.size(); ++i) {
    if (!sets[i].complete) continue;
    if (keeps(reasons[i].kind)) {
      ++kept;
    } else {
      deleted.push_back(i);
    }
  }
  std::sort(deleted.begin(), deleted.end(),
            [&](std::size_t a, std::size_t b) { return newer(sets[a], sets[b]); });
  for (std::size_t k = 0; k < deleted.size() && kept < policy.min_keep; ++k, ++kept)
    reasons[deleted[k]] = {ReasonKind::min_keep};
  if (own == OwnBackup::failed) {
    for (Reason& reason : reasons)
      if (!keeps(reason.kind)) reason = {ReasonKind::run_failed};
  }
  return reasons;
}

TEST_CASE("the plan agrees with a literal reading of §5 on 3000 random catalogs") {
  std::mt19937 rng(20261126);  // fixed: a failure reproduces
  const auto uniform = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  // Dates where the calendar is awkward, to be picked as `today` more often than chance would.
  const year_month_day awkward[] = {ymd(2026, 3, 31),  ymd(2028, 3, 31), ymd(2026, 5, 31),
                                    ymd(2028, 2, 29),  ymd(2029, 2, 28), ymd(2029, 3, 1),
                                    ymd(2026, 12, 31), ymd(2027, 1, 1),  ymd(2026, 11, 26),
                                    ymd(2038, 2, 28),  ymd(2038, 3, 1),  ymd(2032, 2, 29)};
  int sets_compared = 0;
  std::set<ReasonKind> kinds_seen;
  for (int round = 0; round < 3000; ++round) {
    year_month_day today = uniform(0, 2) == 0
                               ? awkward[uniform(0, std::size(awkward) - 1)]
                               : year_month_day{sys_days{ymd(2020, 1, 1)} + days{uniform(0, 5500)}};
    RetentionPolicy policy{uniform(0, 40), uniform(0, 15), uniform(0, 12), uniform(0, 5)};
    if (uniform(0, 20) == 0) policy.daily_days = uniform(300, 800);
    if (policy.daily_days + policy.monthly_months + policy.yearly_years + policy.min_keep == 0)
      policy.min_keep = 1;
    const OwnBackup own = uniform(0, 9) == 0 ? OwnBackup::failed : OwnBackup::succeeded;

    // Start times: anywhere in the last 14 years (and a little after today), or within
    // two days of a band bound, or on the same day as an earlier set.
    const sys_days t{today};
    const sys_days bounds[] = {t - days{policy.daily_days},
                               sys_days{clamp_to_month(today - months{policy.monthly_months})},
                               sys_days{clamp_to_month(today - years{policy.yearly_years})}};
    std::vector<BackupSet> sets;
    std::set<std::string> ids;
    const int n = uniform(0, 40);
    for (int k = 0; k < n; ++k) {
      sys_seconds start;
      switch (uniform(0, 3)) {
        case 0:
          start = t - days{uniform(-2, 14 * 366)} + seconds{uniform(0, 86399)};
          break;
        case 1:
          start = bounds[uniform(0, 2)] + days{uniform(-2, 2)} + seconds{uniform(0, 86399)};
          break;
        case 2:  // the last days of a month, where monthly representatives live
          start = sys_days{year_month_day{t - days{uniform(0, 4000)}}.year() /
                           month{static_cast<unsigned>(uniform(1, 12))} / last} -
                  days{uniform(0, 2)} + seconds{uniform(0, 86399)};
          break;
        default:
          start = sets.empty() ? sys_seconds{t}
                               : floor<days>(sets[uniform(0, sets.size() - 1)].start_time) +
                                     seconds{uniform(0, 86399)};
      }
      BackupSet set = complete_set(start);
      set.complete = uniform(0, 6) != 0;
      if (ids.insert(set.id).second) sets.push_back(set);
    }

    CAPTURE(round);
    CAPTURE(date_text(today));
    CAPTURE(policy.daily_days);
    CAPTURE(policy.monthly_months);
    CAPTURE(policy.yearly_years);
    CAPTURE(policy.min_keep);
    auto plan = plan_retention(sets, policy, today, own);
    REQUIRE(plan.has_value());
    const std::vector<Reason> expected = model_plan(sets, policy, today, own);
    for (std::size_t i = 0; i < sets.size(); ++i) {
      CAPTURE(sets[i].id);
      CAPTURE(sets[i].complete);
      REQUIRE(to_string(plan->decisions[i].reason) == to_string(expected[i]));
      kinds_seen.insert(expected[i].kind);
      ++sets_compared;
    }
  }
  // The random catalogs exercised every rule, so agreement above means something.
  CHECK(kinds_seen.size() == 9);
  CHECK(sets_compared > 30000);
}

}  // namespace
}  // namespace erp::retention
