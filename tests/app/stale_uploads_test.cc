// Stale multipart uploads (issue 7): which open uploads prune aborts, decided at a fixed time,
// and what it does with a store that fails or cannot list uploads at all.
#include "app/backup/stale_uploads.h"
#include "core/time_format.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "app/retention_seed.h"
#include "app/sets/prune.h"
#include "fakes/fake_object_store.h"
#include "s3/xml_replies.h"

using namespace erp;
using namespace std::chrono;
using erp::app::OpenUpload;
using erp::app::StaleUploadOptions;
using erp::app::UploadPass;
using erp::app::UploadState;
using erp::catalog::KeyLayout;
using erp::testing::FakeObjectStore;

namespace {

// 2026-11-30T12:00:00Z, the "now" of every test.
const system_clock::time_point kNow = sys_days{year{2026} / 11 / 30} + hours{12};
const StaleUploadOptions kOptions{.max_age = hours{24}, .now = kNow};

const std::string kOldDump = "erp/prod/db/20261127T020000Z.dump";
const std::string kOldDocs = "erp/prod/docs/20261128T020000Z.tar.zst";
const std::string kYoungDump = "erp/prod/db/20261130T020000Z.dump";

std::set<std::string> open_keys(const FakeObjectStore& store) {
  std::set<std::string> keys;
  for (const auto& upload : store.open_uploads()) keys.insert(upload.key);
  return keys;
}

std::vector<FakeObjectStore::Call> calls_of(const FakeObjectStore& store, FakeObjectStore::Op op) {
  std::vector<FakeObjectStore::Call> result;
  for (const auto& call : store.calls()) {
    if (call.op == op) result.push_back(call);
  }
  return result;
}

const OpenUpload& find(const std::vector<OpenUpload>& uploads, const std::string& key) {
  const auto it = std::ranges::find_if(uploads, [&](const auto& u) { return u.upload.key == key; });
  REQUIRE(it != uploads.end());
  return *it;
}

system_clock::time_point parse_timestamp_or_fail(std::string_view text) {
  const auto parsed = s3::parse_timestamp(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

// The env "prod" with: two stale uploads of the tool, one young one, a foreign one (old),
// and old uploads of envs whose names start with "prod" and of another prefix.
void seed_mixed(FakeObjectStore& store) {
  store.seed_upload(kOldDump, kNow - hours{80});
  store.seed_upload(kOldDocs, kNow - hours{24} - seconds{1});
  store.seed_upload(kYoungDump, kNow - hours{10});
  store.seed_upload("erp/prod/db/notes.partial", kNow - days{300});
  store.seed_upload("erp/prod2/db/20261101T020000Z.dump", kNow - days{30});
  store.seed_upload("erp/prod-old/db/20261101T020000Z.dump", kNow - days{30});
  store.seed_upload("other/prod/db/20261101T020000Z.dump", kNow - days{30});
}

}  // namespace

// --- the decision (pure) ------------------------------------------------------------------

TEST_CASE("an upload of this env is stale only when strictly older than STALE_UPLOAD_AGE") {
  const KeyLayout layout("erp", "prod");
  const std::vector<s3::MultipartUpload> listed = {
      {kOldDump, "u-old", kNow - hours{80}},
      {kOldDocs, "u-just-over", kNow - hours{24} - milliseconds{1}},
      {"erp/prod/db/20261129T120000Z.dump", "u-exactly", kNow - hours{24}},
      {kYoungDump, "u-young", kNow - hours{10}},
      {"erp/prod/manifests/20261129T020000Z.json", "u-future", kNow + minutes{5}},
      {"erp/prod/db/20261120T020000Z.dump", "u-no-time", std::nullopt},
  };
  const auto uploads = app::classify_uploads(listed, layout, kOptions);
  REQUIRE(uploads.size() == listed.size());
  CHECK(find(uploads, kOldDump).state == UploadState::stale);
  CHECK(find(uploads, kOldDump).age == hours{80});
  CHECK(find(uploads, kOldDocs).state == UploadState::stale);
  CHECK(find(uploads, "erp/prod/db/20261129T120000Z.dump").state == UploadState::in_progress);
  CHECK(find(uploads, kYoungDump).state == UploadState::in_progress);
  CHECK(find(uploads, kYoungDump).age == hours{10});
  // Initiated in the future (the clocks disagree): not provably old, left alone.
  CHECK(find(uploads, "erp/prod/manifests/20261129T020000Z.json").state ==
        UploadState::in_progress);
  CHECK(find(uploads, "erp/prod/manifests/20261129T020000Z.json").age == -minutes{5});
  CHECK(find(uploads, "erp/prod/db/20261120T020000Z.dump").state == UploadState::unknown_age);
  CHECK_FALSE(find(uploads, "erp/prod/db/20261120T020000Z.dump").age.has_value());
}

TEST_CASE("an Initiated before the set's own start counts as that start (moto's fixed date)") {
  // moto 5 answers every ListMultipartUploads with <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  // (captured: tests/s3/xml_replies_samples_test.cc). Taken at its word, the upload of a set
  // begun 10 hours ago would be 16 years old and aborted under its running backup.
  const KeyLayout layout("erp", "prod");
  const auto moto_initiated = parse_timestamp_or_fail("2010-11-10T20:48:33.000Z");
  const std::vector<s3::MultipartUpload> listed = {
      {kYoungDump, "u-young", moto_initiated},  // set 20261130T020000Z: 10 h before kNow
      {kOldDump, "u-old", moto_initiated},      // set 20261127T020000Z: 3 d 10 h before kNow
      {"erp/prod/db/notes.partial", "u-foreign", moto_initiated},
  };
  const auto uploads = app::classify_uploads(listed, layout, kOptions);
  REQUIRE(uploads.size() == listed.size());
  CHECK(find(uploads, kYoungDump).state == UploadState::in_progress);
  CHECK(find(uploads, kYoungDump).age == hours{10});
  CHECK(find(uploads, kOldDump).state == UploadState::stale);
  CHECK(find(uploads, kOldDump).age == days{3} + hours{10});
  CHECK(find(uploads, kOldDump).upload.initiated == moto_initiated);  // reported as sent
  CHECK(find(uploads, "erp/prod/db/notes.partial").state == UploadState::foreign);
}

TEST_CASE("a set ID in the future caps nothing: its upload ages by what the store says") {
  // A forged key (or one written under a wrong clock) must not keep its upload young forever.
  const KeyLayout layout("erp", "prod");
  const std::string future_dump = "erp/prod/db/20991231T000000Z.dump";
  const auto uploads =
      app::classify_uploads({{future_dump, "u-future", kNow - days{30}}}, layout, kOptions);
  REQUIRE(uploads.size() == 1);
  CHECK(uploads[0].age == days{30});
  CHECK(uploads[0].state == UploadState::stale);
}

TEST_CASE("uploads of other envs and other prefixes are dropped even when the store lists them") {
  const KeyLayout layout("erp", "prod");
  const auto uploads =
      app::classify_uploads({{"erp/prod2/db/20261101T020000Z.dump", "a", kNow - days{30}},
                             {"erp/prod-old/db/20261101T020000Z.dump", "b", kNow - days{30}},
                             {"other/prod/db/20261101T020000Z.dump", "c", kNow - days{30}},
                             {"erp/prod", "d", kNow - days{30}},
                             {kOldDump, "e", kNow - days{30}}},
                            layout, kOptions);
  REQUIRE(uploads.size() == 1);
  CHECK(uploads[0].upload.upload_id == "e");
}

TEST_CASE("keys under the env prefix that are not the tool's are foreign, however old") {
  const KeyLayout layout("erp", "prod");
  const auto uploads =
      app::classify_uploads({{"erp/prod/db/notes.partial", "a", kNow - days{300}},
                             {"erp/prod/db/20261101T020000Z.dump.tmp", "b", kNow - days{300}},
                             {"erp/prod/README", "c", std::nullopt},
                             {"erp/prod/last-success.json", "d", kNow - days{300}}},
                            layout, kOptions);
  REQUIRE(uploads.size() == 4);
  CHECK(uploads[0].state == UploadState::foreign);
  CHECK(uploads[1].state == UploadState::foreign);
  CHECK(uploads[2].state == UploadState::foreign);
  // last-success.json is one of the tool's keys: a stale upload of it is aborted like any other.
  CHECK(uploads[3].state == UploadState::stale);
}

// --- against a store ------------------------------------------------------------------------

TEST_CASE("prune aborts exactly this env's stale uploads of the tool's keys") {
  FakeObjectStore store;
  seed_mixed(store);
  const auto report =
      app::prune_stale_uploads(store, KeyLayout("erp", "prod"), kOptions, /*dry_run=*/false);
  CHECK(report.ok());
  CHECK(report.listable);
  CHECK(report.pass == UploadPass::abort);
  CHECK(report.aborted == 2);
  CHECK(report.count(UploadState::stale) == 2);
  CHECK(report.count(UploadState::foreign) == 1);
  CHECK(report.uploads.size() == 4);  // this env's only
  CHECK(open_keys(store) == std::set<std::string>{kYoungDump, "erp/prod/db/notes.partial",
                                                  "erp/prod2/db/20261101T020000Z.dump",
                                                  "erp/prod-old/db/20261101T020000Z.dump",
                                                  "other/prod/db/20261101T020000Z.dump"});
  // One listing, with the trailing slash; aborts only for the two stale uploads.
  const auto lists = calls_of(store, FakeObjectStore::Op::list_multipart_uploads);
  REQUIRE(lists.size() == 1);
  CHECK(lists[0].key == "erp/prod/");
  std::set<std::string> aborted;
  for (const auto& call : calls_of(store, FakeObjectStore::Op::abort_multipart_upload)) {
    aborted.insert(call.key);
  }
  CHECK(aborted == std::set<std::string>{kOldDump, kOldDocs});
}

TEST_CASE("a dry run reports what it would abort and aborts nothing") {
  FakeObjectStore store;
  seed_mixed(store);
  const auto before = open_keys(store);
  const auto report = app::prune_stale_uploads(store, KeyLayout("erp", "prod"), kOptions, true);
  CHECK(report.ok());
  CHECK(report.pass == UploadPass::dry_run);
  CHECK(report.aborted == 0);
  CHECK(report.count(UploadState::stale) == 2);
  CHECK(open_keys(store) == before);
  CHECK(store.count(FakeObjectStore::Op::abort_multipart_upload) == 0);
  std::ostringstream text;
  app::print_uploads_text(text, report);
  CHECK(text.str().find(kOldDump + "\tupload ") != std::string::npos);
  CHECK(text.str().find("\twould abort\tinitiated 2026-11-27T04:00:00Z, age 3d8h\n") !=
        std::string::npos);
}

TEST_CASE("a failed abort is recorded with key and upload id, and the others still go") {
  FakeObjectStore store;
  seed_mixed(store);
  const std::string later_stale = "erp/prod/manifests/20261101T020000Z.json";
  store.seed_upload(later_stale, kNow - days{29});
  store.inject_failure({.op = FakeObjectStore::Op::abort_multipart_upload,
                        .error = {ErrorKind::permanent, "AccessDenied", "AccessDenied"},
                        .key = kOldDocs,
                        .times = -1});
  const auto report = app::prune_stale_uploads(store, KeyLayout("erp", "prod"), kOptions, false);
  CHECK_FALSE(report.ok());
  CHECK(report.aborted == 2);
  const auto failures = report.failures();
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].key == kOldDocs);
  CHECK(failures[0].upload_id == find(report.uploads, kOldDocs).upload.upload_id);
  CHECK(failures[0].error.message.find("AccessDenied") != std::string::npos);
  CHECK(open_keys(store).contains(kOldDocs));
  CHECK_FALSE(open_keys(store).contains(kOldDump));
  CHECK_FALSE(open_keys(store).contains(later_stale));
  const auto json = app::uploads_json(report);
  CHECK(json["failed"] == 1);
  CHECK(json["aborted"] == 2);
}

TEST_CASE("an upload that is already gone when aborted counts as aborted") {
  FakeObjectStore store;
  store.seed_upload(kOldDump, kNow - days{3});
  store.inject_failure({.op = FakeObjectStore::Op::abort_multipart_upload,
                        .error = {ErrorKind::not_found, "NoSuchUpload", "NoSuchUpload"}});
  const auto report = app::prune_stale_uploads(store, KeyLayout("erp", "prod"), kOptions, false);
  CHECK(report.ok());
  CHECK(report.aborted == 1);
  CHECK(report.failures().empty());
}

TEST_CASE("a store without ListMultipartUploads is reported as such, not as a failure") {
  for (const char* code : {"MethodNotAllowed", "NotImplemented"}) {
    CAPTURE(code);
    FakeObjectStore store;
    store.seed_upload(kOldDump, kNow - days{3});
    store.inject_failure({.op = FakeObjectStore::Op::list_multipart_uploads,
                          .error = {ErrorKind::permanent, "HTTP 405 " + std::string(code), code}});
    const auto report = app::prune_stale_uploads(store, KeyLayout("erp", "prod"), kOptions, false);
    CHECK(report.ok());
    CHECK_FALSE(report.listable);
    CHECK(report.unlistable_reason.find(code) != std::string::npos);
    CHECK(report.uploads.empty());
    CHECK(store.count(FakeObjectStore::Op::abort_multipart_upload) == 0);
    CHECK(app::uploads_json(report)["listable"] == false);
  }
}

TEST_CASE("any other listing failure is an error and nothing is aborted") {
  FakeObjectStore store;
  store.seed_upload(kOldDump, kNow - days{3});
  store.inject_failure({.op = FakeObjectStore::Op::list_multipart_uploads,
                        .error = {ErrorKind::permanent, "HTTP 403 AccessDenied", "AccessDenied"}});
  const auto report = app::prune_stale_uploads(store, KeyLayout("erp", "prod"), kOptions, false);
  CHECK_FALSE(report.ok());
  REQUIRE(report.listing_error.has_value());
  CHECK(report.listing_error->message.find("erp/prod/") != std::string::npos);
  CHECK(report.listable);
  CHECK(store.count(FakeObjectStore::Op::abort_multipart_upload) == 0);
  CHECK(open_keys(store).contains(kOldDump));
}

TEST_CASE("prune() handles stale uploads after the sets when given the options") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  testing::seed_set(store, layout, "20261129T020000Z");
  seed_mixed(store);
  const year_month_day today{year{2026}, month{11}, day{30}};
  SUBCASE("without options uploads are not looked at") {
    auto summary = app::prune(store, layout, retention::RetentionPolicy{}, today, false,
                              retention::OwnBackup::succeeded);
    REQUIRE(summary.has_value());
    CHECK_FALSE(summary->stale_uploads.has_value());
    CHECK(store.count(FakeObjectStore::Op::list_multipart_uploads) == 0);
  }
  SUBCASE("with options the stale ones are aborted") {
    auto summary = app::prune(store, layout, retention::RetentionPolicy{}, today, false,
                              retention::OwnBackup::succeeded, kOptions);
    REQUIRE(summary.has_value());
    REQUIRE(summary->stale_uploads.has_value());
    CHECK(summary->stale_uploads->aborted == 2);
    CHECK_FALSE(open_keys(store).contains(kOldDump));
  }
  SUBCASE("a dry run aborts nothing") {
    auto summary = app::prune(store, layout, retention::RetentionPolicy{}, today, true,
                              retention::OwnBackup::succeeded, kOptions);
    REQUIRE(summary.has_value());
    REQUIRE(summary->stale_uploads.has_value());
    CHECK(summary->stale_uploads->pass == UploadPass::dry_run);
    CHECK(store.count(FakeObjectStore::Op::abort_multipart_upload) == 0);
  }
}

// --- presentation -------------------------------------------------------------------------

TEST_CASE("a survey (list) shows every open upload of the env with its age and state") {
  FakeObjectStore store;
  seed_mixed(store);
  const auto report = app::survey_uploads(store, KeyLayout("erp", "prod"), kOptions);
  CHECK(report.pass == UploadPass::survey);
  CHECK(store.count(FakeObjectStore::Op::abort_multipart_upload) == 0);
  std::ostringstream text;
  app::print_uploads_text(text, report);
  const std::string out = text.str();
  CHECK(out.find(kOldDump + "\tupload upload-1\tstale (the next prune aborts it)\tinitiated "
                            "2026-11-27T04:00:00Z, age 3d8h\n") != std::string::npos);
  CHECK(out.find(kYoungDump + "\tupload upload-3\tin progress\tinitiated 2026-11-30T02:00:00Z, "
                              "age 10h0m\n") != std::string::npos);
  CHECK(out.find("erp/prod/db/notes.partial\tupload upload-4\tforeign (never aborted)") !=
        std::string::npos);
  CHECK(out.find("prod2") == std::string::npos);
  const auto json = app::uploads_json(report);
  CHECK(json["pass"] == "survey");
  CHECK(json["max_age_seconds"] == 86'400);
  REQUIRE(json["uploads"].size() == 4);
  const auto& first = json["uploads"][0];
  CHECK(first["key"] == kOldDump);
  CHECK(first["upload_id"] == "upload-1");
  CHECK(first["initiated"] == "2026-11-27T04:00:00Z");
  CHECK(first["age_seconds"] == 80 * 3600);
  CHECK(first["state"] == "stale");
}

TEST_CASE("ages read as the largest two units") {
  CHECK(app::format_age(milliseconds{0}) == "0s");
  CHECK(app::format_age(milliseconds{42'900}) == "42s");
  CHECK(app::format_age(minutes{12} + seconds{5}) == "12m5s");
  CHECK(app::format_age(hours{5} + minutes{12} + seconds{59}) == "5h12m");
  CHECK(app::format_age(days{3} + hours{4} + minutes{59}) == "3d4h");
  CHECK(app::format_age(days{400}) == "400d0h");
  CHECK(app::format_age(-minutes{5}) == "-5m0s");
  CHECK(erp::format_iso8601_utc(kNow + milliseconds{999}) == "2026-11-30T12:00:00Z");
}

// --- leases: a live run's uploads are never aborted (issue 17) -----------------------------

namespace {

const std::string kLeaseToken = "0123456789abcdef0123456789abcdef";

// The store's LastModified for an object written at `when`.
std::string s3_time(system_clock::time_point when) {
  const std::string text = format_iso8601_utc(when);  // ...Z
  return text.substr(0, text.size() - 1) + ".000Z";
}

}  // namespace

TEST_CASE("an upload of a set whose run holds a fresh lease is in progress at any age") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  store.seed_upload(kOldDump, kNow - hours{80});        // set 20261127T020000Z
  store.seed_upload(kOldDocs, kNow - hours{30});        // set 20261128T020000Z
  store.set_last_modified(s3_time(kNow - minutes{3}));  // renewed 3 min ago: alive
  store.seed(layout.lease_key("20261127T020000Z", kLeaseToken), "{}");
  const StaleUploadOptions one_second{.max_age = seconds{1}, .now = kNow};
  auto report = app::prune_stale_uploads(store, layout, one_second, /*dry_run=*/false);
  REQUIRE(report.ok());
  const OpenUpload& held = find(report.uploads, kOldDump);
  CHECK(held.state == UploadState::in_progress);
  CHECK(held.held);
  CHECK(find(report.uploads, kOldDocs).state == UploadState::stale);  // no lease: aborted
  CHECK(report.aborted == 1);
  CHECK(open_keys(store) == std::set<std::string>{kOldDump});
  std::ostringstream text;
  app::print_uploads_text(text, report);
  CHECK(text.str().find("in progress (its run holds a fresh lease)") != std::string::npos);
  CHECK(app::uploads_json(report)["uploads"][0]["held_by_lease"] == true);
}

TEST_CASE("a stale lease protects nothing, and leftover leases are removed by the abort pass") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  store.seed_upload(kOldDump, kNow - hours{80});
  const std::string stale = layout.lease_key("20261127T020000Z", kLeaseToken);
  const std::string young = layout.lease_key("20261130T020000Z", kLeaseToken);
  store.set_last_modified(s3_time(kNow - hours{25}));  // 25 h without renewal: a killed run
  store.seed(stale, "{}");
  store.set_last_modified(s3_time(kNow - minutes{11}));  // stale, but younger than the age
  store.seed(young, "{}");
  store.seed("erp/prod/leases/notes.txt", "not a lease");  // never touched
  SUBCASE("dry run") {
    auto report = app::prune_stale_uploads(store, layout, kOptions, /*dry_run=*/true);
    CHECK(report.count(UploadState::stale) == 1);
    CHECK(report.leases.size() == 2);
    CHECK(report.leases_removed == 0);
    CHECK(store.object(stale).has_value());
  }
  SUBCASE("abort pass") {
    auto report = app::prune_stale_uploads(store, layout, kOptions, /*dry_run=*/false);
    REQUIRE(report.ok());
    CHECK(report.aborted == 1);  // the stale lease did not hold the upload
    CHECK(report.leases_removed == 1);
    CHECK_FALSE(store.object(stale).has_value());
    CHECK(store.object(young).has_value());  // younger than STALE_UPLOAD_AGE: kept for now
    CHECK(store.object("erp/prod/leases/notes.txt").has_value());
    const auto json = app::uploads_json(report);
    CHECK(json["leases_removed"] == 1);
    CHECK(json["leases"].size() == 2);
  }
}

TEST_CASE("a leftover lease is at least ten minutes stale, however short the age") {
  const KeyLayout layout("erp", "prod");
  const StaleUploadOptions one_second{.max_age = seconds{1}, .now = kNow};
  const auto leases = app::classify_leases(
      {{layout.lease_key("20261130T020000Z", kLeaseToken), 2, "", s3_time(kNow - minutes{9})},
       {layout.lease_key("20261130T010000Z", kLeaseToken), 2, "", s3_time(kNow - minutes{11})},
       {layout.lease_key("20261130T000000Z", kLeaseToken), 2, "", "yesterday"}},
      layout, one_second);
  REQUIRE(leases.size() == 3);
  CHECK(leases[0].fresh);
  CHECK_FALSE(leases[0].leftover);
  CHECK_FALSE(leases[1].fresh);
  CHECK(leases[1].leftover);
  CHECK(leases[2].fresh);  // unreadable time: assumed alive, never removed
  CHECK_FALSE(leases[2].leftover);
}

TEST_CASE("when the leases cannot be listed, no upload is aborted") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_mixed(store);
  store.inject_failure(
      {.op = FakeObjectStore::Op::list_objects_v2, .error = {ErrorKind::transient, "503"}});
  auto report = app::prune_stale_uploads(store, layout, kOptions, /*dry_run=*/false);
  CHECK_FALSE(report.ok());
  REQUIRE(report.listing_error.has_value());
  CHECK(report.listing_error->message.find("leases") != std::string::npos);
  CHECK(store.count(FakeObjectStore::Op::abort_multipart_upload) == 0);
}

TEST_CASE("a store without ListMultipartUploads still gets its leftover leases removed") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  store.inject_failure({.op = FakeObjectStore::Op::list_multipart_uploads,
                        .error = {ErrorKind::permanent, "405", "MethodNotAllowed"},
                        .times = -1});
  store.set_last_modified(s3_time(kNow - days{3}));
  const std::string old = layout.lease_key("20261127T020000Z", kLeaseToken);
  store.seed(old, "{}");
  auto report = app::prune_stale_uploads(store, layout, kOptions, /*dry_run=*/false);
  CHECK_FALSE(report.listable);
  CHECK(report.leases_removed == 1);
  CHECK_FALSE(store.object(old).has_value());
}

TEST_CASE("objects a stopped doctor run left are removed by the abort pass once old enough") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  const std::string old_run = layout.doctor_run_prefix(kLeaseToken);
  const std::string young_run = layout.doctor_run_prefix("fedcba9876543210fedcba9876543210");
  store.set_last_modified(s3_time(kNow - hours{25}));  // a doctor run killed yesterday
  store.seed(old_run + "probe", "p");
  store.seed(old_run + "conditional", "c");
  store.seed("erp/prod/.doctor/notes.txt", "not a probe");  // foreign: never touched
  store.set_last_modified(s3_time(kNow - minutes{1}));      // a doctor run under way
  store.seed(young_run + "probe", "p");
  // Its open upload is the tool's like any other: stale once older than the age.
  store.seed_upload(old_run + "multipart", kNow - hours{25});
  SUBCASE("survey and dry run remove nothing and say what would be done") {
    auto report = app::survey_uploads(store, layout, kOptions);
    REQUIRE(report.ok());
    REQUIRE(report.doctor_probes.size() == 3);
    CHECK(std::ranges::count_if(report.doctor_probes, [](const auto& p) { return p.leftover; }) ==
          2);
    CHECK(report.count(UploadState::stale) == 1);
    std::ostringstream text;
    app::print_uploads_text(text, report);
    CHECK(text.str().find(old_run +
                          "probe\tdoctor probe\tleft by a stopped doctor run (the next "
                          "prune removes it)\twritten 2026-11-29T11:00:00Z, age 1d1h\n") !=
          std::string::npos);
    CHECK(text.str().find(young_run + "probe\tdoctor probe\ta doctor run's, younger than "
                                      "STALE_UPLOAD_AGE") != std::string::npos);
    auto dry = app::prune_stale_uploads(store, layout, kOptions, /*dry_run=*/true);
    CHECK(dry.doctor_probes_removed == 0);
    CHECK(store.keys().size() == 4);
  }
  SUBCASE("abort pass") {
    auto report = app::prune_stale_uploads(store, layout, kOptions, /*dry_run=*/false);
    REQUIRE(report.ok());
    CHECK(report.doctor_probes_removed == 2);
    CHECK(report.aborted == 1);
    CHECK(store.keys() ==
          std::vector<std::string>{young_run + "probe", "erp/prod/.doctor/notes.txt"});
    CHECK(store.pending_uploads() == 0);
    const auto json = app::uploads_json(report);
    CHECK(json["doctor_probes_removed"] == 2);
    REQUIRE(json["doctor_probes"].size() == 3);
    CHECK(json["doctor_probes"][0]["removed"] == true);
  }
}

TEST_CASE("a doctor probe is a leftover only after ten minutes, however short the age") {
  const KeyLayout layout("erp", "prod");
  const std::string run = layout.doctor_run_prefix(kLeaseToken);
  const StaleUploadOptions one_second{.max_age = seconds{1}, .now = kNow};
  const auto probes =
      app::classify_doctor_probes({{run + "probe", 2, "", s3_time(kNow - minutes{9})},
                                   {run + "list-1", 2, "", s3_time(kNow - minutes{11})},
                                   {run + "list-2", 2, "", "yesterday"},
                                   {"erp/prod/.doctor/x/probe", 2, "", s3_time(kNow - days{9})}},
                                  layout, one_second);
  REQUIRE(probes.size() == 3);  // the last is not a doctor probe key
  CHECK_FALSE(probes[0].leftover);
  CHECK(probes[1].leftover);
  CHECK_FALSE(probes[2].leftover);  // unreadable time: never removed
  CHECK_FALSE(probes[2].written.has_value());
}
