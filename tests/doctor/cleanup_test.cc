#include "doctor/cleanup.h"

#include <doctest/doctest.h>

#include <chrono>

#include "fakes/fake_object_store.h"

using namespace erp;
using namespace erp::doctor;
using namespace std::chrono_literals;
using erp::testing::FakeObjectStore;
using Op = FakeObjectStore::Op;

namespace {

const std::string kRun = "erp/prod/.doctor/0123456789abcdef0123456789abcdef/";
const auto kInitiated = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};

}  // namespace

TEST_CASE("clean_up removes every key written and listed, and every upload, under the run only") {
  FakeObjectStore store;
  Ledger ledger(kRun);
  // What a run wrote, one write of which never happened (a stop cut it off).
  for (const std::string name : {"probe", "list-1", "never-written"}) ledger.writing(kRun + name);
  store.seed(kRun + "probe", "p");
  store.seed(kRun + "list-1", "l");
  // An upload the ledger knows, and one whose create answer a stop cut off.
  ledger.upload_created(kRun + "multipart", store.seed_upload(kRun + "multipart", kInitiated));
  store.seed_upload(kRun + "abandoned", kInitiated);
  // Neighbours that are not this run's: another run's probe, a backup set, another env.
  store.seed("erp/prod/.doctor/fedcba9876543210fedcba9876543210/probe", "other run");
  store.seed("erp/prod/manifests/20261126T020000Z.json", "{}");
  const std::string foreign_upload =
      store.seed_upload("erp/prod/db/20261126T020000Z.dump", kInitiated);

  const CleanupReport report = clean_up(store, ledger);
  CHECK(report.verified);
  CHECK(report.problems.empty());
  CHECK(report.left_keys.empty());
  CHECK(report.left_uploads.empty());
  CHECK(report.aborted == 2);
  CHECK(report.deleted == 3);
  CHECK(store.keys() ==
        std::vector<std::string>{"erp/prod/.doctor/fedcba9876543210fedcba9876543210/probe",
                                 "erp/prod/manifests/20261126T020000Z.json"});
  REQUIRE(store.open_uploads().size() == 1);
  CHECK(store.open_uploads()[0].upload_id == foreign_upload);
  CHECK(ledger.open_uploads().empty());
  // Nothing outside the run prefix was even asked for.
  for (const auto& call : store.calls()) {
    CAPTURE(call.key);
    CHECK(call.key.starts_with(kRun));
  }

  const Check check = cleanup_check(report, ledger);
  CHECK(check.id == CheckId::cleanup);
  CHECK(check.result == CheckResult::ok);
  CHECK(check.detail.find(kRun) != std::string::npos);
}

TEST_CASE(
    "a store without AbortMultipartUpload: the upload is closed by completing it, then deleted") {
  FakeObjectStore store;
  Ledger ledger(kRun);
  ledger.writing(kRun + "abandoned");
  ledger.upload_created(kRun + "abandoned", store.seed_upload(kRun + "abandoned", kInitiated));
  // s3rver: 405 to the abort, 501 to the listing.
  store.inject_failure({.op = Op::abort_multipart_upload,
                        .error = {ErrorKind::permanent, "405", "MethodNotAllowed"},
                        .times = -1});
  store.inject_failure({.op = Op::list_multipart_uploads,
                        .error = {ErrorKind::permanent, "501", "NotImplemented"},
                        .times = -1});
  const CleanupReport report = clean_up(store, ledger);
  CHECK(report.problems.empty());
  CHECK_FALSE(report.uploads_listable);
  CHECK(report.aborted == 1);
  CHECK(store.pending_uploads() == 0);
  CHECK(store.keys().empty());
  CHECK(store.count(Op::complete_multipart_upload) == 1);
  CHECK(cleanup_check(report, ledger).result == CheckResult::ok);
}

TEST_CASE(
    "what the credentials may not delete is named as left behind, with prune as the way out") {
  FakeObjectStore store;
  Ledger ledger(kRun);
  ledger.writing(kRun + "probe");
  store.seed(kRun + "probe", "p");
  store.inject_failure({.op = Op::delete_object,
                        .error = {ErrorKind::permanent, "HTTP 403 AccessDenied", "AccessDenied"},
                        .times = -1});
  const CleanupReport report = clean_up(store, ledger);
  CHECK(report.verified);
  CHECK(report.left_keys == std::vector<std::string>{kRun + "probe"});
  REQUIRE(report.problems.size() == 1);
  const Check check = cleanup_check(report, ledger);
  CHECK(check.result == CheckResult::failed);
  CHECK(check.detail.find("left behind: " + kRun + "probe") != std::string::npos);
  CHECK(check.detail.find("AccessDenied") != std::string::npos);
  CHECK(check.fix.find("STALE_UPLOAD_AGE") != std::string::npos);
}

TEST_CASE("a cleanup that cannot list cannot claim the prefix is empty") {
  FakeObjectStore store;
  Ledger ledger(kRun);
  ledger.writing(kRun + "probe");
  store.inject_failure({.op = Op::list_objects_v2,
                        .error = {ErrorKind::cancelled, "stopped at the deadline"},
                        .times = -1});
  const CleanupReport report = clean_up(store, ledger);
  CHECK_FALSE(report.verified);
  const Check check = cleanup_check(report, ledger);
  CHECK(check.result == CheckResult::failed);
  CHECK(check.detail.find("could not list") != std::string::npos);
}

TEST_CASE("the ledger notes each key once, and uploads until closed") {
  Ledger ledger(kRun);
  CHECK(ledger.key("probe") == kRun + "probe");
  ledger.writing(kRun + "probe");
  ledger.writing(kRun + "probe");
  CHECK(ledger.keys().size() == 1);
  ledger.upload_created(kRun + "a", "u1");
  ledger.upload_created(kRun + "b", "u2");
  ledger.upload_closed("u1");
  REQUIRE(ledger.open_uploads().size() == 1);
  CHECK(ledger.open_uploads()[0].upload_id == "u2");
}

TEST_CASE("DeadlineStop: requested once its time is up, never when destroyed first") {
  const auto started = std::chrono::steady_clock::now();
  const DeadlineStop deadline(50ms);
  const std::stop_token token = deadline.token();
  while (!token.stop_requested()) {
    REQUIRE(std::chrono::steady_clock::now() - started < 10s);
    std::this_thread::yield();  // polling the condition under test, bounded above
  }
  CHECK(std::chrono::steady_clock::now() - started >= 50ms);

  std::stop_token early;
  {
    const DeadlineStop long_deadline(1h);
    early = long_deadline.token();
  }  // destroyed at once: the timer thread ends without requesting
  CHECK_FALSE(early.stop_requested());
}
