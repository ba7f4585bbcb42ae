#include "catalog/backup_id.h"

#include <chrono>
#include <string>

#include <doctest/doctest.h>

#include "retention/retention_test_support.h"

namespace erp::catalog {
namespace {

using namespace std::chrono;
using retention::testing::at;
using retention::testing::ymd;

TEST_CASE("a backup id is the UTC start time to the second, YYYYMMDDTHHMMSSZ") {
  struct Row {
    const char* id;
    sys_seconds time;
  };
  const Row rows[] = {
      {"20261126T020000Z", at(ymd(2026, 11, 26), 2, 0, 0)},
      {"20261126T235959Z", at(ymd(2026, 11, 26), 23, 59, 59)},
      {"20270101T000000Z", at(ymd(2027, 1, 1), 0, 0, 0)},
      {"20280229T120000Z", at(ymd(2028, 2, 29), 12, 0, 0)},  // leap day
      {"19700101T000000Z", sys_seconds{}},
      {"00010203T040506Z", at(ymd(1, 2, 3), 4, 5, 6)},
      {"99991231T235959Z", at(ymd(9999, 12, 31), 23, 59, 59)},
  };
  for (const Row& row : rows) {
    CAPTURE(row.id);
    auto parsed = parse_backup_id(row.id);
    REQUIRE(parsed.has_value());
    CHECK(parsed->time_since_epoch().count() == row.time.time_since_epoch().count());
    CHECK(format_backup_id(row.time) == row.id);
  }
}

TEST_CASE("format and parse round-trip every second boundary of four years, leap day included") {
  // Every day of 2027-2030 (one leap year), at the first and last second of the day and
  // at an odd time, so that every month length, and 29 February, goes through both ways.
  int days_checked = 0;
  for (sys_days day = sys_days{ymd(2027, 1, 1)}; day < sys_days{ymd(2031, 1, 1)}; day += days{1}) {
    for (seconds offset : {seconds{0}, seconds{86399}, seconds{3723}}) {
      const sys_seconds time = day + offset;
      const std::string id = format_backup_id(time);
      CAPTURE(id);
      REQUIRE(id.size() == kBackupIdLength);
      auto parsed = parse_backup_id(id);
      REQUIRE(parsed.has_value());
      REQUIRE(*parsed == time);
    }
    ++days_checked;
  }
  CHECK(days_checked == 365 * 3 + 366);
}

TEST_CASE("ids sort as text in time order, so a listing sorted by key is sorted by time") {
  const sys_seconds times[] = {at(ymd(2026, 9, 30), 23, 59, 59), at(ymd(2026, 10, 1), 0, 0, 0),
                               at(ymd(2026, 10, 1), 0, 0, 1), at(ymd(2026, 10, 10), 2, 0, 0),
                               at(ymd(2027, 1, 1), 0, 0, 0)};
  for (std::size_t i = 1; i < std::size(times); ++i)
    CHECK(format_backup_id(times[i - 1]) < format_backup_id(times[i]));
}

TEST_CASE("anything but the exact id form is refused as corrupt, quoting the text") {
  const char* not_ids[] = {
      "",
      "20261126T020000",   // no Z
      "20261126T020000z",  // lower-case z
      "20261126t020000Z",  // lower-case t
      "20261126 020000Z",  // space instead of T
      "2026-11-26T02:00:00Z",
      "20261126T020000Z ",  // trailing space
      " 20261126T020000Z",  // leading space
      "20261126T020000ZZ",
      "20261126T020000.5Z",  // fraction
      "20261126T020000+0000",
      "2026112aT020000Z",  // not a digit
      "-0261126T020000Z",  // sign
      "+0261126T020000Z",
      "20261326T020000Z",  // month 13
      "20260026T020000Z",  // month 0
      "20261100T020000Z",  // day 0
      "20261131T020000Z",  // 31 November
      "20260229T020000Z",  // 29 February in a common year
      "21000229T020000Z",  // 2100 is not a leap year
      "20261126T240000Z",  // hour 24
      "20261126T026000Z",  // minute 60
      "20261126T020060Z",  // leap second: never made by the tool
      "manifests/20261126T020000Z.json",
      "last-success",
  };
  for (const char* text : not_ids) {
    CAPTURE(text);
    auto parsed = parse_backup_id(text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().kind == ErrorKind::corrupt);
    CHECK(parsed.error().message.find(std::string("\"") + text) != std::string::npos);
    CHECK(parsed.error().message.find("hint: ") != std::string::npos);
  }
}

TEST_CASE("a long non-id is quoted only in part") {
  const std::string long_name(1000, 'x');
  auto parsed = parse_backup_id(long_name);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().message.size() < 300);
}

TEST_CASE("years outside 0000-9999 format to text that parse refuses") {
  const sys_seconds far_future = sys_days{ymd(10000, 1, 1)};
  const sys_seconds before_year_zero = sys_days{ymd(-1, 12, 31)};
  CHECK_FALSE(parse_backup_id(format_backup_id(far_future)).has_value());
  CHECK_FALSE(parse_backup_id(format_backup_id(before_year_zero)).has_value());
}

}  // namespace
}  // namespace erp::catalog
