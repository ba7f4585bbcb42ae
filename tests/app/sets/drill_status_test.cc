// What status and list read of the drills (app/sets/drill_status.h): the newest evidence, the
// newest passing one, an unreadable one passed over and named, and the predicted RTO.
#include "app/sets/drill_status.h"

#include <doctest/doctest.h>

#include "app/retention_seed.h"
#include "core/time_format.h"

namespace erp::app {
namespace {

using testing::FakeObjectStore;
using testing::seed_set;
using testing::SeedManifest;

constexpr std::uint64_t kGiB = 1024ULL * 1024 * 1024;

catalog::DrillEvidence evidence(std::string set_id, std::string drilled_at, bool passed,
                                double total_seconds, std::uint64_t dump_bytes) {
  catalog::DrillEvidence e;
  e.set_id = std::move(set_id);
  e.drilled_at = std::move(drilled_at);
  e.finished_at = e.drilled_at;
  e.passed = passed;
  e.total_seconds = total_seconds;
  e.dump_bytes = dump_bytes;
  return e;
}

void seed_evidence(FakeObjectStore& store, const catalog::KeyLayout& layout,
                   const std::string& drill_id, const catalog::DrillEvidence& e) {
  store.seed(layout.drill_evidence_key(e.set_id, drill_id), catalog::to_json(e));
}

}  // namespace

TEST_CASE("drill status: no evidence, nothing to say and nothing predicted") {
  FakeObjectStore store;
  const catalog::KeyLayout layout("erp", "prod");
  seed_set(store, layout, "20261126T020000Z");
  const auto status = drill_status(store, layout);
  REQUIRE(status);
  CHECK_FALSE(status->newest);
  CHECK_FALSE(status->last_passed);
  CHECK(status->unreadable.empty());
  CHECK_FALSE(predicted_rto_seconds(*status, kGiB));
}

TEST_CASE("drill status: the newest by drill time, and the newest passing one behind it") {
  FakeObjectStore store;
  const catalog::KeyLayout layout("erp", "prod");
  // Passed a week ago, 2 GiB in 600 s; failed yesterday. The older set's ID sorts last: the
  // order is the drill time's, not the set's.
  seed_evidence(store, layout, "20261122T030000Z",
                evidence("20261121T020000Z", "2026-11-22T03:00:00Z", true, 600, 2 * kGiB));
  seed_evidence(store, layout, "20261128T030000Z",
                evidence("20261101T020000Z", "2026-11-28T03:00:00Z", false, 90, kGiB));
  seed_evidence(store, layout, "20261115T030000Z",
                evidence("20261114T020000Z", "2026-11-15T03:00:00Z", true, 10, kGiB));
  const auto status = drill_status(store, layout);
  REQUIRE(status);
  REQUIRE(status->newest);
  CHECK(status->newest->set_id == "20261101T020000Z");
  CHECK_FALSE(status->newest->passed);
  REQUIRE(status->last_passed);
  CHECK(status->last_passed->set_id == "20261121T020000Z");
  CHECK(seconds_per_gib(*status->last_passed) == doctest::Approx(300));
  CHECK(*predicted_rto_seconds(*status, 3 * kGiB) == doctest::Approx(900));
  // The failed drill's time per GiB says nothing about recovery.
  CHECK_FALSE(seconds_per_gib(*status->newest));
  CHECK(format_iso8601_utc(*drill_success_time(*status->last_passed)) == "2026-11-22T03:00:00Z");
}

TEST_CASE("drill status: an unreadable evidence is named and the next newest is used") {
  FakeObjectStore store;
  const catalog::KeyLayout layout("erp", "prod");
  seed_evidence(store, layout, "20261122T030000Z",
                evidence("20261121T020000Z", "2026-11-22T03:00:00Z", true, 60, kGiB));
  const std::string broken = layout.drill_evidence_key("20261128T020000Z", "20261129T030000Z");
  store.seed(broken, "{\"format_version\": 1, \"set_id\": ");
  store.seed(layout.drill_prefix() + "notes.txt", "not evidence, not read");
  const auto status = drill_status(store, layout);
  REQUIRE(status);
  REQUIRE(status->unreadable.size() == 1);
  CHECK(status->unreadable[0].starts_with(broken + ": drill evidence is not valid"));
  REQUIRE(status->newest);
  CHECK(status->newest->set_id == "20261121T020000Z");
  CHECK(status->last_passed);
  CHECK(store.count(FakeObjectStore::Op::get_object) == 2);
}

TEST_CASE("drill status: a store that fails the listing is an error, not an empty answer") {
  FakeObjectStore store;
  const catalog::KeyLayout layout("erp", "prod");
  store.inject_failure({.op = FakeObjectStore::Op::list_objects_v2, .times = -1});
  const auto status = drill_status(store, layout);
  REQUIRE_FALSE(status);
  CHECK(status.error().message.find("erp/prod/drills/") != std::string::npos);
}

TEST_CASE("drill status: a passing drill of a set with no stored bytes predicts nothing") {
  DrillStatus status;
  status.last_passed = evidence("20261121T020000Z", "2026-11-22T03:00:00Z", true, 60, 0);
  CHECK_FALSE(predicted_rto_seconds(status, kGiB));
}

TEST_CASE("the newest complete set's stored bytes: a partial or unreadable newer one passed over") {
  FakeObjectStore store;
  const catalog::KeyLayout layout("erp", "prod");
  CHECK(newest_complete_set_bytes(store, layout).value() == std::nullopt);
  seed_set(store, layout, "20261124T020000Z");
  seed_set(store, layout, "20261125T020000Z", SeedManifest::failed_stream);
  seed_set(store, layout, "20261126T020000Z", SeedManifest::garbage);
  const auto bytes = newest_complete_set_bytes(store, layout);
  REQUIRE(bytes);
  REQUIRE(*bytes);
  CHECK(**bytes == std::string("dump-20261124T020000Z").size() +
                       std::string("tar-20261124T020000Z-docs").size());
}

}  // namespace erp::app
