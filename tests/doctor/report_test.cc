#include "doctor/report.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <sstream>

using namespace erp::doctor;

namespace {

DoctorReport sample() {
  DoctorReport report{.bucket = "erp-backups",
                      .endpoint = "https://storage.googleapis.com",
                      .region = "auto",
                      .run_prefix = "erp/prod/.doctor/0123456789abcdef0123456789abcdef/",
                      .credentials_provider = "static keys (AWS_ACCESS_KEY_ID, ...)",
                      .store = {StoreKind::gcs, "x-guploader-uploadid: ABgVH8"}};
  report.checks = all_skipped();
  for (Check& check : report.checks) {
    check.result = CheckResult::ok;
    check.detail = std::string(spec_of(check.id).name) + " detail";
  }
  auto& deletes = *std::ranges::find(report.checks, CheckId::delete_objects, &Check::id);
  deletes = {CheckId::delete_objects, CheckResult::degraded, "NotImplemented: one DELETE per key",
             "none needed: the tool falls back"};
  auto& lock = *std::ranges::find(report.checks, CheckId::object_lock, &Check::id);
  lock = {CheckId::object_lock, CheckResult::failed, "AccessDenied", "grant the permission"};
  report.verdict = judge(report.checks);
  report.exit_code = report.verdict.exit_code();
  return report;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("the table: one line per check in report order, a fix under each not-ok one") {
  std::ostringstream out;
  print_table(out, sample());
  const auto text = lines(out.str());
  REQUIRE(text.size() > 20);
  CHECK(text[0] ==
        "erp-backup doctor: s3://erp-backups at https://storage.googleapis.com (region auto)");
  CHECK(text[1] ==
        "probe prefix erp/prod/.doctor/0123456789abcdef0123456789abcdef/ (removed afterwards)");
  CHECK(text[3].starts_with("CHECK              RESULT    DETAIL"));
  std::size_t row = 4;
  for (const CheckSpec& spec : check_specs()) {
    CAPTURE(spec.name);
    REQUIRE(row < text.size());
    CHECK(text[row].starts_with(std::string(spec.name)));
    if (spec.id == CheckId::delete_objects) {
      CHECK(text[row].find("degraded  NotImplemented: one DELETE per key") != std::string::npos);
      CHECK(text[++row].find("fix: none needed: the tool falls back") != std::string::npos);
    } else if (spec.id == CheckId::object_lock) {
      CHECK(text[row].find("failed    AccessDenied") != std::string::npos);
      CHECK(text[++row].find("fix: grant the permission") != std::string::npos);
    } else {
      CHECK(text[row].find("ok        " + std::string(spec.name) + " detail") != std::string::npos);
    }
    ++row;
  }
  CHECK(out.str().find("backup can run: yes (degraded: delete_objects)\n") != std::string::npos);
  CHECK(out.str().find("failed, not needed by a backup: object_lock\n") != std::string::npos);
}

TEST_CASE("the table says when a backup cannot run, and why, and when the run was stopped") {
  DoctorReport report = sample();
  std::ranges::find(report.checks, CheckId::bucket, &Check::id)->result = CheckResult::failed;
  std::ranges::find(report.checks, CheckId::put_object, &Check::id)->result = CheckResult::skipped;
  report.verdict = judge(report.checks);
  report.stopped_by_signal = SIGTERM;
  std::ostringstream out;
  print_table(out, report);
  CHECK(out.str().find("stopped by SIGTERM: the probes did not finish\n") != std::string::npos);
  CHECK(out.str().find("backup can run: NO (failed: bucket; not checked: put_object)\n") !=
        std::string::npos);
}

TEST_CASE("the JSON document carries every check with its spec, and the verdict") {
  const auto doc = report_json(sample());
  CHECK(doc["bucket"] == "erp-backups");
  CHECK(doc["run_prefix"] == "erp/prod/.doctor/0123456789abcdef0123456789abcdef/");
  CHECK(doc["store"]["kind"] == "gcs");
  CHECK(doc["store"]["name"] == "Google Cloud Storage (XML API)");
  CHECK(doc["store"]["evidence"] == "x-guploader-uploadid: ABgVH8");
  REQUIRE(doc["checks"].size() == check_specs().size());
  const auto& deletes = doc["checks"][10];
  CHECK(deletes["check"] == "delete_objects");
  CHECK(deletes["title"] == "DeleteObjects");
  CHECK(deletes["result"] == "degraded");
  CHECK(deletes["needed_for_backup"] == false);
  CHECK(deletes["fix"] == "none needed: the tool falls back");
  CHECK(doc["checks"][0]["needed_for_backup"] == true);
  CHECK(doc["backup_can_run"] == true);
  CHECK(doc["degraded"] == nlohmann::ordered_json::array({"delete_objects"}));
  CHECK(doc["failed"] == nlohmann::ordered_json::array({"object_lock"}));
  CHECK(doc["blocking"].empty());
  CHECK(doc["unchecked"].empty());
  CHECK(doc["stopped"] == false);
  CHECK(doc["exit_code"] == 0);
}
