#include "app/sets/prune.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "app/retention_seed.h"
#include "catalog/backup_id.h"

using namespace erp;
using namespace std::chrono;
using erp::app::prune;
using erp::catalog::KeyLayout;
using erp::retention::OwnBackup;
using erp::retention::RetentionPolicy;
using erp::testing::FakeObjectStore;
using erp::testing::seed_set;
using erp::testing::SeedManifest;

namespace {

constexpr year_month_day kToday{year{2026}, month{11}, day{26}};

// `days` consecutive daily sets at 02:00 UTC, the newest on 2026-11-26.
std::vector<std::string> seed_daily(FakeObjectStore& store, const KeyLayout& layout, int days) {
  std::vector<std::string> ids;
  for (int i = 0; i < days; ++i) {
    const auto time = sys_days{kToday} - std::chrono::days{i} + hours{2};
    ids.push_back(catalog::format_backup_id(time));
    seed_set(store, layout, ids.back());
  }
  return ids;
}

std::set<std::string> set_ids(FakeObjectStore& store, const KeyLayout& layout) {
  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE(catalog.has_value());
  std::set<std::string> ids;
  for (const auto& set : catalog->sets) ids.insert(set.id);
  return ids;
}

// The store holds exactly `before` and no delete was ever sent.
void check_nothing_deleted(const FakeObjectStore& store, const std::vector<std::string>& before) {
  CHECK(store.keys() == before);
  CHECK(store.count(FakeObjectStore::Op::delete_objects) == 0);
  CHECK(store.count(FakeObjectStore::Op::delete_object) == 0);
}

}  // namespace

TEST_CASE("prune keeps exactly the planned sets of 400 daily sets") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  const auto ids = seed_daily(store, layout, 400);
  const auto stored_bytes = [&store] {
    std::uint64_t total = 0;
    for (const std::string& key : store.keys()) total += store.object(key)->size();
    return total;
  };
  const std::uint64_t before = stored_bytes();
  auto summary = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
  REQUIRE(summary.has_value());
  CHECK(summary->bytes_deleted == before - stored_bytes());  // what left the store
  CHECK(summary->bytes_deleted > 0);
  // 31 daily + 12 monthly (2025-11 .. 2026-10) + yearly 2025 (newest below the monthly band).
  CHECK(summary->sets_kept == 31 + 12 + 1);
  CHECK(summary->sets_deleted == 400 - 44);
  CHECK(summary->objects_deleted == 3 * (400 - 44));
  const auto left = set_ids(store, layout);
  CHECK(left.size() == 44);
  for (int i = 0; i <= 30; ++i) CHECK(left.contains(ids[i]));
  CHECK(left.contains("20261031T020000Z"));
  CHECK(left.contains("20251130T020000Z"));
  // yearly 2025: the newest set not in the monthly band (exactly 12 months old is out)
  CHECK(left.contains("20251126T020000Z"));
  CHECK_FALSE(left.contains("20251127T020000Z"));
  CHECK_FALSE(left.contains("20251031T020000Z"));
  // A second prune is a no-op.
  auto again = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
  REQUIRE(again.has_value());
  CHECK(again->sets_deleted == 0);
  CHECK(again->objects_deleted == 0);
}

TEST_CASE("dry run deletes nothing") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_daily(store, layout, 100);
  const auto before = store.keys();
  auto summary = prune(store, layout, RetentionPolicy{}, kToday, true, OwnBackup::succeeded);
  REQUIRE(summary.has_value());
  CHECK(summary->dry_run);
  CHECK(summary->sets_deleted > 0);
  CHECK(summary->objects_deleted == 0);
  check_nothing_deleted(store, before);
}

TEST_CASE("foreign objects, last-success and other envs are never deleted") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_daily(store, layout, 200);
  seed_set(store, KeyLayout("erp", "prod-old"), "20200101T020000Z");
  seed_set(store, KeyLayout("erp", "sandbox"), "20200101T020000Z");
  store.seed("erp/prod/last-success.json", "{}");
  store.seed("erp/prod/README", "x");
  store.seed("erp/prod/db/20200101T020000Z.dump.old", "x");
  store.seed("erp/prod/manifests/20200101T020000Z.json~", "x");
  auto summary = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
  REQUIRE(summary.has_value());
  CHECK(summary->catalog.foreign.size() == 3);
  for (const char* key :
       {"erp/prod/last-success.json", "erp/prod/README", "erp/prod/db/20200101T020000Z.dump.old",
        "erp/prod/manifests/20200101T020000Z.json~", "erp/prod-old/db/20200101T020000Z.dump",
        "erp/prod-old/manifests/20200101T020000Z.json",
        "erp/sandbox/manifests/20200101T020000Z.json"}) {
    CHECK_MESSAGE(store.object(key).has_value(), key);
  }
}

TEST_CASE("drill evidence is never deleted by prune, not even that of a deleted set") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  const auto ids = seed_daily(store, layout, 200);
  const std::string old_drill = layout.drill_evidence_key(ids.back(), "20260520T030000Z");
  const std::string new_drill = layout.drill_evidence_key(ids.front(), "20261126T030000Z");
  store.seed(old_drill, "{}");
  store.seed(new_drill, "{}");
  auto summary = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
  REQUIRE(summary.has_value());
  CHECK_FALSE(set_ids(store, layout).contains(ids.back()));  // its set went
  CHECK(summary->catalog.foreign.empty());
  CHECK(store.object(old_drill).has_value());
  CHECK(store.object(new_drill).has_value());
}

TEST_CASE("incomplete sets: young ones kept, old ones deleted; unreadable ones never") {
  // 2025-01-01's manifest is not JSON. Before issue 17 it was deleted with its set as an
  // old incomplete one; now it is the set's problem, reported and kept (SPEC §5: never an
  // object the tool can't parse), together with the objects it may name.
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_set(store, layout, "20261125T020000Z", SeedManifest::none);
  seed_set(store, layout, "20261124T020000Z", SeedManifest::failed_stream);
  seed_set(store, layout, "20260101T020000Z", SeedManifest::none);
  seed_set(store, layout, "20250101T020000Z", SeedManifest::garbage);
  seed_set(store, layout, "20261120T020000Z");
  auto summary = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
  REQUIRE(summary.has_value());
  const auto left = set_ids(store, layout);
  CHECK(left == std::set<std::string>{"20250101T020000Z", "20261120T020000Z", "20261124T020000Z",
                                      "20261125T020000Z"});
  CHECK(store.object(layout.manifest_key("20250101T020000Z")).has_value());
  CHECK(store.object(layout.db_key("20250101T020000Z")).has_value());
  CHECK(summary->sets_unreadable == 1);
  CHECK_FALSE(store.object(layout.db_key("20260101T020000Z")).has_value());
  CHECK(summary->sets_deleted == 1);
}

TEST_CASE("a partial set's dump is kept by its tier; only its expired leftover is deleted") {
  // Issue 17, item 4. September 2026 (monthly band on 2026-11-26): the documents failed on
  // 09-15 and 09-30, after their uploads were stored (the objects are there, the manifests say
  // failed). 09-30 holds September's newest db dump: kept as db monthly 2026-09, its docs
  // object deleted as an expired leftover. 09-15 is superseded for db: deleted whole.
  FakeObjectStore fake;
  erp::testing::DeleteRecorder store(fake);
  const KeyLayout layout("erp", "prod");
  seed_daily(fake, layout, 31);
  seed_set(fake, layout, "20260915T020000Z", SeedManifest::failed_stream);
  seed_set(fake, layout, "20260930T020000Z", SeedManifest::failed_stream);
  seed_set(fake, layout, "20261120T050000Z", SeedManifest::failed_stream);  // young
  auto summary = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
  REQUIRE(summary.has_value());
  CHECK(fake.object(layout.db_key("20260930T020000Z")).has_value());
  CHECK(fake.object(layout.manifest_key("20260930T020000Z")).has_value());
  CHECK_FALSE(fake.object(layout.docs_key("20260930T020000Z")).has_value());
  for (const std::string& key :
       {layout.db_key("20260915T020000Z"), layout.docs_key("20260915T020000Z"),
        layout.manifest_key("20260915T020000Z")})
    CHECK_FALSE(fake.object(key).has_value());
  // The young one keeps its leftover for inspection.
  CHECK(fake.object(layout.docs_key("20261120T050000Z")).has_value());
  CHECK(summary->sets_deleted == 1);
  CHECK(summary->leftovers_expired == 1);
  CHECK(summary->objects_deleted == 3 + 1);
  // The leftover went with the data objects, before any manifest.
  const auto& deleted = store.deleted();
  REQUIRE(deleted.size() == 4);
  CHECK(deleted.back() == layout.manifest_key("20260915T020000Z"));
  for (std::size_t i = 0; i < summary->catalog.sets.size(); ++i) {
    if (summary->catalog.sets[i].id != "20260930T020000Z") continue;
    CHECK(retention::stream_reasons_text(summary->plan.decisions[i]) ==
          "db: monthly 2026-09, leftovers: incomplete-expired");
  }
  // Pruning again deletes nothing: the set stays, now without leftovers.
  auto again = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
  REQUIRE(again.has_value());
  CHECK(again->objects_deleted == 0);
  CHECK(set_ids(fake, layout).contains("20260930T020000Z"));
}

TEST_CASE("a manifest read that fails fails the prune, and nothing is deleted") {
  // The mutant of issue 17: making this read error the set's own problem would judge the set
  // without its manifest. 2026-03-31 is a monthly set; its manifest GET fails after retries.
  for (ErrorKind kind : {ErrorKind::transient, ErrorKind::permanent, ErrorKind::corrupt}) {
    CAPTURE(erp::to_string(kind));
    FakeObjectStore store;
    const KeyLayout layout("erp", "prod");
    seed_daily(store, layout, 400);
    const auto before = store.keys();
    store.inject_failure({.op = FakeObjectStore::Op::get_object,
                          .error = {kind, "injected"},
                          .key = layout.manifest_key("20260331T020000Z"),
                          .times = -1});
    auto summary = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
    REQUIRE_FALSE(summary.has_value());
    CHECK(summary.error().kind == kind);
    CHECK(summary.error().message.find("20260331T020000Z") != std::string::npos);
    check_nothing_deleted(store, before);
  }
}

TEST_CASE("an oversized manifest is its set's problem: the prune goes on and keeps that set") {
  // One object over the cap at a manifest key used to fail every prune (and so every backup,
  // exit 1 after its set committed). Now that set is kept and the others are pruned.
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_daily(store, layout, 100);
  store.seed(layout.manifest_key("20260901T020000Z"), std::string(5 << 20, '['));
  auto summary = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
  REQUIRE(summary.has_value());
  CHECK(summary->sets_unreadable == 1);
  CHECK(summary->sets_deleted > 0);
  const auto left = set_ids(store, layout);
  CHECK(left.contains("20260901T020000Z"));
  CHECK(store.object(layout.db_key("20260901T020000Z")).has_value());
  CHECK_FALSE(left.contains("20260902T020000Z"));  // an expired neighbour is pruned
  for (const auto& call : store.calls())
    CHECK(call.key != layout.manifest_key("20260901T020000Z"));  // never fetched
}

TEST_CASE("manifests are deleted after every data object") {
  FakeObjectStore fake;
  erp::testing::DeleteRecorder store(fake);
  const KeyLayout layout("erp", "prod");
  seed_daily(fake, layout, 120);
  auto summary = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
  REQUIRE(summary.has_value());
  const auto keys = store.deleted();
  REQUIRE(keys.size() == summary->objects_deleted);
  const auto first_manifest = std::ranges::find_if(
      keys, [](const std::string& key) { return key.find("/manifests/") != std::string::npos; });
  REQUIRE(first_manifest != keys.end());
  CHECK(std::all_of(first_manifest, keys.end(), [](const std::string& key) {
    return key.find("/manifests/") != std::string::npos;
  }));
  CHECK(std::distance(first_manifest, keys.end()) ==
        static_cast<std::ptrdiff_t>(summary->sets_deleted));
}

TEST_CASE("an interrupted prune leaves complete or visibly incomplete sets, and converges") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_daily(store, layout, 400);
  auto plan = app::plan_prune(store, layout, RetentionPolicy{}, kToday, OwnBackup::succeeded);
  REQUIRE(plan.has_value());
  std::set<std::string> planned;
  for (std::size_t i = 0; i < plan->catalog.sets.size(); ++i) {
    if (plan->plan.decisions[i].keep()) planned.insert(plan->catalog.sets[i].id);
  }

  SUBCASE("one data key refused") {
    store.inject_failure({.op = FakeObjectStore::Op::delete_objects,
                          .error = {ErrorKind::permanent, "AccessDenied"},
                          .key = layout.docs_key("20251105T020000Z")});
  }
  SUBCASE("one manifest refused") {
    store.inject_failure({.op = FakeObjectStore::Op::delete_objects,
                          .error = {ErrorKind::permanent, "AccessDenied"},
                          .key = layout.manifest_key("20251105T020000Z")});
  }
  SUBCASE("the whole batch fails") {
    store.inject_failure({.op = FakeObjectStore::Op::delete_objects,
                          .error = {ErrorKind::permanent, "AccessDenied"}});
  }
  auto first = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
  REQUIRE_FALSE(first.has_value());

  // Every set that still has a manifest and is listed complete has all its data.
  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE(catalog.has_value());
  for (const auto& set : catalog->sets) {
    if (set.complete) {
      CHECK(store.object(layout.db_key(set.id)).has_value());
      CHECK(store.object(layout.docs_key(set.id)).has_value());
    } else {
      CHECK_FALSE(set.problem.empty());
      CHECK_FALSE(planned.contains(set.id));
    }
  }
  for (const auto& id : planned) CHECK(store.object(layout.manifest_key(id)).has_value());

  auto second = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
  REQUIRE(second.has_value());
  CHECK(set_ids(store, layout) == planned);
}

TEST_CASE("a policy that keeps nothing is refused before anything is read") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_daily(store, layout, 5);
  auto summary =
      prune(store, layout, RetentionPolicy{0, 0, 0, 0}, kToday, false, OwnBackup::succeeded);
  REQUIRE_FALSE(summary.has_value());
  CHECK(summary.error().kind == ErrorKind::config);
  CHECK(store.calls().empty());
}

TEST_CASE("the newest set survives even when it is old") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_set(store, layout, "20100101T020000Z");
  seed_set(store, layout, "20100102T020000Z");
  auto summary =
      prune(store, layout, RetentionPolicy{0, 0, 0, 1}, kToday, false, OwnBackup::succeeded);
  REQUIRE(summary.has_value());
  CHECK(set_ids(store, layout) == std::set<std::string>{"20100102T020000Z"});
}

TEST_CASE("prune keeps a month's full set and its later docs-only set: its only db dump survives") {
  // Through the catalog: the manifests say which streams each set holds. March 2026 is in
  // the monthly band on 2026-11-26. Its full set (03-20) is the newest set holding a db
  // dump, the docs-only set (03-28) the newest holding docs: both kept. April has full,
  // docs-only, full: only the last full set (04-28) is kept.
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_daily(store, layout, 31);  // the daily band: 2026-10-27 .. 2026-11-26
  seed_set(store, layout, "20260320T020000Z");
  seed_set(store, layout, "20260328T020000Z", SeedManifest::docs_only);
  seed_set(store, layout, "20260410T020000Z");
  seed_set(store, layout, "20260420T020000Z", SeedManifest::docs_only);
  seed_set(store, layout, "20260428T020000Z");
  auto summary = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
  REQUIRE(summary.has_value());
  const auto left = set_ids(store, layout);
  CHECK(left.contains("20260320T020000Z"));
  CHECK(left.contains("20260328T020000Z"));
  CHECK(store.object(layout.db_key("20260320T020000Z")).has_value());
  CHECK_FALSE(left.contains("20260410T020000Z"));
  CHECK_FALSE(left.contains("20260420T020000Z"));
  CHECK(left.contains("20260428T020000Z"));
  CHECK(summary->sets_deleted == 2);
  CHECK(summary->objects_deleted == 3 + 2);  // a full set's 3 objects, a docs-only set's 2
  for (std::size_t i = 0; i < summary->catalog.sets.size(); ++i) {
    if (summary->catalog.sets[i].id != "20260320T020000Z") continue;
    CHECK(retention::stream_reasons_text(summary->plan.decisions[i]) ==
          "db: monthly 2026-03, docs: expired");
  }
}
