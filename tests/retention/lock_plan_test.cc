// The lock each set needs (retention/lock_plan.h), rule by rule. Every expected date is worked
// out by hand from the header's table (the comments show the arithmetic), none copied from
// the code's output. Defaults unless a case says otherwise: 30 daily days, 12 months,
// 10 years, min_keep 3, margin 2 days.
#include "retention/lock_plan.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "retention_test_support.h"
#include "s3/object_lock.h"

namespace erp::retention {
namespace {

using namespace std::chrono;
using testing::at;
using testing::complete_set;
using testing::db_only_set;
using testing::docs_only_set;
using testing::expected_text;
using testing::incomplete_set;
using testing::plan_or_fail;
using testing::unreadable_set;
using testing::ymd;

constexpr seconds kMargin = days{2};

// "monthly 2027-10-02T02:00:00Z", "none".
std::string text(const LockRequirement& requirement) {
  std::string result(label(requirement.tier));
  if (requirement.retain_until) result += " " + s3::format_retain_until(*requirement.retain_until);
  return result;
}

// id -> text(requirement) for every set, planned on the date of `now` and locked with `margin`.
std::map<std::string, std::string> requirements_by_id(const std::vector<BackupSet>& sets,
                                                      const RetentionPolicy& policy,
                                                      sys_seconds now, seconds margin = kMargin,
                                                      OwnBackup own = OwnBackup::succeeded) {
  const RetentionPlan plan = plan_or_fail(sets, policy, year_month_day{floor<days>(now)}, own);
  const std::vector<LockRequirement> requirements =
      lock_requirements(sets, plan, policy, margin, now);
  REQUIRE(requirements.size() == sets.size());
  std::map<std::string, std::string> result;
  for (std::size_t i = 0; i < sets.size(); ++i) result[sets[i].id] = text(requirements[i]);
  return result;
}

// One complete set a day at 02:00 UTC, from `first` to `last` inclusive.
std::vector<BackupSet> daily_sets(year_month_day first, year_month_day last) {
  std::vector<BackupSet> sets;
  for (sys_days day{first}; day <= sys_days{last}; day += days{1})
    sets.push_back(complete_set(day + hours{2}));
  return sets;
}

// The prune after the 02:00 backup of 2026-11-26.
const sys_seconds kNow = at(ymd(2026, 11, 26), 2, 5);
const std::string kRolling = "rolling 2026-11-28T02:05:00Z";  // kNow + 2 days

TEST_CASE("tier labels") {
  CHECK(label(LockTier::none) == "none");
  CHECK(label(LockTier::rolling) == "rolling");
  CHECK(label(LockTier::daily) == "daily");
  CHECK(label(LockTier::monthly) == "monthly");
  CHECK(label(LockTier::yearly) == "yearly");
}

TEST_CASE("a new set is locked for the daily band plus the margin") {
  // 2026-11-26T02:00:00Z + 30 days = 2026-12-26T02:00:00Z (November has 30 days), + 2 days.
  CHECK(s3::format_retain_until(initial_retain_until(at(ymd(2026, 11, 26)), {}, kMargin)) ==
        "2026-12-28T02:00:00Z");
  // Plain day arithmetic, no calendar: 7 days + 1 hour from 2026-02-25T23:30:00Z.
  CHECK(s3::format_retain_until(initial_retain_until(
            at(ymd(2026, 2, 25), 23, 30), {.daily_days = 7}, hours{1})) == "2026-03-05T00:30:00Z");
}

TEST_CASE("a daily set needs set time + daily band + margin, whatever `now` is") {
  // 2026-11-20 and 2026-10-27 (the oldest date of the daily band on 2026-11-26) are daily.
  const std::vector<BackupSet> sets{complete_set(at(ymd(2026, 10, 27), 2, 0, 7)),
                                    complete_set(at(ymd(2026, 11, 20)))};
  CHECK(expected_text(requirements_by_id(sets, {}, kNow)) ==
        expected_text({{"20261027T020007Z", "daily 2026-11-28T02:00:07Z"},     // 10-27 + 30 d + 2 d
                       {"20261120T020000Z", "daily 2026-12-22T02:00:00Z"}}));  // 12-20 + 2 d
}

TEST_CASE("a monthly representative is locked for its tier only once it is final") {
  // Every day 2026-09-01 .. 2026-11-26. On 2026-11-26 the daily band starts 2026-10-27.
  // September: 09-30 represents it; September has ended and none of its sets is daily:
  // final, 2026-09-30T02:00 + 12 months = 2027-09-30T02:00, + 2 days.
  // October: 10-26 represents it for now, but 10-27 .. 10-31 are still daily and 10-31 will
  // take its place on 2026-12-01: rolling (kNow + margin), so that it can be deleted then.
  const std::map<std::string, std::string> wanted =
      requirements_by_id(daily_sets(ymd(2026, 9, 1), ymd(2026, 11, 26)), {}, kNow);
  CHECK(wanted.at("20260930T020000Z") == "monthly 2027-10-02T02:00:00Z");
  CHECK(wanted.at("20261026T020000Z") == kRolling);
  CHECK(wanted.at("20260929T020000Z") == "none");  // superseded: deleted
  CHECK(wanted.at("20261025T020000Z") == "none");
  CHECK(wanted.at("20261027T020000Z") == "daily 2026-11-28T02:00:00Z");

  // Five days later 10-31 has left the daily band too: it is final for October.
  const std::map<std::string, std::string> later = requirements_by_id(
      daily_sets(ymd(2026, 9, 1), ymd(2026, 12, 1)), {}, at(ymd(2026, 12, 1), 2, 5));
  CHECK(later.at("20261031T020000Z") == "monthly 2027-11-02T02:00:00Z");  // 2027-10-31 + 2 d
  CHECK(later.at("20261026T020000Z") == "none");
}

TEST_CASE("a monthly representative of the month not yet ended is rolling") {
  // No daily band (0 days): on 2026-11-26 the sets of 11-24 and 11-25 are in the monthly
  // band and 11-25 represents November, with no November set in the daily band. But
  // November has not ended: tomorrow's 11-26 set will take its place.
  const RetentionPolicy policy{.daily_days = 0};
  const std::vector<BackupSet> sets{complete_set(at(ymd(2026, 11, 24))),
                                    complete_set(at(ymd(2026, 11, 25)))};
  const std::map<std::string, std::string> wanted = requirements_by_id(sets, policy, kNow);
  CHECK(wanted.at("20261125T020000Z") == kRolling);
  CHECK(wanted.at("20261124T020000Z") == kRolling);  // min-keep (3): rolling as well

  // On 2026-12-01, November has ended and no November set is daily: final for November.
  const std::map<std::string, std::string> december =
      requirements_by_id(sets, policy, at(ymd(2026, 12, 1), 2, 5));
  CHECK(december.at("20261125T020000Z") == "monthly 2027-11-27T02:00:00Z");  // 2027-11-25 + 2 d
}

TEST_CASE("a yearly representative is locked for its tier only once its year is final") {
  // On 2026-11-26 the monthly bound is 2025-11-26. 2024-06-15 is 2024's only set: final,
  // 2034-06-15T02:00 + 2 days. 2025-10-31 represents 2025 below the bound, but 2025-12-31 is
  // monthly and will cross the bound on 2026-12-31, then representing 2025: rolling.
  const std::vector<BackupSet> sets{
      complete_set(at(ymd(2024, 6, 15))), complete_set(at(ymd(2025, 10, 31))),
      complete_set(at(ymd(2025, 12, 31))), complete_set(at(ymd(2026, 11, 25)))};
  const std::map<std::string, std::string> wanted = requirements_by_id(sets, {}, kNow);
  CHECK(expected_text(wanted) ==
        expected_text({{"20240615T020000Z", "yearly 2034-06-17T02:00:00Z"},
                       {"20251031T020000Z", kRolling},
                       {"20251231T020000Z", "monthly 2027-01-02T02:00:00Z"},  // + 12 months + 2 d
                       {"20261125T020000Z", "daily 2026-12-27T02:00:00Z"}}));

  // On 2027-01-05, 2025-12-31 has crossed the bound and represents 2025; no 2025 set is left
  // above the bound: final, 2035-12-31T02:00 + 2 days. 2025-10-31 is superseded.
  const std::map<std::string, std::string> january =
      requirements_by_id(sets, {}, at(ymd(2027, 1, 5), 2, 5));
  CHECK(january.at("20251231T020000Z") == "yearly 2036-01-02T02:00:00Z");
  CHECK(january.at("20251031T020000Z") == "none");
}

TEST_CASE("a yearly representative of the year not yet ended is rolling") {
  // No daily or monthly band: on 2026-11-26 the set of 2026-03-01 represents 2026 in the
  // yearly band, but a later 2026 set (tomorrow's) will take its place. 2025-06-01 is final.
  const RetentionPolicy policy{.daily_days = 0, .monthly_months = 0, .yearly_years = 10};
  const std::vector<BackupSet> sets{complete_set(at(ymd(2025, 6, 1))),
                                    complete_set(at(ymd(2026, 3, 1)))};
  const std::map<std::string, std::string> wanted = requirements_by_id(sets, policy, kNow);
  CHECK(wanted.at("20260301T020000Z") == kRolling);
  CHECK(wanted.at("20250601T020000Z") == "yearly 2035-06-03T02:00:00Z");
}

TEST_CASE("a yearly representative is not final while a set of its year is daily below the bound") {
  // 90 daily days and 2 months: the daily band reaches below the monthly bound (the monthly
  // band is empty). On 2026-01-15: daily from 2025-10-17, monthly bound 2025-11-15. 2025-10-10
  // represents 2025 in the yearly band; 2025-11-01 is daily (though older than the bound) and
  // takes 2025's place when it leaves the daily band: 2025-10-10 is rolling, not final.
  const RetentionPolicy policy{.daily_days = 90, .monthly_months = 2};
  const std::vector<BackupSet> sets{complete_set(at(ymd(2025, 10, 10))),
                                    complete_set(at(ymd(2025, 11, 1)))};
  CHECK(expected_text(requirements_by_id(sets, policy, at(ymd(2026, 1, 15), 2, 5))) ==
        expected_text({{"20251010T020000Z", "rolling 2026-01-17T02:05:00Z"},
                       {"20251101T020000Z", "daily 2026-02-01T02:00:00Z"}}));  // + 90 d + 2 d
}

TEST_CASE("newest and min-keep sets are rolling") {
  // Only a daily band, and four sets from 2020: the newest is kept as newest, the next two
  // as min-keep (3), the oldest is deleted.
  const RetentionPolicy policy{.daily_days = 30, .monthly_months = 0, .yearly_years = 0};
  const std::vector<BackupSet> sets = daily_sets(ymd(2020, 1, 1), ymd(2020, 1, 4));
  CHECK(expected_text(requirements_by_id(sets, policy, kNow)) ==
        expected_text({{"20200101T020000Z", "none"},
                       {"20200102T020000Z", kRolling},
                       {"20200103T020000Z", kRolling},
                       {"20200104T020000Z", kRolling}}));
}

TEST_CASE("deleted, incomplete, unreadable and run-failed sets need nothing") {
  // 2016-05-01 is expired (below the yearly band, which starts after 2016-11-26; min-keep is
  // met by the daily sets), 2026-11-25 incomplete (young: kept for inspection), 2019-06-01
  // unreadable.
  const std::vector<BackupSet> sets{
      complete_set(at(ymd(2016, 5, 1))),   incomplete_set(at(ymd(2026, 11, 25))),
      unreadable_set(at(ymd(2019, 6, 1))), complete_set(at(ymd(2026, 11, 22))),
      complete_set(at(ymd(2026, 11, 23))), complete_set(at(ymd(2026, 11, 24)))};
  const std::map<std::string, std::string> wanted = requirements_by_id(sets, {}, kNow);
  CHECK(wanted.at("20160501T020000Z") == "none");
  CHECK(wanted.at("20261125T020000Z") == "none");
  CHECK(wanted.at("20190601T020000Z") == "none");
  CHECK(wanted.at("20261124T020000Z") == "daily 2026-12-26T02:00:00Z");

  // The run's own backup failed: 2016-05-01 is kept as run-failed, and needs nothing either
  // (it is kept for this run only; its old lock has long passed).
  const RetentionPlan failed = plan_or_fail(sets, {}, ymd(2026, 11, 26), OwnBackup::failed);
  REQUIRE(failed.decisions[0].reason.kind == ReasonKind::run_failed);
  const std::vector<LockRequirement> requirements =
      lock_requirements(sets, failed, {}, kMargin, kNow);
  CHECK(text(requirements[0]) == "none");
  CHECK(text(requirements[5]) == "daily 2026-12-26T02:00:00Z");
}

TEST_CASE("per stream: each stream's reason asks its own lock and the later one wins") {
  // On 2026-11-26 (daily band from 2026-10-27), October's representative is final for a
  // stream only when none of that stream's October sets is still daily:
  //   2026-10-20T02 db: superseded for db by 03:00.
  //   2026-10-20T03 db+docs: db and docs monthly 2026-10. For db, 2026-10-28 (--only db) is
  //     still daily and will take October's place on 2026-11-28: rolling. For docs no October
  //     set is daily: final, 2027-10-20T03:00 + 2 days. The later, the docs lock, wins.
  //   2026-10-28 db: daily.
  // (min_keep 1: with 3, the superseded 02:00 set would be kept by min-keep.)
  const RetentionPolicy policy{.min_keep = 1};
  const std::vector<BackupSet> sets{db_only_set(at(ymd(2026, 10, 20))),
                                    complete_set(at(ymd(2026, 10, 20), 3)),
                                    db_only_set(at(ymd(2026, 10, 28)))};
  const RetentionPlan plan = plan_or_fail(sets, policy, ymd(2026, 11, 26));
  REQUIRE(stream_reasons_text(plan.decisions[1]) == "db: monthly 2026-10, docs: monthly 2026-10");
  CHECK(expected_text(requirements_by_id(sets, policy, kNow)) ==
        expected_text({{"20261020T020000Z", "none"},
                       {"20261020T030000Z", "monthly 2027-10-22T03:00:00Z"},
                       {"20261028T020000Z", "daily 2026-11-29T02:00:00Z"}}));

  // The mirror: a later --only docs set is daily, so docs is rolling and db is final.
  const std::vector<BackupSet> mirror{complete_set(at(ymd(2026, 10, 20), 3)),
                                      docs_only_set(at(ymd(2026, 10, 29)))};
  CHECK(expected_text(requirements_by_id(mirror, policy, kNow)) ==
        expected_text({{"20261020T030000Z", "monthly 2027-10-22T03:00:00Z"},
                       {"20261029T020000Z", "daily 2026-11-30T02:00:00Z"}}));

  // With the later sets gone from the daily band (on 2026-12-01 it starts 2026-11-01), the
  // first case's 10-28 represents October for db (final: 2027-10-28 + 2 days) and 10-20T03
  // only docs: each set now has one final lock of its own.
  const std::map<std::string, std::string> december =
      requirements_by_id(sets, policy, at(ymd(2026, 12, 1), 2, 5));
  CHECK(december.at("20261020T030000Z") == "monthly 2027-10-22T03:00:00Z");
  CHECK(december.at("20261028T020000Z") == "monthly 2027-10-30T02:00:00Z");
}

TEST_CASE("the tier's horizon is in calendar months and years, the day clamped") {
  // One month, no daily band: on 2026-02-10 the set of 2026-01-31T02:30:15 is January's final
  // representative. 2026-01-31 + 1 month = "2026-02-31", clamped to 2026-02-28, at the set's
  // own time of day; a one-hour margin keeps the clamp visible.
  const RetentionPolicy monthly{.daily_days = 0, .monthly_months = 1, .yearly_years = 0};
  const std::vector<BackupSet> january{complete_set(at(ymd(2026, 1, 31), 2, 30, 15))};
  CHECK(requirements_by_id(january, monthly, at(ymd(2026, 2, 10), 2, 5), hours{1})
            .at("20260131T023015Z") == "monthly 2026-02-28T03:30:15Z");
  // The band it is locked for ends there too: on 2026-02-28 the set is still monthly
  // (2026-02-28 - 1 month = 2026-01-28 < 01-31), on 2026-03-01 no longer.
  CHECK(plan_or_fail(january, monthly, ymd(2026, 2, 28)).decisions[0].reason.kind ==
        ReasonKind::monthly);
  CHECK(plan_or_fail(january, monthly, ymd(2026, 3, 1)).decisions[0].reason.kind ==
        ReasonKind::newest);

  // One year: 2028-02-29 + 1 year = 2029-02-28 (2029 is a common year).
  const RetentionPolicy yearly{.daily_days = 0, .monthly_months = 0, .yearly_years = 1};
  const std::vector<BackupSet> leap{complete_set(at(ymd(2028, 2, 29)))};
  CHECK(requirements_by_id(leap, yearly, at(ymd(2029, 1, 15), 2, 5), hours{1})
            .at("20280229T020000Z") == "yearly 2029-02-28T03:00:00Z");
}

TEST_CASE("the margin is added to every tier") {
  // The September case above with a margin of 6 hours instead of 2 days: every date is
  // 42 hours earlier.
  const std::map<std::string, std::string> wanted =
      requirements_by_id(daily_sets(ymd(2026, 9, 1), ymd(2026, 11, 26)), {}, kNow, hours{6});
  CHECK(wanted.at("20260930T020000Z") == "monthly 2027-09-30T08:00:00Z");
  CHECK(wanted.at("20261026T020000Z") == "rolling 2026-11-26T08:05:00Z");
  CHECK(wanted.at("20261027T020000Z") == "daily 2026-11-26T08:00:00Z");
  CHECK(s3::format_retain_until(initial_retain_until(at(ymd(2026, 11, 26)), {}, hours{6})) ==
        "2026-12-26T08:00:00Z");
}

TEST_CASE("requirements are index-aligned with sets in any order") {
  std::vector<BackupSet> sets = daily_sets(ymd(2026, 9, 1), ymd(2026, 11, 26));
  std::reverse(sets.begin(), sets.end());
  const RetentionPlan plan = plan_or_fail(sets, {}, ymd(2026, 11, 26));
  const std::vector<LockRequirement> requirements =
      lock_requirements(sets, plan, {}, kMargin, kNow);
  REQUIRE(requirements.size() == sets.size());
  for (std::size_t i = 0; i < sets.size(); ++i) {
    CAPTURE(sets[i].id);
    CHECK(plan.decisions[i].keep() == (requirements[i].tier != LockTier::none));
    CHECK(requirements[i].retain_until.has_value() == (requirements[i].tier != LockTier::none));
  }
  CHECK(text(requirements[sets.size() - 1 - 29]) == "monthly 2027-10-02T02:00:00Z");  // 09-30
}

TEST_CASE("expiring keepers: a lock ending within the window while the tier needs more") {
  const sys_seconds now = kNow;
  const auto need = [&](LockTier tier, seconds after_now) {
    return LockRequirement{tier, now + after_now};
  };
  const std::vector<LockRequirement> requirements{
      need(LockTier::monthly, days{300}),  // 0: no lock at all: listed
      need(LockTier::monthly, days{300}),  // 1: lock ends in 3 days: listed
      need(LockTier::monthly, days{300}),  // 2: promoted: not listed
      need(LockTier::rolling, days{2}),    // 3: no lock, but needs only 2 days: not listed
      need(LockTier::rolling, days{2}),    // 4: lock ends in 1 day, needs 2: not listed
      LockRequirement{},                   // 5: deleted set, no lock: not listed
      need(LockTier::daily, days{20}),     // 6: lock ends exactly at now + 7 days: listed
      need(LockTier::daily, days{20}),     // 7: one second later: not listed
      need(LockTier::yearly, days{7}),     // 8: needs exactly the window: not listed
      need(LockTier::yearly, days{3000}),  // 9: lock already passed: listed
  };
  const std::vector<std::optional<sys_seconds>> current{
      std::nullopt,  now + days{3}, now + days{300}, std::nullopt,
      now + days{1}, std::nullopt,  now + days{7},   now + days{7} + seconds{1},
      std::nullopt,  now - days{1}};
  CHECK(expiring_keepers(requirements, current, now) == std::vector<std::size_t>{0, 1, 6, 9});
  // Over 30 days the daily sets need no more than the window; over one day the rolling
  // sets (2 days) and 8 (7 days) need more than their lock gives.
  CHECK(expiring_keepers(requirements, current, now, days{30}) ==
        std::vector<std::size_t>{0, 1, 9});
  CHECK(expiring_keepers(requirements, current, now, days{1}) ==
        std::vector<std::size_t>{0, 3, 4, 8, 9});
}

TEST_CASE("expiring keepers from a plan: final sets left at their first lock are reported") {
  // The September case: the sets were written with their initial lock and never promoted.
  // 09-30 (monthly, final) has 09-30 + 32 days = 2026-11-01: already passed, listed. October's
  // 10-26 (rolling: kNow + 2 days) and the daily ones are not.
  const std::vector<BackupSet> sets = daily_sets(ymd(2026, 9, 1), ymd(2026, 11, 26));
  const RetentionPlan plan = plan_or_fail(sets, {}, ymd(2026, 11, 26));
  const std::vector<LockRequirement> requirements =
      lock_requirements(sets, plan, {}, kMargin, kNow);
  std::vector<std::optional<sys_seconds>> current;
  for (const BackupSet& set : sets)
    current.push_back(initial_retain_until(set.start_time, {}, kMargin));
  std::vector<std::string> ids;
  for (std::size_t i : expiring_keepers(requirements, current, kNow)) ids.push_back(sets[i].id);
  CHECK(testing::join(ids) == "20260930T020000Z");
  // After promotion (extend only) nothing is left to report.
  for (std::size_t i = 0; i < sets.size(); ++i)
    if (requirements[i].retain_until && *requirements[i].retain_until > *current[i])
      current[i] = requirements[i].retain_until;
  CHECK(expiring_keepers(requirements, current, kNow).empty());
}

}  // namespace
}  // namespace erp::retention
