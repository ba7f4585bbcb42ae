#include "config/retention_config.h"

#include <charconv>

#include "config/problems.h"

namespace erp::config {
namespace {

void read_int(const Environment& env, std::string_view name, int high, std::string_view hint,
              int& value, Problems& problems) {
  const auto text = env.get(name);
  if (!text) return;
  int parsed = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), parsed);
  if (ec != std::errc() || ptr != text->data() + text->size() || parsed < 0 || parsed > high) {
    problems.add("malformed " + std::string(name) + " '" + *text + "' (hint: " + std::string(hint) +
                 ", 0 to " + std::to_string(high) + ")");
    return;
  }
  value = parsed;
}

}  // namespace

retention::RetentionPolicy load_retention_config(const Environment& env, Problems& problems) {
  retention::RetentionPolicy policy;
  Problems own;
  read_int(env, "RETENTION_DAILY_DAYS", retention::kMaxDailyDays, "days of daily sets, default 30",
           policy.daily_days, own);
  read_int(env, "RETENTION_MONTHLY_MONTHS", retention::kMaxMonthlyMonths,
           "months of monthly sets, default 12", policy.monthly_months, own);
  read_int(env, "RETENTION_YEARLY_YEARS", retention::kMaxYearlyYears,
           "years of yearly sets, default 10", policy.yearly_years, own);
  read_int(env, "RETENTION_MIN_KEEP", 1'000'000, "complete sets always kept, default 3",
           policy.min_keep, own);
  // A policy made of malformed values is not worth judging as a whole.
  if (own.empty()) {
    if (auto valid = retention::validate_policy(policy); !valid) own.add(valid.error().message);
  }
  problems.merge(own);
  return policy;
}

Result<retention::RetentionPolicy> load_retention_config(const Environment& env) {
  Problems problems;
  return unless_problems(load_retention_config(env, problems), problems);
}

}  // namespace erp::config
