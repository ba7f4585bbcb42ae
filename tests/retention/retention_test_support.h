// Helpers shared by the retention tests: building sets from dates, and reading a plan
// back as text so that a failing check prints ids and reasons, not "{?}".
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "catalog/backup_id.h"
#include "retention/retention_plan.h"

namespace erp::retention::testing {

using catalog::format_backup_id;

inline std::chrono::year_month_day ymd(int y, unsigned m, unsigned d) {
  return std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d};
}

// The instant at hh:mm:ss UTC on `date`.
inline std::chrono::sys_seconds at(std::chrono::year_month_day date, int hh = 2, int mm = 0,
                                   int ss = 0) {
  return std::chrono::sys_days{date} + std::chrono::hours{hh} + std::chrono::minutes{mm} +
         std::chrono::seconds{ss};
}

inline BackupSet complete_set(std::chrono::sys_seconds start) {
  return BackupSet{.id = format_backup_id(start), .start_time = start};
}
// A set that holds no stream: no manifest, its objects leftovers.
inline BackupSet incomplete_set(std::chrono::sys_seconds start) {
  return BackupSet{
      .id = format_backup_id(start), .start_time = start, .streams = {}, .leftovers = true};
}
// A complete set of `backup --only db` / `--only docs`.
inline BackupSet db_only_set(std::chrono::sys_seconds start) {
  return BackupSet{
      .id = format_backup_id(start), .start_time = start, .streams = StreamSet::only(Stream::db)};
}
inline BackupSet docs_only_set(std::chrono::sys_seconds start) {
  return BackupSet{
      .id = format_backup_id(start), .start_time = start, .streams = StreamSet::only(Stream::docs)};
}
// A partial set: `held` committed, the other stream failed; with `leftovers` its failed
// upload is still in the bucket.
inline BackupSet partial_set(std::chrono::sys_seconds start, Stream held, bool leftovers = false) {
  return BackupSet{.id = format_backup_id(start),
                   .start_time = start,
                   .streams = StreamSet::only(held),
                   .leftovers = leftovers};
}
// A set whose manifest cannot be trusted (catalog::SetState::unreadable).
inline BackupSet unreadable_set(std::chrono::sys_seconds start) {
  return BackupSet{.id = format_backup_id(start), .start_time = start, .unreadable = true};
}

// "2026-11-26".
inline std::string date_text(std::chrono::year_month_day date) {
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}
inline std::string date_text(std::chrono::sys_days date) {
  return date_text(std::chrono::year_month_day{date});
}

inline std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : " ") + item;
  return text;
}

// The plan, or a failed test that shows the error.
inline RetentionPlan plan_or_fail(std::span<const BackupSet> sets, const RetentionPolicy& policy,
                                  std::chrono::year_month_day today,
                                  OwnBackup own = OwnBackup::succeeded) {
  auto plan = plan_retention(sets, policy, today, own);
  if (!plan) FAIL("plan_retention failed: " << plan.error().message);
  REQUIRE(plan->decisions.size() == sets.size());
  return *plan;
}

// id -> to_string(reason), for every set.
inline std::map<std::string, std::string> reasons_by_id(const RetentionPlan& plan) {
  std::map<std::string, std::string> reasons;
  for (const Decision& decision : plan.decisions) reasons[decision.id] = to_string(decision.reason);
  return reasons;
}

// "id=reason" words in id order for an expectation written as a map.
inline std::string expected_text(const std::map<std::string, std::string>& expected) {
  std::vector<std::string> words;
  for (const auto& [id, reason] : expected) words.push_back(id + "=" + reason);
  return join(words);
}

// The kept sets only, as "id=reason" words in id order (compare with expected_text).
inline std::string kept_text(const RetentionPlan& plan) {
  std::map<std::string, std::string> kept;
  for (const Decision& decision : plan.decisions)
    if (decision.keep()) kept[decision.id] = to_string(decision.reason);
  return expected_text(kept);
}

// id -> "overall | db: ..., docs: ..." for every set: the whole decision, per stream too.
inline std::map<std::string, std::string> stream_reasons_by_id(const RetentionPlan& plan) {
  std::map<std::string, std::string> reasons;
  for (const Decision& decision : plan.decisions)
    reasons[decision.id] = to_string(decision.reason) + " | " + stream_reasons_text(decision);
  return reasons;
}

// What a day-by-day simulation found wrong: a count per check, and the first few findings with
// their day for the failure message (one broken rule must not print thousands of lines).
struct Violations {
  std::map<std::string, int> counts;  // by check
  std::vector<std::string> first;     // "YYYY-MM-DD check: what", the first few

  void add(std::chrono::year_month_day day, const std::string& check, const std::string& what) {
    ++counts[check];
    if (first.size() < 8) first.push_back(date_text(day) + " " + check + ": " + what);
  }
  int count(const std::string& check) const {
    const auto it = counts.find(check);
    return it == counts.end() ? 0 : it->second;
  }
  int total() const {
    int n = 0;
    for (const auto& [check, count] : counts) n += count;
    return n;
  }
  // "N violations check=n ...", then the first findings, one a line.
  std::string report() const {
    std::string text = std::to_string(total()) + " violations";
    for (const auto& [check, count] : counts) text += " " + check + "=" + std::to_string(count);
    for (const std::string& line : first) text += "\n  " + line;
    return text;
  }
};

// Counts decisions whose reason has `kind`.
inline int count_kind(const RetentionPlan& plan, ReasonKind kind) {
  int n = 0;
  for (const Decision& decision : plan.decisions)
    if (decision.reason.kind == kind) ++n;
  return n;
}

}  // namespace erp::retention::testing
