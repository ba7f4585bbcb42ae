#include "doctor/verdict.h"

#include <doctest/doctest.h>

#include <algorithm>

using namespace erp::doctor;

namespace {

std::vector<Check> all(CheckResult result) {
  std::vector<Check> checks = all_skipped();
  for (Check& check : checks) check.result = result;
  return checks;
}

void set(std::vector<Check>& checks, CheckId id, CheckResult result) {
  std::ranges::find(checks, id, &Check::id)->result = result;
}

}  // namespace

TEST_CASE("every check ok: a backup can run, exit 0") {
  const Verdict verdict = judge(all(CheckResult::ok));
  CHECK(verdict.backup_can_run);
  CHECK(verdict.exit_code() == 0);
  CHECK(verdict.blocking.empty());
  CHECK(verdict.unchecked.empty());
  CHECK(verdict.degraded.empty());
  CHECK(verdict.failed.empty());
}

TEST_CASE("degraded checks still let a backup run, and are named in report order") {
  auto checks = all(CheckResult::ok);
  set(checks, CheckId::delete_objects, CheckResult::degraded);
  set(checks, CheckId::multipart, CheckResult::degraded);
  const Verdict verdict = judge(checks);
  CHECK(verdict.backup_can_run);
  CHECK(verdict.exit_code() == 0);
  CHECK(verdict.degraded == std::vector{CheckId::multipart, CheckId::delete_objects});
}

TEST_CASE("a failed check a backup needs is blocking: exit 1") {
  for (const CheckSpec& spec : check_specs()) {
    if (!spec.needed_for_backup) continue;
    CAPTURE(spec.name);
    auto checks = all(CheckResult::ok);
    set(checks, spec.id, CheckResult::failed);
    const Verdict verdict = judge(checks);
    CHECK_FALSE(verdict.backup_can_run);
    CHECK(verdict.exit_code() == 1);
    CHECK(verdict.blocking == std::vector{spec.id});
  }
}

TEST_CASE("a needed check never tried (skipped, or missing) is unchecked: exit 1") {
  auto checks = all(CheckResult::ok);
  set(checks, CheckId::conditional_put, CheckResult::skipped);
  Verdict verdict = judge(checks);
  CHECK_FALSE(verdict.backup_can_run);
  CHECK(verdict.unchecked == std::vector{CheckId::conditional_put});
  CHECK(verdict.blocking.empty());

  std::erase_if(checks, [](const Check& c) { return c.id == CheckId::get_range; });
  set(checks, CheckId::conditional_put, CheckResult::ok);
  verdict = judge(checks);
  CHECK_FALSE(verdict.backup_can_run);
  CHECK(verdict.unchecked == std::vector{CheckId::get_range});
  CHECK_FALSE(judge({}).backup_can_run);
}

TEST_CASE("failures of checks a backup does not need are named but keep exit 0") {
  auto checks = all(CheckResult::ok);
  for (const CheckSpec& spec : check_specs()) {
    if (!spec.needed_for_backup) set(checks, spec.id, CheckResult::failed);
  }
  const Verdict verdict = judge(checks);
  CHECK(verdict.backup_can_run);
  CHECK(verdict.exit_code() == 0);
  CHECK(verdict.failed.size() == 7);
  CHECK(verdict.failed.front() == CheckId::uploads);
  CHECK(verdict.failed.back() == CheckId::cleanup);
}

TEST_CASE("the checks a backup needs are the ones its run exercises") {
  std::vector<std::string_view> needed;
  for (const CheckSpec& spec : check_specs()) {
    if (spec.needed_for_backup) needed.push_back(spec.name);
  }
  CHECK(needed == std::vector<std::string_view>{"endpoint", "credentials", "region_clock", "bucket",
                                                "put_object", "list_pagination", "get_range",
                                                "multipart", "conditional_put"});
  CHECK(check_specs().size() == 16);
  CHECK(to_string(CheckResult::degraded) == "degraded");
}
