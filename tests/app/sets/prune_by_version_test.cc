// Prune on a versioned, locked bucket (issue 20): deletion by version, locked sets kept whole,
// what plain deletes left behind, and the permission rule in both modes.
#include "app/sets/prune_by_version.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "app/retention_seed.h"
#include "app/sets/prune.h"
#include "catalog/backup_id.h"

namespace erp::testing {
namespace {

using namespace std::chrono;
using app::prune;
using app::PruneLocking;
using catalog::KeyLayout;
using retention::OwnBackup;
using retention::RetentionPolicy;
using Op = FakeObjectStore::Op;

constexpr year_month_day kToday{year{2026}, month{11}, day{26}};
constexpr sys_seconds kNow = sys_days{kToday} + hours{3};

PruneLocking governance() {
  return {config::ObjectLockConfig{s3::LockMode::governance, hours{48}}, kNow};
}

std::string id_days_ago(int days_ago) {
  return catalog::format_backup_id(sys_days{kToday} - days{days_ago} + hours{2});
}

// A locked, versioned store holding one unlocked set a day for `days` days up to kToday.
void seed_daily(FakeObjectStore& store, const KeyLayout& layout, int days) {
  for (int i = 0; i < days; ++i) seed_set(store, layout, id_days_ago(i));
}

std::vector<std::string> set_keys(const KeyLayout& layout, const std::string& id) {
  return {layout.db_key(id), layout.docs_key(id), layout.manifest_key(id)};
}

std::size_t version_count(const FakeObjectStore& store, const std::vector<std::string>& keys) {
  std::size_t count = 0;
  for (const std::string& key : keys) count += store.versions(key).size();
  return count;
}

std::vector<FakeObjectStore::Call> calls_of(const FakeObjectStore& store, Op op) {
  std::vector<FakeObjectStore::Call> result;
  for (const auto& call : store.calls()) {
    if (call.op == op) result.push_back(call);
  }
  return result;
}

struct LockedStore {
  FakeObjectStore store;
  KeyLayout layout{"erp", "prod"};
  LockedStore() {
    store.enable_object_lock();
    store.set_now(kNow);
  }
};

}  // namespace

TEST_CASE("prune by version: every version and delete marker of an expired set goes, data first") {
  LockedStore s;
  seed_daily(s.store, s.layout, 40);  // 31 daily + October's newest monthly; 8 expired
  const std::string expired = id_days_ago(35);
  const std::string rewritten = id_days_ago(36);
  // Older versions under a manifest and a marker hiding the docs archive: both go too.
  const std::string manifest = s.store.object(s.layout.manifest_key(rewritten)).value_or("");
  s.store.seed_version(s.layout.manifest_key(rewritten), manifest);  // a retried write
  s.store.seed_version(s.layout.manifest_key(rewritten), manifest);
  s.store.seed_delete_marker(s.layout.docs_key(expired));

  auto summary = prune(s.store, s.layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded,
                       std::nullopt, governance());
  REQUIRE(summary.has_value());
  CHECK(summary->locking);
  CHECK(summary->sets_deleted == 8);
  CHECK(summary->sets_locked_kept == 0);
  CHECK_FALSE(summary->skipped_by_permission);
  for (int i = 32; i < 40; ++i) {
    CAPTURE(id_days_ago(i));
    CHECK(version_count(s.store, set_keys(s.layout, id_days_ago(i))) == 0);
  }
  CHECK(version_count(s.store, set_keys(s.layout, id_days_ago(31))) == 3);  // October monthly
  CHECK(version_count(s.store, set_keys(s.layout, id_days_ago(30))) == 3);  // daily
  // 8 sets x 3 versions, + 2 manifest versions, + 1 marker.
  CHECK(summary->versions_deleted == 8 * 3 + 2 + 1);
  CHECK(summary->objects_deleted == 8 * 3 + 2);
  CHECK(s.store.count(Op::delete_objects) == 0);
  CHECK(s.store.count(Op::delete_object) == 0);
  CHECK(s.store.count(Op::list_object_versions) == 1);

  // Data versions, then manifests; within each, versions before markers.
  const auto deletes = calls_of(s.store, Op::delete_object_version);
  REQUIRE(deletes.size() == summary->versions_deleted);
  const auto first_manifest = std::ranges::find_if(
      deletes, [](const auto& call) { return call.key.find("/manifests/") != std::string::npos; });
  REQUIRE(first_manifest != deletes.end());
  CHECK(std::all_of(first_manifest, deletes.end(), [](const auto& call) {
    return call.key.find("/manifests/") != std::string::npos;
  }));
  CHECK(std::distance(first_manifest, deletes.end()) == 8 + 2);
  CHECK(std::prev(first_manifest)->key == s.layout.docs_key(expired));  // the marker, last of data

  // Every version was HEADed for its lock before the first delete.
  const auto calls = s.store.calls();
  const auto first_delete =
      std::ranges::find(calls, Op::delete_object_version, &FakeObjectStore::Call::op);
  CHECK(std::count_if(calls.begin(), first_delete, [](const auto& call) {
          return call.op == Op::head_object_version;
        }) == 8 * 3 + 2);

  auto again = prune(s.store, s.layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded,
                     std::nullopt, governance());
  REQUIRE(again.has_value());
  CHECK(again->versions_deleted == 0);
  CHECK(again->sets_deleted == 0);
}

TEST_CASE("prune by version: a set with one locked version is kept whole and reported") {
  LockedStore s;
  seed_daily(s.store, s.layout, 40);
  const std::string locked = id_days_ago(33);
  const sys_seconds until = kNow + days{1};
  // The docs archive's current version is still under a lock (its lock was extended by hand).
  s.store.seed_lock(s.layout.docs_key(locked), s3::ObjectLock{s3::LockMode::governance, until});

  auto summary = prune(s.store, s.layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded,
                       std::nullopt, governance());
  REQUIRE(summary.has_value());
  CHECK_FALSE(summary->skipped_by_permission);
  CHECK(summary->sets_locked_kept == 1);
  REQUIRE(summary->locked_kept.size() == 1);
  CHECK(summary->locked_kept[0].id == locked);
  CHECK(summary->locked_kept[0].retain_until == until);
  CHECK(summary->sets_deleted == 7);
  CHECK(version_count(s.store, set_keys(s.layout, locked)) == 4);
  for (const auto& call : calls_of(s.store, Op::delete_object_version)) {
    CHECK(call.key.find(locked) == std::string::npos);
  }
  CHECK(version_count(s.store, set_keys(s.layout, id_days_ago(34))) == 0);

  // Once the lock has passed, the next prune deletes it.
  s.store.set_now(until);
  auto later = prune(s.store, s.layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded,
                     std::nullopt, PruneLocking{governance().config, until});
  REQUIRE(later.has_value());
  CHECK(later->sets_locked_kept == 0);
  CHECK(version_count(s.store, set_keys(s.layout, locked)) == 0);
}

TEST_CASE("prune by version: keys hidden behind delete markers are reported, never deleted") {
  LockedStore s;
  seed_daily(s.store, s.layout, 31);
  // A set hidden by plain DELETEs (anyone with s3:DeleteObject can do that): no catalog set, so
  // no plan can say whether retention keeps it; deleting it once its lock ran out would be a loss.
  const std::string hidden = "20250301T020000Z";
  seed_set(s.store, s.layout, hidden);
  for (const std::string& key : set_keys(s.layout, hidden)) s.store.seed_delete_marker(key);
  // Foreign keys behind markers are never touched, nor reported.
  s.store.seed("erp/prod/notes.txt", "n");
  s.store.seed_delete_marker("erp/prod/notes.txt");

  auto summary = prune(s.store, s.layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded,
                       std::nullopt, governance());
  REQUIRE(summary.has_value());
  CHECK(version_count(s.store, set_keys(s.layout, hidden)) ==
        2 * set_keys(s.layout, hidden).size());
  CHECK(s.store.versions("erp/prod/notes.txt").size() == 2);
  CHECK(summary->hidden_keys.size() == set_keys(s.layout, hidden).size());
  CHECK(summary->versions_deleted == 0);
  CHECK(calls_of(s.store, Op::delete_object_version).empty());
}

TEST_CASE("prune by version: an expired set with an overwritten key is kept whole and named") {
  LockedStore s;
  seed_daily(s.store, s.layout, 40);
  // A write-only credential put other bytes over an old set's manifest, then the original back:
  // the set looks complete and expired, but its history holds a version that is not the tool's.
  const std::string target = id_days_ago(35);
  const std::string original = *s.store.object(s.layout.manifest_key(target));
  s.store.seed_version(s.layout.manifest_key(target), R"({"not":"the manifest"})", std::nullopt);
  s.store.seed_version(s.layout.manifest_key(target), original, std::nullopt);
  // Other bytes over a dump make the set unreadable (the manifest records another size): the
  // plan keeps it for good, nothing of it is deleted either.
  const std::string unreadable = id_days_ago(37);
  s.store.seed_version(s.layout.db_key(unreadable), "not the dump", std::nullopt);
  // The same bytes written twice (a retried write) are no overwrite: that set is deleted.
  const std::string retried = id_days_ago(36);
  const std::string same = *s.store.object(s.layout.db_key(retried));
  s.store.seed_version(s.layout.db_key(retried), same, std::nullopt);

  auto summary = prune(s.store, s.layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded,
                       std::nullopt, governance());
  REQUIRE(summary.has_value());
  for (const auto& v : s.store.versions(s.layout.db_key(target))) MESSAGE(v.version_id);
  MESSAGE(summary->sets_deleted);
  for (std::size_t i = 0; i < summary->catalog.sets.size(); ++i)
    if (summary->catalog.sets[i].id == target)
      MESSAGE(retention::to_string(summary->plan.decisions[i].reason));
  REQUIRE(summary->overwritten_kept.size() == 1);
  CHECK(summary->overwritten_kept[0].id == target);
  CHECK(summary->overwritten_kept[0].key == s.layout.manifest_key(target));
  CHECK(version_count(s.store, set_keys(s.layout, target)) ==
        set_keys(s.layout, target).size() + 2);
  CHECK(version_count(s.store, set_keys(s.layout, unreadable)) ==
        set_keys(s.layout, unreadable).size() + 1);
  for (const auto& call : calls_of(s.store, Op::delete_object_version)) {
    CHECK(call.key.find(target) == std::string::npos);
    CHECK(call.key.find(unreadable) == std::string::npos);
  }
  CHECK(version_count(s.store, set_keys(s.layout, retried)) == 0);
}

TEST_CASE("prune by version: AccessDenied on a delete skips the prune, nothing else is deleted") {
  LockedStore s;
  seed_daily(s.store, s.layout, 40);
  s.store.deny(Op::delete_object_version);
  const auto before = s.store.versioned_keys();
  auto summary = prune(s.store, s.layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded,
                       std::nullopt, governance());
  REQUIRE(summary.has_value());
  CHECK(summary->skipped_by_permission);
  CHECK(summary->versions_deleted == 0);
  CHECK(summary->objects_deleted == 0);
  CHECK(s.store.count(Op::delete_object_version) == 1);  // stopped at the first refusal
  CHECK(s.store.versioned_keys() == before);
  for (const std::string& key : before) CHECK(s.store.versions(key).size() == 1);
}

TEST_CASE("prune by version: a failing HEAD fails the prune before anything is deleted") {
  LockedStore s;
  seed_daily(s.store, s.layout, 40);
  s.store.inject_failure({.op = Op::head_object_version,
                          .error = {ErrorKind::transient, "injected"},
                          .key = s.layout.manifest_key(id_days_ago(39))});
  auto summary = prune(s.store, s.layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded,
                       std::nullopt, governance());
  REQUIRE_FALSE(summary.has_value());
  CHECK(summary.error().message.find(id_days_ago(39)) != std::string::npos);
  CHECK(s.store.count(Op::delete_object_version) == 0);
}

TEST_CASE("prune by version: a dry run reads locks and deletes nor writes anything") {
  LockedStore s;
  seed_daily(s.store, s.layout, 40);
  const std::string locked = id_days_ago(33);
  s.store.seed_lock(s.layout.db_key(locked),
                    s3::ObjectLock{s3::LockMode::governance, kNow + days{1}});
  auto summary = prune(s.store, s.layout, RetentionPolicy{}, kToday, true, OwnBackup::succeeded,
                       std::nullopt, governance());
  REQUIRE(summary.has_value());
  CHECK(summary->dry_run);
  CHECK(summary->sets_locked_kept == 1);
  CHECK(summary->sets_deleted == 7);
  CHECK(summary->versions_deleted == 0);
  CHECK(summary->promoted_objects > 0);  // what a real run would extend
  CHECK(s.store.count(Op::delete_object_version) == 0);
  CHECK(s.store.count(Op::put_object_retention) == 0);
  CHECK(s.store.count(Op::delete_objects) == 0);
}

TEST_CASE("prune, mode off: plain deletes as before; DeleteObjects refusing every key skips") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_daily(store, layout, 40);
  const auto before = store.keys();
  SUBCASE("every key refused") {
    store.deny(Op::delete_objects);
  }
  SUBCASE("the whole request refused") {
    store.inject_failure({.op = Op::delete_objects,
                          .error = {ErrorKind::permanent, "HTTP 403 AccessDenied", "AccessDenied"},
                          .times = -1});
  }
  auto summary = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
  REQUIRE(summary.has_value());
  CHECK_FALSE(summary->locking);
  CHECK(summary->skipped_by_permission);
  CHECK(summary->objects_deleted == 0);
  CHECK(store.keys() == before);
  CHECK(store.count(Op::delete_objects) == 1);  // the data batch; no manifest was tried
  CHECK(store.count(Op::list_object_versions) == 0);
  CHECK(store.count(Op::head_object_version) == 0);
}

TEST_CASE("prune, mode off: some keys refused is still an error, not a permission skip") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_daily(store, layout, 40);
  store.inject_failure({.op = Op::delete_objects,
                        .error = {ErrorKind::permanent, "AccessDenied"},
                        .key = layout.db_key(id_days_ago(35))});
  auto summary = prune(store, layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded);
  REQUIRE_FALSE(summary.has_value());
  CHECK(summary.error().message.find(id_days_ago(35)) != std::string::npos);
}

}  // namespace erp::testing
