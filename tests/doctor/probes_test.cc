// The pure judgements of the probes (doctor/probes.h, doctor/reply_log.h). The probes themselves
// run against real stores in tests/integration/test_doctor.py.
#include "doctor/probes.h"

#include <doctest/doctest.h>

using namespace erp::doctor;
using namespace std::chrono_literals;

namespace {

// 2026-12-07 16:53:46 UTC.
const auto kNow = std::chrono::sys_days{std::chrono::year{2026} / 12 / 7} + 16h + 53min + 46s;

Reply dated(std::string date, std::vector<erp::http::Header> more = {}) {
  Reply reply{.method = "GET", .url = "http://s3/bucket?list-type=2", .status = 200};
  reply.headers = {{"Date", std::move(date)}};
  for (auto& header : more) reply.headers.push_back(std::move(header));
  return reply;
}

}  // namespace

TEST_CASE("clock_skew reads the first reply's Date header against now") {
  CHECK(clock_skew({dated("Mon, 07 Dec 2026 16:53:46 GMT")}, kNow) == 0s);
  CHECK(clock_skew({dated("Mon, 07 Dec 2026 16:55:46 GMT")}, kNow) == 120s);
  CHECK(clock_skew({dated("Mon, 07 Dec 2026 16:43:46 GMT")}, kNow) == -600s);
  CHECK(clock_skew(
            {Reply{.status = 200}, dated("not a date"), dated("Mon, 07 Dec 2026 16:53:50 GMT")},
            kNow) == 4s);
  CHECK_FALSE(clock_skew({}, kNow).has_value());
}

TEST_CASE("region_clock: ok when the store agrees, saying how far apart the clocks are") {
  const Check check = judge_region_clock("us-east-1", std::nullopt, std::nullopt,
                                         {dated("Mon, 07 Dec 2026 16:53:48 GMT")}, kNow);
  CHECK(check.id == CheckId::region_clock);
  CHECK(check.result == CheckResult::ok);
  CHECK(check.detail == "region us-east-1 accepted; clocks 2 s apart (Date header)");
  CHECK(judge_region_clock("auto", std::nullopt, std::nullopt, {}, kNow).detail ==
        "region auto accepted; no Date header to compare clocks with");
}

TEST_CASE("region_clock: a region the store named is degraded, with the setting to change") {
  const Check corrected =
      judge_region_clock("us-east-1", std::nullopt, "eu-west-3", {dated("x")}, kNow);
  CHECK(corrected.result == CheckResult::degraded);
  CHECK(corrected.fix == "set AWS_REGION=eu-west-3");

  const Check named = judge_region_clock(
      "us-east-1", std::nullopt, std::nullopt,
      {dated("Mon, 07 Dec 2026 16:53:46 GMT", {{"x-amz-bucket-region", "eu-central-1"}})}, kNow);
  CHECK(named.result == CheckResult::degraded);
  CHECK(named.fix == "set AWS_REGION=eu-central-1");
  // The configured region named back is no news.
  CHECK(judge_region_clock(
            "eu-central-1", std::nullopt, std::nullopt,
            {dated("Mon, 07 Dec 2026 16:53:46 GMT", {{"x-amz-bucket-region", "eu-central-1"}})},
            kNow)
            .result == CheckResult::ok);
}

TEST_CASE("region_clock: a corrected or distant clock is degraded, naming NTP") {
  const Check corrected = judge_region_clock("us-east-1", 1200s, std::nullopt, {}, kNow);
  CHECK(corrected.result == CheckResult::degraded);
  CHECK(corrected.detail.find("1200 s") != std::string::npos);
  CHECK(corrected.fix.find("NTP") != std::string::npos);

  for (const char* date : {"Mon, 07 Dec 2026 16:54:47 GMT", "Mon, 07 Dec 2026 16:52:45 GMT"}) {
    CAPTURE(date);
    const Check far =
        judge_region_clock("us-east-1", std::nullopt, std::nullopt, {dated(date)}, kNow);
    CHECK(far.result == CheckResult::degraded);
    CHECK(far.fix.find("NTP") != std::string::npos);
  }
  // Exactly the tolerance is still ok.
  CHECK(judge_region_clock("us-east-1", std::nullopt, std::nullopt,
                           {dated("Mon, 07 Dec 2026 16:54:46 GMT")}, kNow)
            .result == CheckResult::ok);
}

TEST_CASE("batch_delete_refused: only a DeleteObjects the store did not implement") {
  const Reply gcs{.method = "POST",
                  .url = "http://s3/bucket?delete",
                  .status = 501,
                  .error_code = "NotImplemented"};
  CHECK(batch_delete_refused({gcs}));
  Reply allowed = gcs;
  allowed.status = 405;
  allowed.error_code = "MethodNotAllowed";
  CHECK(batch_delete_refused({allowed}));
  Reply worked = gcs;
  worked.status = 200;
  worked.error_code.clear();
  CHECK_FALSE(batch_delete_refused({worked}));
  Reply denied = gcs;
  denied.status = 403;
  denied.error_code = "AccessDenied";
  CHECK_FALSE(batch_delete_refused({denied}));
  Reply not_a_batch = gcs;
  not_a_batch.url = "http://s3/bucket/key?uploads";
  CHECK_FALSE(batch_delete_refused({not_a_batch}));
  CHECK_FALSE(batch_delete_refused({}));
}

TEST_CASE("has_query_parameter finds bare and valued parameters by name only") {
  CHECK(has_query_parameter("http://h/b?delete", "delete"));
  CHECK(has_query_parameter("http://h/b/k?partNumber=2&uploadId=x", "uploadId"));
  CHECK(has_query_parameter("http://h/b/k?uploadId=x", "uploadId"));
  CHECK_FALSE(has_query_parameter("http://h/b/k?uploads", "uploadId"));
  CHECK_FALSE(has_query_parameter("http://h/b/delete", "delete"));
  CHECK_FALSE(has_query_parameter("http://h/b?list-type=2&prefix=delete", "delete"));
}
