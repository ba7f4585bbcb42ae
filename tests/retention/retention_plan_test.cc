// SPEC §5 retention, rule by rule. Expected ids and reasons below are worked out by hand
// from the rules (the comments show the arithmetic); none is copied from the code's output.
#include "retention/retention_plan.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "retention_test_support.h"

namespace erp::retention {
namespace {

using namespace std::chrono;
using testing::at;
using testing::complete_set;
using testing::count_kind;
using testing::date_text;
using testing::db_only_set;
using testing::docs_only_set;
using testing::expected_text;
using testing::incomplete_set;
using testing::kept_text;
using testing::partial_set;
using testing::plan_or_fail;
using testing::reasons_by_id;
using testing::unreadable_set;
using testing::ymd;

// One complete set a day at 02:00 UTC, from `first` to `last` inclusive.
std::vector<BackupSet> daily_sets(year_month_day first, year_month_day last) {
  std::vector<BackupSet> sets;
  for (sys_days day{first}; day <= sys_days{last}; day += days{1})
    sets.push_back(complete_set(day + hours{2}));
  return sets;
}

TEST_CASE("reference case: 1100 daily sets up to 2026-11-26 keep 31 daily, 12 monthly, 3 yearly") {
  // 1100 consecutive days ending 2026-11-26: 2026-11-26 - 1099 days. Going back a year at a
  // time: to 2025-11-26 is 365 days, to 2024-11-26 another 365, to 2023-11-26 another 366
  // (it spans 2024-02-29): 1096 days; 3 more days gives 2023-11-23, the oldest set.
  std::vector<BackupSet> sets;
  for (int i = 0; i < 1100; ++i)
    sets.push_back(complete_set(sys_days{ymd(2026, 11, 26)} - days{i} + hours{2}));
  REQUIRE(sets.back().id == "20231123T020000Z");  // the arithmetic above, checked

  // Defaults 30/12/10/3, today 2026-11-26:
  //   daily_from    = 2026-11-26 - 30 days   = 2026-10-27 (Oct has 31 days: 26 + 4 = 30)
  //   monthly_after = 2026-11-26 - 12 months = 2025-11-26
  //   yearly_after  = 2026-11-26 - 10 years  = 2016-11-26 (older than every set)
  // daily: 2026-10-27 .. 2026-11-26 = 5 (Oct 27-31) + 26 (Nov 1-26) = 31 sets.
  // monthly band: 2025-11-27 .. 2026-10-26. Months present: 2025-11 (27-30), 2025-12,
  //   2026-01 .. 2026-09, 2026-10 (1-26) = 12; newest of each is its last day in the band.
  // yearly band: 2023-11-23 .. 2025-11-26 (date <= monthly_after). Years present: 2023,
  //   2024, 2025; newest of each: 2023-12-31, 2024-12-31, 2025-11-26.
  const std::map<std::string, std::string> expected = {
      // daily (31)
      {"20261027T020000Z", "daily"},
      {"20261028T020000Z", "daily"},
      {"20261029T020000Z", "daily"},
      {"20261030T020000Z", "daily"},
      {"20261031T020000Z", "daily"},
      {"20261101T020000Z", "daily"},
      {"20261102T020000Z", "daily"},
      {"20261103T020000Z", "daily"},
      {"20261104T020000Z", "daily"},
      {"20261105T020000Z", "daily"},
      {"20261106T020000Z", "daily"},
      {"20261107T020000Z", "daily"},
      {"20261108T020000Z", "daily"},
      {"20261109T020000Z", "daily"},
      {"20261110T020000Z", "daily"},
      {"20261111T020000Z", "daily"},
      {"20261112T020000Z", "daily"},
      {"20261113T020000Z", "daily"},
      {"20261114T020000Z", "daily"},
      {"20261115T020000Z", "daily"},
      {"20261116T020000Z", "daily"},
      {"20261117T020000Z", "daily"},
      {"20261118T020000Z", "daily"},
      {"20261119T020000Z", "daily"},
      {"20261120T020000Z", "daily"},
      {"20261121T020000Z", "daily"},
      {"20261122T020000Z", "daily"},
      {"20261123T020000Z", "daily"},
      {"20261124T020000Z", "daily"},
      {"20261125T020000Z", "daily"},
      {"20261126T020000Z", "daily"},
      // monthly (12)
      {"20251130T020000Z", "monthly 2025-11"},
      {"20251231T020000Z", "monthly 2025-12"},
      {"20260131T020000Z", "monthly 2026-01"},
      {"20260228T020000Z", "monthly 2026-02"},
      {"20260331T020000Z", "monthly 2026-03"},
      {"20260430T020000Z", "monthly 2026-04"},
      {"20260531T020000Z", "monthly 2026-05"},
      {"20260630T020000Z", "monthly 2026-06"},
      {"20260731T020000Z", "monthly 2026-07"},
      {"20260831T020000Z", "monthly 2026-08"},
      {"20260930T020000Z", "monthly 2026-09"},
      {"20261026T020000Z", "monthly 2026-10"},
      // yearly (3)
      {"20231231T020000Z", "yearly 2023"},
      {"20241231T020000Z", "yearly 2024"},
      {"20251126T020000Z", "yearly 2025"},
  };
  REQUIRE(expected.size() == 46);

  const RetentionPlan plan = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
  CHECK(kept_text(plan) == expected_text(expected));
  CHECK(count_kind(plan, ReasonKind::daily) == 31);
  CHECK(count_kind(plan, ReasonKind::monthly) == 12);
  CHECK(count_kind(plan, ReasonKind::yearly) == 3);
  CHECK(count_kind(plan, ReasonKind::expired) == 1100 - 46);
  CHECK(count_kind(plan, ReasonKind::newest) == 0);  // the newest is daily
  CHECK(count_kind(plan, ReasonKind::min_keep) == 0);
  CHECK(date_text(plan.bands.daily_from) == "2026-10-27");
  CHECK(date_text(plan.bands.monthly_after) == "2025-11-26");
  CHECK(date_text(plan.bands.yearly_after) == "2016-11-26");
}

TEST_CASE("calendar months and years clamp to the last day of a shorter target month") {
  struct Row {
    year_month_day from;
    int months_back;
    year_month_day expected;
  };
  const Row month_rows[] = {
      {ymd(2026, 3, 31), 1, ymd(2026, 2, 28)},  // clamp, common year
      {ymd(2026, 3, 30), 1, ymd(2026, 2, 28)},  // clamp
      {ymd(2026, 3, 29), 1, ymd(2026, 2, 28)},  // clamp
      {ymd(2026, 3, 28), 1, ymd(2026, 2, 28)},  // exact
      {ymd(2028, 3, 31), 1, ymd(2028, 2, 29)},  // clamp, leap year
      {ymd(2026, 5, 31), 1, ymd(2026, 4, 30)},  // clamp to a 30-day month
      {ymd(2026, 5, 31), 3, ymd(2026, 2, 28)},  // several months at once: clamp once
      {ymd(2026, 7, 31), 1, ymd(2026, 6, 30)},
      {ymd(2026, 8, 31), 1, ymd(2026, 7, 31)},   // July has 31 days: no clamp
      {ymd(2026, 1, 15), 1, ymd(2025, 12, 15)},  // across a year
      {ymd(2026, 11, 26), 12, ymd(2025, 11, 26)},
      {ymd(2029, 2, 28), 12, ymd(2028, 2, 28)},  // a year back is not "end of February"
      {ymd(2029, 3, 1), 12, ymd(2028, 3, 1)},
      {ymd(2028, 2, 29), 12, ymd(2027, 2, 28)},  // 29 Feb to a common year: clamp
      {ymd(2026, 11, 26), 0, ymd(2026, 11, 26)},
      {ymd(2026, 12, 31), 121, ymd(2016, 11, 30)},
  };
  for (const Row& row : month_rows) {
    CAPTURE(date_text(row.from));
    CAPTURE(row.months_back);
    CHECK(date_text(minus_months(row.from, months{row.months_back})) == date_text(row.expected));
  }
  const Row year_rows[] = {
      {ymd(2028, 2, 29), 1, ymd(2027, 2, 28)},  // clamp
      {ymd(2028, 2, 29), 4, ymd(2024, 2, 29)},  // leap to leap: no clamp
      {ymd(2036, 2, 29), 10, ymd(2026, 2, 28)}, {ymd(2026, 11, 26), 10, ymd(2016, 11, 26)},
      {ymd(2026, 3, 31), 10, ymd(2016, 3, 31)}, {ymd(2026, 3, 31), 0, ymd(2026, 3, 31)},
  };
  for (const Row& row : year_rows) {
    CAPTURE(date_text(row.from));
    CAPTURE(row.months_back);
    CHECK(date_text(minus_years(row.from, years{row.months_back})) == date_text(row.expected));
  }
}

TEST_CASE("the month boundary never goes backwards as today moves forward") {
  // Monotonic bounds are what make "a set that left a band never comes back" true.
  for (int back : {1, 3, 6, 12, 13, 120}) {
    sys_days previous{};
    for (sys_days day{ymd(2027, 1, 1)}; day < sys_days{ymd(2029, 1, 1)}; day += days{1}) {
      const sys_days bound{minus_months(year_month_day{day}, months{back})};
      CAPTURE(date_text(day));
      CAPTURE(back);
      REQUIRE(bound >= previous);
      REQUIRE(bound < day);
      previous = bound;
    }
  }
}

TEST_CASE("daily band: a set exactly daily_days old is kept, one day older is not") {
  // today 2026-11-26, D = 30: daily_from = 2026-10-27. Tiers above daily are off
  // (0 months: empty band, 0 years: empty band) and min_keep is 0 so only the bound decides.
  const RetentionPolicy policy{
      .daily_days = 30, .monthly_months = 0, .yearly_years = 0, .min_keep = 0};
  const std::vector<BackupSet> sets = {
      complete_set(at(ymd(2026, 11, 26), 2)),           // today
      complete_set(at(ymd(2026, 10, 27), 0, 0, 0)),     // 30 days old, first second
      complete_set(at(ymd(2026, 10, 27), 23, 59, 59)),  // 30 days old, last second
      complete_set(at(ymd(2026, 10, 26), 23, 59, 59)),  // 31 days old, one second earlier
      complete_set(at(ymd(2026, 10, 26), 0, 0, 0)),     // 31 days old
  };
  const auto reasons = reasons_by_id(plan_or_fail(sets, policy, ymd(2026, 11, 26)));
  CHECK(reasons.at("20261126T020000Z") == "daily");
  CHECK(reasons.at("20261027T000000Z") == "daily");
  CHECK(reasons.at("20261027T235959Z") == "daily");
  CHECK(reasons.at("20261026T235959Z") == "expired");
  CHECK(reasons.at("20261026T000000Z") == "expired");
}

TEST_CASE("monthly band: a set exactly monthly_months old is outside it (strict bound)") {
  // today 2026-11-26, M = 12: monthly_after = 2025-11-26; the band starts on 2025-11-27.
  const std::vector<BackupSet> sets = {
      complete_set(at(ymd(2026, 11, 26), 2)),
      complete_set(at(ymd(2025, 11, 27), 0, 0, 0)),     // first second inside the band
      complete_set(at(ymd(2025, 11, 26), 23, 59, 59)),  // one second before: exactly 12 months
  };
  SUBCASE("without a yearly tier the set on the bound is deleted") {
    const RetentionPolicy policy{
        .daily_days = 30, .monthly_months = 12, .yearly_years = 0, .min_keep = 0};
    const auto reasons = reasons_by_id(plan_or_fail(sets, policy, ymd(2026, 11, 26)));
    CHECK(reasons.at("20251127T000000Z") == "monthly 2025-11");
    CHECK(reasons.at("20251126T235959Z") == "expired");
  }
  SUBCASE("alone in its month, the set on the bound is still deleted") {
    // today 2026-11-30: monthly_after = 2025-11-30. 2025-11-30 23:59:59 is on the bound and
    // the only November set; one second later is December, inside the band.
    const RetentionPolicy policy{
        .daily_days = 30, .monthly_months = 12, .yearly_years = 0, .min_keep = 0};
    const std::vector<BackupSet> month_end = {
        complete_set(at(ymd(2026, 11, 30), 2)),
        complete_set(at(ymd(2025, 12, 1), 0, 0, 0)),
        complete_set(at(ymd(2025, 11, 30), 23, 59, 59)),
    };
    const auto reasons = reasons_by_id(plan_or_fail(month_end, policy, ymd(2026, 11, 30)));
    CHECK(reasons.at("20251201T000000Z") == "monthly 2025-12");
    CHECK(reasons.at("20251130T235959Z") == "expired");
  }
  SUBCASE("with a yearly tier the set on the bound is the year's representative") {
    // Same month, but the set on the bound belongs to the yearly band, where it is the
    // newest of 2025: a month split by the bound is represented once in each band.
    const RetentionPolicy policy{
        .daily_days = 30, .monthly_months = 12, .yearly_years = 10, .min_keep = 0};
    const auto reasons = reasons_by_id(plan_or_fail(sets, policy, ymd(2026, 11, 26)));
    CHECK(reasons.at("20251127T000000Z") == "monthly 2025-11");
    CHECK(reasons.at("20251126T235959Z") == "yearly 2025");
  }
}

TEST_CASE("yearly band: a set exactly yearly_years old is deleted (strict bound)") {
  const RetentionPolicy policy{
      .daily_days = 30, .monthly_months = 12, .yearly_years = 10, .min_keep = 0};
  SUBCASE("today 2026-11-26: yearly_after = 2016-11-26") {
    const std::vector<BackupSet> sets = {
        complete_set(at(ymd(2026, 11, 26), 2)),
        complete_set(at(ymd(2016, 11, 27), 0, 0, 0)),
        complete_set(at(ymd(2016, 11, 26), 23, 59, 59)),
    };
    const auto reasons = reasons_by_id(plan_or_fail(sets, policy, ymd(2026, 11, 26)));
    CHECK(reasons.at("20161127T000000Z") == "yearly 2016");
    CHECK(reasons.at("20161126T235959Z") == "expired");
  }
  SUBCASE("today 2026-12-31: the set on the bound is alone in its year and still deleted") {
    // yearly_after = 2016-12-31: 2016-12-31 23:59:59 is on the bound; one second later
    // is 2017, inside the band. Different years, so no newer set of its own year can be
    // what deletes the one on the bound.
    const std::vector<BackupSet> sets = {
        complete_set(at(ymd(2026, 12, 31), 2)),
        complete_set(at(ymd(2017, 1, 1), 0, 0, 0)),
        complete_set(at(ymd(2016, 12, 31), 23, 59, 59)),
    };
    const auto reasons = reasons_by_id(plan_or_fail(sets, policy, ymd(2026, 12, 31)));
    CHECK(reasons.at("20170101T000000Z") == "yearly 2017");
    CHECK(reasons.at("20161231T235959Z") == "expired");
  }
}

TEST_CASE("month ends: one month before 31 March is the last day of February") {
  // D = 0 keeps only today as daily; M = 1 makes the monthly band
  // (today - 1 month, today), with the clamp deciding its first day.
  const RetentionPolicy policy{
      .daily_days = 0, .monthly_months = 1, .yearly_years = 0, .min_keep = 0};
  SUBCASE("common year: 2026-03-31 - 1 month = 2026-02-28, the band is 1-30 March") {
    const std::vector<BackupSet> sets = {
        complete_set(at(ymd(2026, 3, 31), 2)),
        complete_set(at(ymd(2026, 3, 1), 0, 0, 0)),
        complete_set(at(ymd(2026, 2, 28), 23, 59, 59)),
    };
    const RetentionPlan plan = plan_or_fail(sets, policy, ymd(2026, 3, 31));
    CHECK(date_text(plan.bands.monthly_after) == "2026-02-28");
    const auto reasons = reasons_by_id(plan);
    CHECK(reasons.at("20260331T020000Z") == "daily");
    CHECK(reasons.at("20260301T000000Z") == "monthly 2026-03");
    CHECK(reasons.at("20260228T235959Z") == "expired");
  }
  SUBCASE("leap year: 2028-03-31 - 1 month = 2028-02-29, which is on the bound") {
    const std::vector<BackupSet> sets = {
        complete_set(at(ymd(2028, 3, 31), 2)),
        complete_set(at(ymd(2028, 3, 1), 0, 0, 0)),
        complete_set(at(ymd(2028, 2, 29), 23, 59, 59)),
    };
    const RetentionPlan plan = plan_or_fail(sets, policy, ymd(2028, 3, 31));
    CHECK(date_text(plan.bands.monthly_after) == "2028-02-29");
    const auto reasons = reasons_by_id(plan);
    CHECK(reasons.at("20280301T000000Z") == "monthly 2028-03");
    CHECK(reasons.at("20280229T235959Z") == "expired");
  }
}

TEST_CASE("month ends: on 31 May a one-month band starts on 1 May, not on 1 or 3 May of overflow") {
  // D = 7: daily_from = 2026-05-24; M = 1: 2026-05-31 - 1 month = 2026-04-31 -> 2026-04-30.
  // Monthly band: 2026-05-01 .. 2026-05-23; its newest is 05-23 23:59:59.
  const RetentionPolicy policy{
      .daily_days = 7, .monthly_months = 1, .yearly_years = 0, .min_keep = 0};
  const std::vector<BackupSet> sets = {
      complete_set(at(ymd(2026, 5, 31), 2)),
      complete_set(at(ymd(2026, 5, 24), 0, 0, 0)),     // daily bound
      complete_set(at(ymd(2026, 5, 23), 23, 59, 59)),  // newest of May in the band
      complete_set(at(ymd(2026, 5, 1), 0, 0, 0)),      // in the band, superseded
      complete_set(at(ymd(2026, 4, 30), 23, 59, 59)),  // on the monthly bound
  };
  const RetentionPlan plan = plan_or_fail(sets, policy, ymd(2026, 5, 31));
  CHECK(date_text(plan.bands.daily_from) == "2026-05-24");
  CHECK(date_text(plan.bands.monthly_after) == "2026-04-30");
  const auto reasons = reasons_by_id(plan);
  CHECK(reasons.at("20260531T020000Z") == "daily");
  CHECK(reasons.at("20260524T000000Z") == "daily");
  CHECK(reasons.at("20260523T235959Z") == "monthly 2026-05");
  CHECK(reasons.at("20260501T000000Z") == "expired");
  CHECK(reasons.at("20260430T235959Z") == "expired");

  SUBCASE("three months back from 31 May is 28 February") {
    const RetentionPolicy three{
        .daily_days = 0, .monthly_months = 3, .yearly_years = 0, .min_keep = 0};
    const std::vector<BackupSet> more = {complete_set(at(ymd(2026, 5, 31), 2)),
                                         complete_set(at(ymd(2026, 3, 1), 0, 0, 0)),
                                         complete_set(at(ymd(2026, 2, 28), 23, 59, 59))};
    const auto r = reasons_by_id(plan_or_fail(more, three, ymd(2026, 5, 31)));
    CHECK(r.at("20260301T000000Z") == "monthly 2026-03");
    CHECK(r.at("20260228T235959Z") == "expired");
  }
}

TEST_CASE("leap day: 2028-02-29 is monthly on 2029-02-28 and yearly on 2029-03-01") {
  // Defaults but min_keep 0 (so that min-keep cannot hide a deletion). On 2029-02-28: monthly_after
  // = 2028-02-28, so 02-29 is in the monthly band (newest of 2028-02 there) and 02-28 is in the
  // yearly band (newest of 2028 there). On 2029-03-01: monthly_after = 2028-03-01, both are in the
  // yearly band and only the newer, 02-29, represents 2028.
  const RetentionPolicy policy{
      .daily_days = 30, .monthly_months = 12, .yearly_years = 10, .min_keep = 0};
  const std::vector<BackupSet> history = {
      complete_set(at(ymd(2028, 2, 28), 23, 59, 59)),
      complete_set(at(ymd(2028, 2, 29), 0, 0, 0)),
  };
  SUBCASE("on 2029-02-28") {
    std::vector<BackupSet> sets = history;
    sets.push_back(complete_set(at(ymd(2029, 2, 28), 2)));
    const RetentionPlan plan = plan_or_fail(sets, policy, ymd(2029, 2, 28));
    CHECK(date_text(plan.bands.monthly_after) == "2028-02-28");
    const auto reasons = reasons_by_id(plan);
    CHECK(reasons.at("20280229T000000Z") == "monthly 2028-02");
    CHECK(reasons.at("20280228T235959Z") == "yearly 2028");
  }
  SUBCASE("on 2029-03-01") {
    std::vector<BackupSet> sets = history;
    sets.push_back(complete_set(at(ymd(2029, 3, 1), 2)));
    const RetentionPlan plan = plan_or_fail(sets, policy, ymd(2029, 3, 1));
    CHECK(date_text(plan.bands.monthly_after) == "2028-03-01");
    const auto reasons = reasons_by_id(plan);
    CHECK(reasons.at("20280229T000000Z") == "yearly 2028");
    CHECK(reasons.at("20280228T235959Z") == "expired");
  }
}

TEST_CASE("leap day at the yearly bound: ten years before 2038-02-28 is 2028-02-28") {
  const RetentionPolicy policy{
      .daily_days = 30, .monthly_months = 12, .yearly_years = 10, .min_keep = 0};
  const std::vector<BackupSet> old_sets = {
      complete_set(at(ymd(2028, 2, 28), 23, 59, 59)),
      complete_set(at(ymd(2028, 2, 29), 0, 0, 0)),
  };
  SUBCASE("2038-02-28: 02-28 is on the bound, 02-29 inside") {
    std::vector<BackupSet> sets = old_sets;
    sets.push_back(complete_set(at(ymd(2038, 2, 28), 2)));
    const auto reasons = reasons_by_id(plan_or_fail(sets, policy, ymd(2038, 2, 28)));
    CHECK(reasons.at("20280229T000000Z") == "yearly 2028");
    CHECK(reasons.at("20280228T235959Z") == "expired");
  }
  SUBCASE("2038-03-01: the bound is 2028-03-01 and both are expired") {
    std::vector<BackupSet> sets = old_sets;
    sets.push_back(complete_set(at(ymd(2038, 3, 1), 2)));
    const auto reasons = reasons_by_id(plan_or_fail(sets, policy, ymd(2038, 3, 1)));
    CHECK(reasons.at("20280229T000000Z") == "expired");
    CHECK(reasons.at("20280228T235959Z") == "expired");
  }
  SUBCASE("2032-02-29 with 4 years: the bound is 2028-02-29 itself") {
    const RetentionPolicy four{
        .daily_days = 30, .monthly_months = 12, .yearly_years = 4, .min_keep = 0};
    std::vector<BackupSet> sets = old_sets;
    sets.push_back(complete_set(at(ymd(2028, 3, 1), 0, 0, 0)));
    sets.push_back(complete_set(at(ymd(2032, 2, 29), 2)));
    const RetentionPlan plan = plan_or_fail(sets, four, ymd(2032, 2, 29));
    CHECK(date_text(plan.bands.yearly_after) == "2028-02-29");
    const auto reasons = reasons_by_id(plan);
    CHECK(reasons.at("20280301T000000Z") == "yearly 2028");
    CHECK(reasons.at("20280229T000000Z") == "expired");
  }
}

TEST_CASE(
    "gaps: a month or a year without sets has no representative, neighbours do not stand in") {
  // Defaults, today 2026-11-26 (monthly band 2025-11-27 .. 2026-10-26). Daily sets from
  // 2026-01-01 except all of March and June. Months present in the band: 01, 02, 04, 05,
  // 07, 08, 09, 10 -> 8 monthly sets, each the last day of its month (10-26 for October).
  // 2026-04-01, the set nearest to the March gap, is not kept for it.
  // Older: 2019 and 2021 have sets, 2020 none -> yearly 2019 and 2021 only.
  std::vector<BackupSet> sets;
  for (const BackupSet& set : daily_sets(ymd(2026, 1, 1), ymd(2026, 11, 26))) {
    const auto month = year_month_day{floor<days>(set.start_time)}.month();
    if (month != March && month != June) sets.push_back(set);
  }
  for (auto date : {ymd(2019, 3, 10), ymd(2019, 12, 30), ymd(2021, 1, 1), ymd(2021, 6, 30)})
    sets.push_back(complete_set(at(date, 2)));

  const RetentionPlan plan = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
  std::map<std::string, std::string> expected_tiers = {
      {"20260131T020000Z", "monthly 2026-01"}, {"20260228T020000Z", "monthly 2026-02"},
      {"20260430T020000Z", "monthly 2026-04"}, {"20260531T020000Z", "monthly 2026-05"},
      {"20260731T020000Z", "monthly 2026-07"}, {"20260831T020000Z", "monthly 2026-08"},
      {"20260930T020000Z", "monthly 2026-09"}, {"20261026T020000Z", "monthly 2026-10"},
      {"20191230T020000Z", "yearly 2019"},     {"20210630T020000Z", "yearly 2021"},
  };
  std::map<std::string, std::string> kept_tiers;
  for (const Decision& decision : plan.decisions)
    if (decision.reason.kind == ReasonKind::monthly || decision.reason.kind == ReasonKind::yearly)
      kept_tiers[decision.id] = to_string(decision.reason);
  CHECK(expected_text(kept_tiers) == expected_text(expected_tiers));
  const auto reasons = reasons_by_id(plan);
  CHECK(reasons.at("20260401T020000Z") == "expired");
  CHECK(reasons.at("20260701T020000Z") == "expired");
  CHECK(reasons.at("20210101T020000Z") == "expired");
  CHECK(reasons.at("20190310T020000Z") == "expired");
  CHECK(count_kind(plan, ReasonKind::daily) == 31);
}

TEST_CASE("several sets a day: daily keeps them all, monthly and yearly only the newest") {
  const std::vector<BackupSet> sets = {
      complete_set(at(ymd(2026, 11, 20), 1)),          complete_set(at(ymd(2026, 11, 20), 2)),
      complete_set(at(ymd(2026, 11, 20), 23, 59, 59)), complete_set(at(ymd(2026, 6, 15), 2)),
      complete_set(at(ymd(2026, 6, 30), 0, 0, 0)),     complete_set(at(ymd(2026, 6, 30), 12)),
      complete_set(at(ymd(2026, 6, 30), 23, 59, 59)),  complete_set(at(ymd(2024, 12, 31), 1)),
      complete_set(at(ymd(2024, 12, 31), 2)),          complete_set(at(ymd(2024, 12, 31), 3)),
  };
  const RetentionPlan plan = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
  const std::map<std::string, std::string> expected = {
      {"20261120T010000Z", "daily"},       {"20261120T020000Z", "daily"},
      {"20261120T235959Z", "daily"},       {"20260630T235959Z", "monthly 2026-06"},
      {"20241231T030000Z", "yearly 2024"},
  };
  CHECK(kept_text(plan) == expected_text(expected));
}

TEST_CASE("equal start times: the larger id counts as the newer") {
  // Canonical ids make this impossible (equal times give equal ids, which are refused),
  // but the order must still be total so that a plan never depends on the input order.
  const sys_seconds t = at(ymd(2026, 6, 30), 2);
  const std::vector<BackupSet> sets = {{"b", t, true}, {"a", t, true}, {"c", t, true}};
  const RetentionPolicy policy{
      .daily_days = 30, .monthly_months = 12, .yearly_years = 0, .min_keep = 0};
  const auto reasons = reasons_by_id(plan_or_fail(sets, policy, ymd(2026, 11, 26)));
  CHECK(reasons.at("c") == "monthly 2026-06");
  CHECK(reasons.at("b") == "expired");
  CHECK(reasons.at("a") == "expired");
}

TEST_CASE("an empty catalog gives an empty plan") {
  const RetentionPlan plan = plan_or_fail({}, RetentionPolicy{}, ymd(2026, 11, 26));
  CHECK(plan.decisions.empty());
  CHECK(date_text(plan.bands.daily_from) == "2026-10-27");
}

TEST_CASE("only incomplete sets: young ones kept, older ones deleted, no newest or min-keep") {
  const std::vector<BackupSet> sets = {
      incomplete_set(at(ymd(2026, 11, 26), 2)),
      incomplete_set(at(ymd(2026, 10, 27), 0, 0, 0)),     // on the daily bound: young
      incomplete_set(at(ymd(2026, 10, 26), 23, 59, 59)),  // one second older: expired
      incomplete_set(at(ymd(2020, 1, 1), 2)),
  };
  const RetentionPlan plan = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
  const std::map<std::string, std::string> expected = {
      {"20261126T020000Z", "incomplete-young"},
      {"20261027T000000Z", "incomplete-young"},
      {"20261026T235959Z", "incomplete-expired"},
      {"20200101T020000Z", "incomplete-expired"},
  };
  CHECK(expected_text(reasons_by_id(plan)) == expected_text(expected));
}

TEST_CASE("incomplete sets count neither as the newest set nor towards min-keep") {
  // Complete: four sets in 2010, all older than the yearly band (2016-11-26). Incomplete:
  // two young ones (newer than everything) and one from 2012 (newer than the complete
  // ones). min_keep 3 is met with complete sets only: 2010-04-01 newest, 03-01 and
  // 02-01 min-keep; the 2012 incomplete set is deleted although it is newer.
  const std::vector<BackupSet> sets = {
      complete_set(at(ymd(2010, 1, 1), 2)),     complete_set(at(ymd(2010, 2, 1), 2)),
      complete_set(at(ymd(2010, 3, 1), 2)),     complete_set(at(ymd(2010, 4, 1), 2)),
      incomplete_set(at(ymd(2026, 11, 26), 2)), incomplete_set(at(ymd(2026, 11, 25), 2)),
      incomplete_set(at(ymd(2012, 6, 1), 2)),
  };
  const RetentionPlan plan = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
  const std::map<std::string, std::string> expected = {
      {"20100101T020000Z", "expired"},
      {"20100201T020000Z", "min-keep"},
      {"20100301T020000Z", "min-keep"},
      {"20100401T020000Z", "newest"},
      {"20261126T020000Z", "incomplete-young"},
      {"20261125T020000Z", "incomplete-young"},
      {"20120601T020000Z", "incomplete-expired"},
  };
  CHECK(expected_text(reasons_by_id(plan)) == expected_text(expected));
}

TEST_CASE("min-keep when every set is expired keeps the newest ones, the newest says newest") {
  std::vector<BackupSet> sets;  // 1 January 2001 .. 2010, all older than 2016-11-26
  for (int y = 2001; y <= 2010; ++y) sets.push_back(complete_set(at(ymd(y, 1, 1), 2)));

  SUBCASE("min_keep 3") {
    const RetentionPlan plan = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
    const std::map<std::string, std::string> expected = {{"20100101T020000Z", "newest"},
                                                         {"20090101T020000Z", "min-keep"},
                                                         {"20080101T020000Z", "min-keep"}};
    CHECK(kept_text(plan) == expected_text(expected));
    CHECK(count_kind(plan, ReasonKind::expired) == 7);
  }
  SUBCASE("min_keep 0 still keeps the newest") {
    const RetentionPolicy policy{
        .daily_days = 30, .monthly_months = 12, .yearly_years = 10, .min_keep = 0};
    const RetentionPlan plan = plan_or_fail(sets, policy, ymd(2026, 11, 26));
    CHECK(kept_text(plan) == "20100101T020000Z=newest");
  }
  SUBCASE("min_keep above the catalog size keeps everything") {
    const RetentionPolicy policy{
        .daily_days = 30, .monthly_months = 12, .yearly_years = 10, .min_keep = 50};
    const RetentionPlan plan = plan_or_fail(sets, policy, ymd(2026, 11, 26));
    CHECK(count_kind(plan, ReasonKind::newest) == 1);
    CHECK(count_kind(plan, ReasonKind::min_keep) == 9);
    CHECK(count_kind(plan, ReasonKind::expired) == 0);
  }
}

TEST_CASE("min-keep counts the sets the tiers keep and tops up with the newest deleted ones") {
  // today (daily) and 2026-06-30 (monthly) are kept by tiers: 2 of 3. The newest set not
  // kept is 2026-06-10 (superseded in June), newer than the expired ones, so it is the one
  // min-keep adds; with min_keep 4 the newer of the expired, 2000-01-01, follows.
  const std::vector<BackupSet> sets = {
      complete_set(at(ymd(2026, 11, 26), 2)), complete_set(at(ymd(2026, 6, 30), 2)),
      complete_set(at(ymd(2026, 6, 10), 2)),  complete_set(at(ymd(2000, 1, 1), 2)),
      complete_set(at(ymd(1999, 1, 1), 2)),
  };
  SUBCASE("min_keep 3") {
    const auto reasons = reasons_by_id(plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26)));
    CHECK(reasons.at("20261126T020000Z") == "daily");
    CHECK(reasons.at("20260630T020000Z") == "monthly 2026-06");
    CHECK(reasons.at("20260610T020000Z") == "min-keep");
    CHECK(reasons.at("20000101T020000Z") == "expired");
    CHECK(reasons.at("19990101T020000Z") == "expired");
  }
  SUBCASE("min_keep 4") {
    const RetentionPolicy policy{
        .daily_days = 30, .monthly_months = 12, .yearly_years = 10, .min_keep = 4};
    const auto reasons = reasons_by_id(plan_or_fail(sets, policy, ymd(2026, 11, 26)));
    CHECK(reasons.at("20260610T020000Z") == "min-keep");
    CHECK(reasons.at("20000101T020000Z") == "min-keep");
    CHECK(reasons.at("19990101T020000Z") == "expired");
  }
}

TEST_CASE("non-default policies, on one set a day from 2018-01-01 to 2026-11-26") {
  const std::vector<BackupSet> sets = daily_sets(ymd(2018, 1, 1), ymd(2026, 11, 26));
  const auto today = ymd(2026, 11, 26);

  SUBCASE("7/0/0/0: the 8 dates 2026-11-19 .. 11-26, nothing else") {
    const RetentionPlan plan = plan_or_fail(sets, {7, 0, 0, 0}, today);
    std::map<std::string, std::string> expected;
    for (int d = 19; d <= 26; ++d) expected["202611" + std::to_string(d) + "T020000Z"] = "daily";
    CHECK(kept_text(plan) == expected_text(expected));
  }
  SUBCASE("0/6/0/0: today, and the 7 months present in 2026-05-27 .. 2026-11-25") {
    // daily_from = today; monthly_after = 2026-05-26. The band holds the end of May and
    // the start of November as well as June..October: 7 months, for a "6 months" policy.
    const RetentionPlan plan = plan_or_fail(sets, {0, 6, 0, 0}, today);
    const std::map<std::string, std::string> expected = {
        {"20261126T020000Z", "daily"},           {"20260531T020000Z", "monthly 2026-05"},
        {"20260630T020000Z", "monthly 2026-06"}, {"20260731T020000Z", "monthly 2026-07"},
        {"20260831T020000Z", "monthly 2026-08"}, {"20260930T020000Z", "monthly 2026-09"},
        {"20261031T020000Z", "monthly 2026-10"}, {"20261125T020000Z", "monthly 2026-11"},
    };
    CHECK(kept_text(plan) == expected_text(expected));
  }
  SUBCASE("0/0/5/0: today, and the newest of each year in 2021-11-27 .. 2026-11-25") {
    // monthly_after = today (empty band); yearly_after = 2021-11-26.
    const RetentionPlan plan = plan_or_fail(sets, {0, 0, 5, 0}, today);
    const std::map<std::string, std::string> expected = {
        {"20261126T020000Z", "daily"},       {"20211231T020000Z", "yearly 2021"},
        {"20221231T020000Z", "yearly 2022"}, {"20231231T020000Z", "yearly 2023"},
        {"20241231T020000Z", "yearly 2024"}, {"20251231T020000Z", "yearly 2025"},
        {"20261125T020000Z", "yearly 2026"},
    };
    CHECK(kept_text(plan) == expected_text(expected));
  }
  SUBCASE("0/0/0/1: only today's set, which is daily (0 days still means today)") {
    const RetentionPlan plan = plan_or_fail(sets, {0, 0, 0, 1}, today);
    CHECK(kept_text(plan) == "20261126T020000Z=daily");
  }
  SUBCASE("3/2/1/0: 4 daily, 3 monthly, 2 yearly") {
    // daily_from 2026-11-23; monthly_after 2026-09-26: band 09-27 .. 11-22;
    // yearly_after 2025-11-26: band 2025-11-27 .. 2026-09-26.
    const RetentionPlan plan = plan_or_fail(sets, {3, 2, 1, 0}, today);
    const std::map<std::string, std::string> expected = {
        {"20261123T020000Z", "daily"},           {"20261124T020000Z", "daily"},
        {"20261125T020000Z", "daily"},           {"20261126T020000Z", "daily"},
        {"20260930T020000Z", "monthly 2026-09"}, {"20261031T020000Z", "monthly 2026-10"},
        {"20261122T020000Z", "monthly 2026-11"}, {"20251231T020000Z", "yearly 2025"},
        {"20260926T020000Z", "yearly 2026"},
    };
    CHECK(kept_text(plan) == expected_text(expected));
  }
  SUBCASE("400/12/10/3: a daily band longer than the monthly one leaves no monthly band") {
    // daily_from = 2026-11-26 - 400 days = 2025-10-22 (365 days to 2025-11-26, 35 more:
    // 26 to 2025-10-31, 9 to 10-22): 401 daily sets. monthly_after (2025-11-26) is newer
    // than daily_from, so the monthly band is empty. Yearly band: 2018-01-01 .. 2025-10-21.
    const RetentionPlan plan = plan_or_fail(sets, {400, 12, 10, 3}, today);
    CHECK(date_text(plan.bands.daily_from) == "2025-10-22");
    CHECK(count_kind(plan, ReasonKind::daily) == 401);
    CHECK(count_kind(plan, ReasonKind::monthly) == 0);
    std::map<std::string, std::string> yearly;
    for (const Decision& decision : plan.decisions)
      if (decision.reason.kind == ReasonKind::yearly)
        yearly[decision.id] = to_string(decision.reason);
    const std::map<std::string, std::string> expected = {
        {"20181231T020000Z", "yearly 2018"}, {"20191231T020000Z", "yearly 2019"},
        {"20201231T020000Z", "yearly 2020"}, {"20211231T020000Z", "yearly 2021"},
        {"20221231T020000Z", "yearly 2022"}, {"20231231T020000Z", "yearly 2023"},
        {"20241231T020000Z", "yearly 2024"}, {"20251021T020000Z", "yearly 2025"},
    };
    CHECK(expected_text(yearly) == expected_text(expected));
  }
}

TEST_CASE("sets dated after today (a skewed clock) are daily, whatever daily_days is") {
  const std::vector<BackupSet> sets = {complete_set(at(ymd(2026, 11, 27), 1)),
                                       complete_set(at(ymd(2026, 11, 26), 2)),
                                       complete_set(at(ymd(2026, 11, 25), 2))};
  const auto reasons = reasons_by_id(plan_or_fail(sets, {0, 1, 0, 0}, ymd(2026, 11, 26)));
  CHECK(reasons.at("20261127T010000Z") == "daily");
  CHECK(reasons.at("20261126T020000Z") == "daily");
  CHECK(reasons.at("20261125T020000Z") == "monthly 2026-11");
}

TEST_CASE("the run's own backup failed: nothing is deleted and tier reasons are unchanged") {
  std::vector<BackupSet> sets = daily_sets(ymd(2023, 11, 23), ymd(2026, 11, 26));
  sets.push_back(incomplete_set(at(ymd(2026, 11, 26), 3)));  // this run's aborted set
  sets.push_back(incomplete_set(at(ymd(2025, 1, 1), 3)));    // an old leftover
  const RetentionPlan normal = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
  const RetentionPlan failed =
      plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26), OwnBackup::failed);
  int held = 0;
  for (std::size_t i = 0; i < sets.size(); ++i) {
    CAPTURE(sets[i].id);
    CHECK(failed.decisions[i].keep());
    if (normal.decisions[i].keep()) {
      CHECK(failed.decisions[i].reason == normal.decisions[i].reason);
    } else {
      CHECK(failed.decisions[i].reason.kind == ReasonKind::run_failed);
      ++held;
    }
  }
  CHECK(held == 1100 - 46 + 1);  // the expired sets of the reference case and the leftover
  CHECK(to_string(failed.decisions.back().reason) == "run-failed");
}

// ---- Per stream (SPEC §5 "applied per stream"; issue 7) ----------------------------------
// Three full daily sets at the top of each catalog below keep min-keep (3) out of the way,
// so each case shows the tiers alone unless it is about min-keep.
std::vector<BackupSet> with_recent_full_sets(std::vector<BackupSet> sets) {
  for (unsigned d : {24u, 25u, 26u}) sets.push_back(complete_set(at(ymd(2026, 11, d), 2)));
  return sets;
}

TEST_CASE("per stream: a month with a full set and a later docs-only set keeps both") {
  // today 2026-11-26, defaults: March 2026 is in the monthly band (2025-11-27 .. 2026-10-26).
  // db sets of March: only 03-20, so it is db's representative; docs sets of March: 03-20
  // and 03-28, the newer one represents docs. Without per-stream rules 03-28 (the newest
  // set of the month) would be the only survivor and March would lose its database dump.
  const auto sets = with_recent_full_sets({
      complete_set(at(ymd(2026, 3, 20), 2)),
      docs_only_set(at(ymd(2026, 3, 28), 2)),
  });
  const RetentionPlan plan = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
  const auto reasons = testing::stream_reasons_by_id(plan);
  CHECK(reasons.at("20260320T020000Z") == "monthly 2026-03 | db: monthly 2026-03, docs: expired");
  CHECK(reasons.at("20260328T020000Z") == "monthly 2026-03 | docs: monthly 2026-03");
  CHECK(reasons.at("20261126T020000Z") == "daily | db: daily, docs: daily");
  CHECK(count_kind(plan, ReasonKind::expired) == 0);
}

TEST_CASE("per stream: full, docs-only, full in one month keeps only the last full set") {
  // The last full set (03-28) is the newest of March for both streams.
  const auto sets = with_recent_full_sets({
      complete_set(at(ymd(2026, 3, 10), 2)),
      docs_only_set(at(ymd(2026, 3, 20), 2)),
      complete_set(at(ymd(2026, 3, 28), 2)),
  });
  const RetentionPlan plan = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
  const auto reasons = testing::stream_reasons_by_id(plan);
  CHECK(reasons.at("20260310T020000Z") == "expired | db: expired, docs: expired");
  CHECK(reasons.at("20260320T020000Z") == "expired | docs: expired");
  CHECK(reasons.at("20260328T020000Z") ==
        "monthly 2026-03 | db: monthly 2026-03, docs: monthly 2026-03");
  CHECK(count_kind(plan, ReasonKind::expired) == 2);
}

TEST_CASE("per stream: a year keeps its newest db dump and its newest docs archive") {
  // 2020 lies in the yearly band (2016-11-27 .. 2025-11-26). The newest set of 2020 is a
  // docs-only run; the db dump of 2020 survives in the newest set holding one (06-30), and
  // the db-only run of 2019 represents 2019 for db while 2019-12-31 represents docs.
  const auto sets = with_recent_full_sets({
      complete_set(at(ymd(2019, 12, 31), 2)),
      db_only_set(at(ymd(2019, 12, 31), 5)),
      complete_set(at(ymd(2020, 1, 31), 2)),
      complete_set(at(ymd(2020, 6, 30), 2)),
      docs_only_set(at(ymd(2020, 12, 31), 2)),
  });
  const RetentionPlan plan = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
  const auto reasons = testing::stream_reasons_by_id(plan);
  CHECK(reasons.at("20191231T020000Z") == "yearly 2019 | db: expired, docs: yearly 2019");
  CHECK(reasons.at("20191231T050000Z") == "yearly 2019 | db: yearly 2019");
  CHECK(reasons.at("20200131T020000Z") == "expired | db: expired, docs: expired");
  CHECK(reasons.at("20200630T020000Z") == "yearly 2020 | db: yearly 2020, docs: expired");
  CHECK(reasons.at("20201231T020000Z") == "yearly 2020 | docs: yearly 2020");
}

TEST_CASE("per stream: a docs-only set in the daily band is daily for docs and has no db reason") {
  const std::vector<BackupSet> sets = {docs_only_set(at(ymd(2026, 11, 26), 2)),
                                       db_only_set(at(ymd(2026, 11, 25), 2))};
  const RetentionPlan plan = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
  REQUIRE(plan.decisions[0].reason.kind == ReasonKind::daily);
  CHECK_FALSE(plan.decisions[0].db.has_value());
  REQUIRE(plan.decisions[0].docs.has_value());
  CHECK(plan.decisions[0].docs->kind == ReasonKind::daily);
  CHECK(plan.decisions[1].db->kind == ReasonKind::daily);
  CHECK_FALSE(plan.decisions[1].docs.has_value());
  CHECK(stream_reasons_text(plan.decisions[0]) == "docs: daily");
}

TEST_CASE("per stream: each stream's newest complete set is never deleted") {
  // Every set is older than the yearly band (2016-11-26) and min_keep is 0: only rule 4
  // keeps anything. The newest set is a docs-only run (2010), but the newest db dump is in
  // the full set of 2005, which later docs-only runs must not cost.
  std::vector<BackupSet> sets;
  for (int y = 2001; y <= 2005; ++y) sets.push_back(complete_set(at(ymd(y, 1, 1), 2)));
  for (int y = 2006; y <= 2010; ++y) sets.push_back(docs_only_set(at(ymd(y, 1, 1), 2)));
  const RetentionPolicy policy{
      .daily_days = 30, .monthly_months = 12, .yearly_years = 10, .min_keep = 0};
  const RetentionPlan plan = plan_or_fail(sets, policy, ymd(2026, 11, 26));
  CHECK(kept_text(plan) == "20050101T020000Z=newest 20100101T020000Z=newest");
  const auto reasons = testing::stream_reasons_by_id(plan);
  CHECK(reasons.at("20050101T020000Z") == "newest | db: newest, docs: expired");
  CHECK(reasons.at("20100101T020000Z") == "newest | docs: newest");
}

TEST_CASE("per stream: min-keep holds for each stream on its own sets") {
  // Same catalog, min_keep 3. db sets: 2001..2005 (full): 2005 newest, 2004 and 2003
  // min-keep. docs sets: 2001..2010: 2010 newest, 2009 and 2008 min-keep. A single floor
  // over all sets would have kept only 2010, 2009, 2008, and no db dump at all but 2005.
  std::vector<BackupSet> sets;
  for (int y = 2001; y <= 2005; ++y) sets.push_back(complete_set(at(ymd(y, 1, 1), 2)));
  for (int y = 2006; y <= 2010; ++y) sets.push_back(docs_only_set(at(ymd(y, 1, 1), 2)));
  const RetentionPlan plan = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
  const std::map<std::string, std::string> expected = {
      {"20030101T020000Z", "min-keep"}, {"20040101T020000Z", "min-keep"},
      {"20050101T020000Z", "newest"},   {"20080101T020000Z", "min-keep"},
      {"20090101T020000Z", "min-keep"}, {"20100101T020000Z", "newest"},
  };
  CHECK(kept_text(plan) == expected_text(expected));
  const auto reasons = testing::stream_reasons_by_id(plan);
  CHECK(reasons.at("20040101T020000Z") == "min-keep | db: min-keep, docs: expired");
  CHECK(reasons.at("20070101T020000Z") == "expired | docs: expired");

  SUBCASE("each floor counts the sets its own stream keeps") {
    // Two daily sets added: a full one (kept by both streams) and a docs-only one. db
    // keeps 1 by tiers, so its floor adds 2005 and 2004; docs keeps 2, so its floor adds
    // only 2010.
    std::vector<BackupSet> more = sets;
    more.push_back(docs_only_set(at(ymd(2026, 11, 25), 2)));
    more.push_back(complete_set(at(ymd(2026, 11, 26), 2)));
    const auto r =
        testing::stream_reasons_by_id(plan_or_fail(more, RetentionPolicy{}, ymd(2026, 11, 26)));
    CHECK(r.at("20261126T020000Z") == "daily | db: daily, docs: daily");
    CHECK(r.at("20050101T020000Z") == "min-keep | db: min-keep, docs: expired");
    CHECK(r.at("20040101T020000Z") == "min-keep | db: min-keep, docs: expired");
    CHECK(r.at("20030101T020000Z") == "expired | db: expired, docs: expired");
    CHECK(r.at("20100101T020000Z") == "min-keep | docs: min-keep");
    CHECK(r.at("20090101T020000Z") == "expired | docs: expired");
  }
}

TEST_CASE("per stream: with only full sets both streams agree with the overall reason") {
  // The reference case's 1100 full sets: every decision names the same reason three times,
  // which is why the per-stream plan keeps exactly the 46 sets of the single-stream plan.
  std::vector<BackupSet> sets = daily_sets(ymd(2023, 11, 23), ymd(2026, 11, 26));
  const RetentionPlan plan = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
  int kept = 0;
  for (const Decision& decision : plan.decisions) {
    CAPTURE(decision.id);
    REQUIRE(decision.db.has_value());
    REQUIRE(decision.docs.has_value());
    CHECK(*decision.db == decision.reason);
    CHECK(*decision.docs == decision.reason);
    kept += decision.keep();
  }
  CHECK(kept == 46);
}

TEST_CASE("per stream: incomplete sets have no stream reasons; a failed run keeps them") {
  const std::vector<BackupSet> sets = {
      incomplete_set(at(ymd(2026, 11, 26), 2)), docs_only_set(at(ymd(2026, 3, 20), 2)),
      docs_only_set(at(ymd(2026, 3, 28), 2)), complete_set(at(ymd(2026, 11, 25), 2))};
  const RetentionPolicy policy{
      .daily_days = 30, .monthly_months = 12, .yearly_years = 10, .min_keep = 0};
  const RetentionPlan plan = plan_or_fail(sets, policy, ymd(2026, 11, 26), OwnBackup::failed);
  const auto reasons = testing::stream_reasons_by_id(plan);
  CHECK(reasons.at("20261126T020000Z") == "incomplete-young | ");
  CHECK(reasons.at("20260320T020000Z") == "run-failed | docs: expired");
  CHECK(reasons.at("20260328T020000Z") == "monthly 2026-03 | docs: monthly 2026-03");
}

TEST_CASE("a set that holds no stream is incomplete, whatever else it says") {
  // What used to be refused as "a complete set holding no stream" is, since sets are
  // described by the streams they hold, simply an incomplete one.
  std::vector<BackupSet> sets = {complete_set(at(ymd(2026, 11, 26), 2)),
                                 complete_set(at(ymd(2026, 1, 5), 2))};
  for (BackupSet& set : sets) set.streams = StreamSet{};
  const auto reasons =
      testing::stream_reasons_by_id(plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26)));
  CHECK(reasons.at("20261126T020000Z") == "incomplete-young | ");
  CHECK(reasons.at("20260105T020000Z") == "incomplete-expired | ");
}

// ---- Partial sets (SPEC §5 rule 5; issue 17) ---------------------------------------------
// A partial set holds the stream that committed; that stream's tiers decide for it like
// for any other set holding it. The catalogs below are one set a day at 02:00 from
// 2025-11-01 to 2026-11-26 (today, defaults: daily from 2026-10-27, monthly band
// 2025-11-27 .. 2026-10-26, yearly band up to 2025-11-26).
std::vector<BackupSet> year_with_failing_weeks(sys_days first_failed, sys_days last_failed,
                                               Stream committed, bool leftovers = false) {
  std::vector<BackupSet> sets;
  for (sys_days day = sys_days{ymd(2025, 11, 1)}; day <= sys_days{ymd(2026, 11, 26)};
       day += days{1}) {
    const bool failed = day >= first_failed && day <= last_failed;
    sets.push_back(failed ? partial_set(day + hours{2}, committed, leftovers)
                          : complete_set(day + hours{2}));
  }
  return sets;
}

TEST_CASE("partial sets: six weeks of unreadable documents keep their db dumps by the db tiers") {
  // docs failed every night from 2026-08-20 to 2026-09-30 (the worked example of
  // retention_plan.h). db: August's newest dump is 08-31, September's 09-30, both in
  // partial sets; docs: August's newest archive is 08-19, September has none. Before
  // issue 17 the partial sets were incomplete-expired: September lost every db dump.
  const auto sets =
      year_with_failing_weeks(sys_days{ymd(2026, 8, 20)}, sys_days{ymd(2026, 9, 30)}, Stream::db);
  const RetentionPlan plan = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
  const auto reasons = testing::stream_reasons_by_id(plan);
  CHECK(reasons.at("20260819T020000Z") == "monthly 2026-08 | db: expired, docs: monthly 2026-08");
  CHECK(reasons.at("20260831T020000Z") == "monthly 2026-08 | db: monthly 2026-08");
  CHECK(reasons.at("20260930T020000Z") == "monthly 2026-09 | db: monthly 2026-09");
  CHECK(reasons.at("20260929T020000Z") == "expired | db: expired");
  CHECK(reasons.at("20260901T020000Z") == "expired | db: expired");
  CHECK(reasons.at("20261026T020000Z") ==
        "monthly 2026-10 | db: monthly 2026-10, docs: monthly 2026-10");
  // 31 daily; monthly 2025-11 .. 2026-07 (9), 08-19, 08-31, 09-30, 10-26; yearly 2025-11-26.
  const std::map<std::string, std::string> monthly_and_yearly = {
      {"20251126T020000Z", "yearly 2025"},     {"20251130T020000Z", "monthly 2025-11"},
      {"20251231T020000Z", "monthly 2025-12"}, {"20260131T020000Z", "monthly 2026-01"},
      {"20260228T020000Z", "monthly 2026-02"}, {"20260331T020000Z", "monthly 2026-03"},
      {"20260430T020000Z", "monthly 2026-04"}, {"20260531T020000Z", "monthly 2026-05"},
      {"20260630T020000Z", "monthly 2026-06"}, {"20260731T020000Z", "monthly 2026-07"},
      {"20260819T020000Z", "monthly 2026-08"}, {"20260831T020000Z", "monthly 2026-08"},
      {"20260930T020000Z", "monthly 2026-09"}, {"20261026T020000Z", "monthly 2026-10"}};
  std::map<std::string, std::string> kept_below_daily;
  for (const Decision& decision : plan.decisions)
    if (decision.keep() && decision.reason.kind != ReasonKind::daily)
      kept_below_daily[decision.id] = to_string(decision.reason);
  CHECK(expected_text(kept_below_daily) == expected_text(monthly_and_yearly));
  CHECK(count_kind(plan, ReasonKind::daily) == 31);
  CHECK(count_kind(plan, ReasonKind::incomplete_expired) == 0);
}

TEST_CASE("partial sets: the reverse, weeks of failed dumps keep their docs archives") {
  // The db failed from 2026-08-20 to 2026-09-30: the same sets are kept, each for docs,
  // while August's db dump is kept in 08-19.
  const auto sets =
      year_with_failing_weeks(sys_days{ymd(2026, 8, 20)}, sys_days{ymd(2026, 9, 30)}, Stream::docs);
  const auto reasons =
      testing::stream_reasons_by_id(plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26)));
  CHECK(reasons.at("20260819T020000Z") == "monthly 2026-08 | db: monthly 2026-08, docs: expired");
  CHECK(reasons.at("20260831T020000Z") == "monthly 2026-08 | docs: monthly 2026-08");
  CHECK(reasons.at("20260930T020000Z") == "monthly 2026-09 | docs: monthly 2026-09");
  CHECK(reasons.at("20260915T020000Z") == "expired | docs: expired");
}

TEST_CASE("partial sets: in the daily band they are daily; each stream's newest may be one") {
  // The documents failed for the last ten days: those sets are daily for db. The newest
  // docs archive is 2026-11-16's, which is daily too. With a tiny policy (0/0/0/1) only
  // rules 4 and 5 keep anything: db's newest is the partial set of today, docs' newest the
  // full set of 2026-11-16; nothing else survives.
  const auto sets =
      year_with_failing_weeks(sys_days{ymd(2026, 11, 17)}, sys_days{ymd(2026, 11, 26)}, Stream::db);
  const auto reasons =
      testing::stream_reasons_by_id(plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26)));
  CHECK(reasons.at("20261126T020000Z") == "daily | db: daily");
  CHECK(reasons.at("20261116T020000Z") == "daily | db: daily, docs: daily");
  const RetentionPlan tiny = plan_or_fail(sets, {0, 0, 0, 1}, ymd(2026, 11, 26));
  CHECK(kept_text(tiny) == "20261116T020000Z=newest 20261126T020000Z=daily");
  const auto tiny_reasons = testing::stream_reasons_by_id(tiny);
  CHECK(tiny_reasons.at("20261116T020000Z") == "newest | db: expired, docs: newest");
}

TEST_CASE("partial sets: min-keep counts each stream's own sets, partial ones included") {
  // 0/0/0/3, every set far older than any band. db committed in all five sets; docs in the
  // two full ones only. db keeps its three newest (2004 newest, 2003 and 2002 min-keep);
  // docs keeps both of its sets (2001 newest for docs, 2000 min-keep).
  const std::vector<BackupSet> sets = {complete_set(at(ymd(2000, 1, 1), 2)),
                                       complete_set(at(ymd(2001, 1, 1), 2)),
                                       partial_set(at(ymd(2002, 1, 1), 2), Stream::db),
                                       partial_set(at(ymd(2003, 1, 1), 2), Stream::db),
                                       partial_set(at(ymd(2004, 1, 1), 2), Stream::db)};
  const auto reasons =
      testing::stream_reasons_by_id(plan_or_fail(sets, {0, 0, 0, 3}, ymd(2026, 11, 26)));
  CHECK(reasons.at("20040101T020000Z") == "newest | db: newest");
  CHECK(reasons.at("20030101T020000Z") == "min-keep | db: min-keep");
  CHECK(reasons.at("20020101T020000Z") == "min-keep | db: min-keep");
  CHECK(reasons.at("20010101T020000Z") == "newest | db: expired, docs: newest");
  CHECK(reasons.at("20000101T020000Z") == "min-keep | db: expired, docs: min-keep");
}

TEST_CASE("leftovers: a kept set's uncommitted objects expire after the daily band") {
  // Partial sets whose failed docs upload is still in the bucket. 2026-09-30 is kept as db
  // monthly 2026-09: its dump and manifest stay, the docs object is an expired leftover.
  // 2026-11-20 is daily: its leftover is young, kept for inspection. 2026-09-15 is deleted
  // whole (db expired): no separate leftovers decision.
  const auto sets = year_with_failing_weeks(sys_days{ymd(2026, 8, 20)}, sys_days{ymd(2026, 9, 30)},
                                            Stream::db, true);
  std::vector<BackupSet> with_young = sets;
  with_young.push_back(partial_set(at(ymd(2026, 11, 20), 5), Stream::db, true));
  const RetentionPlan plan = plan_or_fail(with_young, RetentionPolicy{}, ymd(2026, 11, 26));
  const auto reasons = testing::stream_reasons_by_id(plan);
  CHECK(reasons.at("20260930T020000Z") ==
        "monthly 2026-09 | db: monthly 2026-09, leftovers: incomplete-expired");
  CHECK(reasons.at("20261120T050000Z") == "daily | db: daily, leftovers: incomplete-young");
  CHECK(reasons.at("20260915T020000Z") == "expired | db: expired");
  int deleting_leftovers = 0;
  for (const Decision& decision : plan.decisions) {
    CAPTURE(decision.id);
    deleting_leftovers += decision.deletes_leftovers();
    if (decision.id == "20260930T020000Z") CHECK(decision.deletes_leftovers());
    if (decision.id == "20261120T050000Z") CHECK_FALSE(decision.deletes_leftovers());
    if (decision.id == "20260915T020000Z") CHECK_FALSE(decision.leftovers.has_value());
  }
  CHECK(deleting_leftovers == 2);  // 08-31 and 09-30: the kept partial sets below daily

  // A failed run deletes nothing: not even leftovers.
  const RetentionPlan failed =
      plan_or_fail(with_young, RetentionPolicy{}, ymd(2026, 11, 26), OwnBackup::failed);
  for (const Decision& decision : failed.decisions) {
    CAPTURE(decision.id);
    CHECK(decision.keep());
    CHECK_FALSE(decision.deletes_leftovers());
  }
  CHECK(testing::stream_reasons_by_id(failed).at("20260930T020000Z") ==
        "monthly 2026-09 | db: monthly 2026-09, leftovers: run-failed");
}

TEST_CASE("unreadable sets are always kept and count for no stream") {
  // Every set older than the yearly band, min_keep 0: only rule 4 keeps a set that holds a
  // stream. The unreadable set of 2006 is the newest set, but holds nothing: 2005 is the
  // newest for both streams. The unreadable one is kept anyway, and so is the old one of
  // 1999: neither is ever deleted.
  std::vector<BackupSet> sets;
  for (int y = 2001; y <= 2005; ++y) sets.push_back(complete_set(at(ymd(y, 1, 1), 2)));
  sets.push_back(unreadable_set(at(ymd(2006, 1, 1), 2)));
  sets.push_back(unreadable_set(at(ymd(1999, 1, 1), 2)));
  sets.back().leftovers = true;  // not read for an unreadable set
  const RetentionPolicy policy{
      .daily_days = 30, .monthly_months = 12, .yearly_years = 10, .min_keep = 0};
  const RetentionPlan plan = plan_or_fail(sets, policy, ymd(2026, 11, 26));
  CHECK(kept_text(plan) ==
        "19990101T020000Z=unreadable 20050101T020000Z=newest 20060101T020000Z=unreadable");
  const auto reasons = testing::stream_reasons_by_id(plan);
  CHECK(reasons.at("20060101T020000Z") == "unreadable | ");
  CHECK(reasons.at("19990101T020000Z") == "unreadable | ");
  // In the daily band too: unreadable, not daily.
  const std::vector<BackupSet> young = {unreadable_set(at(ymd(2026, 11, 26), 2)),
                                        complete_set(at(ymd(2026, 11, 25), 2))};
  CHECK(kept_text(plan_or_fail(young, RetentionPolicy{}, ymd(2026, 11, 26))) ==
        "20261125T020000Z=daily 20261126T020000Z=unreadable");
}

TEST_CASE("decisions are index-aligned and do not depend on the order of the input") {
  std::vector<BackupSet> sets = daily_sets(ymd(2023, 11, 23), ymd(2026, 11, 26));
  sets.push_back(incomplete_set(at(ymd(2026, 11, 1), 3)));
  const auto sorted_reasons =
      reasons_by_id(plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26)));
  std::mt19937 shuffle_rng(20261126);
  for (int round = 0; round < 3; ++round) {
    std::shuffle(sets.begin(), sets.end(), shuffle_rng);
    const RetentionPlan plan = plan_or_fail(sets, RetentionPolicy{}, ymd(2026, 11, 26));
    for (std::size_t i = 0; i < sets.size(); ++i) {
      REQUIRE(plan.decisions[i].id == sets[i].id);
      REQUIRE(to_string(plan.decisions[i].reason) == sorted_reasons.at(sets[i].id));
    }
  }
}

TEST_CASE("a policy that keeps no history, or has a negative field, is a config error") {
  struct Row {
    RetentionPolicy policy;
    const char* names;  // the variable the message must name
  };
  const Row refused[] = {
      {{0, 0, 0, 0}, "RETENTION_MIN_KEEP"},
      {{-1, 12, 10, 3}, "RETENTION_DAILY_DAYS=-1"},
      {{30, -1, 10, 3}, "RETENTION_MONTHLY_MONTHS=-1"},
      {{30, 12, -5, 3}, "RETENTION_YEARLY_YEARS=-5"},
      {{30, 12, 10, -1}, "RETENTION_MIN_KEEP=-1"},
      {{kMaxDailyDays + 1, 12, 10, 3}, "RETENTION_DAILY_DAYS"},
      {{30, kMaxMonthlyMonths + 1, 10, 3}, "RETENTION_MONTHLY_MONTHS"},
      {{30, 12, kMaxYearlyYears + 1, 3}, "RETENTION_YEARLY_YEARS"},
  };
  const std::vector<BackupSet> sets = {complete_set(at(ymd(2026, 11, 26), 2))};
  for (const Row& row : refused) {
    CAPTURE(row.names);
    CHECK_FALSE(validate_policy(row.policy).has_value());
    auto plan = plan_retention(sets, row.policy, ymd(2026, 11, 26), OwnBackup::succeeded);
    REQUIRE_FALSE(plan.has_value());
    CHECK(plan.error().kind == ErrorKind::config);
    CHECK(plan.error().message.find(row.names) != std::string::npos);
    CHECK(plan.error().message.find("hint: ") != std::string::npos);
  }
  // Each of these keeps something by itself, so it is accepted.
  const RetentionPolicy accepted[] = {{0, 0, 0, 1},
                                      {1, 0, 0, 0},
                                      {0, 1, 0, 0},
                                      {0, 0, 1, 0},
                                      {kMaxDailyDays, kMaxMonthlyMonths, kMaxYearlyYears, 3}};
  for (const RetentionPolicy& policy : accepted) {
    CHECK(validate_policy(policy).has_value());
    CHECK(plan_retention(sets, policy, ymd(2026, 11, 26), OwnBackup::succeeded).has_value());
  }
}

TEST_CASE("a today that is not a calendar date, or a duplicated id, is refused") {
  const std::vector<BackupSet> sets = {complete_set(at(ymd(2026, 11, 26), 2))};
  auto bad_today = plan_retention(sets, RetentionPolicy{}, ymd(2026, 2, 30), OwnBackup::succeeded);
  REQUIRE_FALSE(bad_today.has_value());
  CHECK(bad_today.error().kind == ErrorKind::permanent);

  const std::vector<BackupSet> twice = {complete_set(at(ymd(2026, 11, 20), 2)),
                                        complete_set(at(ymd(2026, 11, 26), 2)),
                                        incomplete_set(at(ymd(2026, 11, 20), 2))};
  auto duplicated =
      plan_retention(twice, RetentionPolicy{}, ymd(2026, 11, 26), OwnBackup::succeeded);
  REQUIRE_FALSE(duplicated.has_value());
  CHECK(duplicated.error().kind == ErrorKind::corrupt);
  CHECK(duplicated.error().message.find("20261120T020000Z") != std::string::npos);
}

TEST_CASE("every reason has its label, and monthly and yearly name their period") {
  struct Row {
    Reason reason;
    const char* text;
    bool keeps;
  };
  const Row rows[] = {
      {{ReasonKind::daily}, "daily", true},
      {{ReasonKind::monthly, year{2026}, month{3}}, "monthly 2026-03", true},
      {{ReasonKind::yearly, year{2025}}, "yearly 2025", true},
      {{ReasonKind::newest}, "newest", true},
      {{ReasonKind::min_keep}, "min-keep", true},
      {{ReasonKind::incomplete_young}, "incomplete-young", true},
      {{ReasonKind::unreadable}, "unreadable", true},
      {{ReasonKind::run_failed}, "run-failed", true},
      {{ReasonKind::expired}, "expired", false},
      {{ReasonKind::incomplete_expired}, "incomplete-expired", false},
  };
  for (const Row& row : rows) {
    CHECK(to_string(row.reason) == row.text);
    CHECK(keeps(row.reason.kind) == row.keeps);
    CHECK(Decision{"x", row.reason}.keep() == row.keeps);
  }
}

}  // namespace
}  // namespace erp::retention
