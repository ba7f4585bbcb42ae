// Promotion of kept sets' Object Locks (issue 20): extend to the tier's requirement, never
// shorten, never weaken, idempotent; failures counted and expiring keepers reported.
#include "app/sets/lock_promotion.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

#include "app/retention_seed.h"
#include "app/sets/prune.h"
#include "catalog/backup_id.h"

namespace erp::testing {
namespace {

using namespace std::chrono;
using app::promotion_for;
using app::prune;
using app::PruneLocking;
using catalog::KeyLayout;
using retention::OwnBackup;
using retention::RetentionPolicy;
using s3::LockMode;
using s3::ObjectLock;
using Op = FakeObjectStore::Op;

constexpr year_month_day kToday{year{2026}, month{11}, day{26}};
constexpr sys_seconds kNow = sys_days{kToday} + hours{3};
constexpr hours kMargin{48};
const std::string kMonthly = "20260930T020000Z";  // September's, final: no September set is daily
const std::string kYearly = "20250630T020000Z";   // 2025's, final: none of 2025 is above the bound

std::string id_days_ago(int days_ago) {
  return catalog::format_backup_id(sys_days{kToday} - days{days_ago} + hours{2});
}

sys_seconds at(year_month_day date, int hour) {
  return sys_days{date} + hours{hour};
}

PruneLocking locking(LockMode mode = LockMode::governance) {
  return {config::ObjectLockConfig{mode, kMargin}, kNow};
}

std::vector<std::string> set_keys(const KeyLayout& layout, const std::string& id) {
  return {layout.db_key(id), layout.docs_key(id), layout.manifest_key(id)};
}

// The daily band (31 sets), September's monthly set and 2025's yearly one, all unlocked.
struct Bucket {
  FakeObjectStore store;
  KeyLayout layout{"erp", "prod"};
  Bucket() {
    store.enable_object_lock();
    store.set_now(kNow);
    for (int i = 0; i <= 30; ++i) seed_set(store, layout, id_days_ago(i));
    seed_set(store, layout, kMonthly);
    seed_set(store, layout, kYearly);
  }
  std::optional<ObjectLock> lock_of(const std::string& key) {
    auto head = store.head_object(key);
    REQUIRE(head.has_value());
    return head->lock;
  }
  std::vector<FakeObjectStore::Call> retention_calls(const std::string& key) const {
    std::vector<FakeObjectStore::Call> result;
    for (const auto& call : store.calls()) {
      if (call.op == Op::put_object_retention && call.key == key) result.push_back(call);
    }
    return result;
  }
};

// What the tiers need with the default policy and a 2-day margin.
const sys_seconds kMonthlyUntil = at(year{2027} / 9 / 30, 2) + kMargin;  // + 12 months
const sys_seconds kYearlyUntil = at(year{2035} / 6 / 30, 2) + kMargin;   // + 10 years

}  // namespace

TEST_CASE("promotion_for: extends to the requirement, never shortens, keeps a held mode") {
  const sys_seconds required = kNow + days{30};
  CHECK(promotion_for(std::nullopt, required, LockMode::governance) ==
        ObjectLock{LockMode::governance, required});
  CHECK(promotion_for(ObjectLock{LockMode::governance, required - days{1}}, required,
                      LockMode::governance) == ObjectLock{LockMode::governance, required});
  CHECK_FALSE(
      promotion_for(ObjectLock{LockMode::governance, required}, required, LockMode::compliance));
  CHECK_FALSE(promotion_for(ObjectLock{LockMode::governance, required + days{1}}, required,
                            LockMode::governance));
  CHECK(promotion_for(ObjectLock{LockMode::compliance, required - days{1}}, required,
                      LockMode::governance) == ObjectLock{LockMode::compliance, required});
  // A held mode is kept: changing it needs the governance bypass (refused by RGW otherwise).
  CHECK(promotion_for(ObjectLock{LockMode::governance, required - days{1}}, required,
                      LockMode::compliance) == ObjectLock{LockMode::governance, required});
}

TEST_CASE(
    "promotion: kept sets get their tier's lock, unlocked objects too; a rerun sends nothing") {
  Bucket b;
  auto summary = prune(b.store, b.layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded,
                       std::nullopt, locking());
  REQUIRE(summary.has_value());
  CHECK(summary->sets_deleted == 0);
  CHECK(summary->promoted_objects == 33 * 3);
  CHECK(summary->promotion_failures == 0);
  CHECK(summary->expiring_keepers.empty());
  for (const std::string& key : set_keys(b.layout, kMonthly)) {
    CAPTURE(key);
    CHECK(b.lock_of(key) == ObjectLock{LockMode::governance, kMonthlyUntil});
  }
  for (const std::string& key : set_keys(b.layout, kYearly)) {
    CAPTURE(key);
    CHECK(b.lock_of(key) == ObjectLock{LockMode::governance, kYearlyUntil});
  }
  // A daily set: its start + 30 days + margin.
  const std::string daily = id_days_ago(10);
  CHECK(b.lock_of(b.layout.db_key(daily)) ==
        ObjectLock{LockMode::governance, at(year{2026} / 11 / 16, 2) + days{30} + kMargin});
  // The request names the version HEAD reported.
  const auto calls = b.retention_calls(b.layout.manifest_key(kMonthly));
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].version_id == b.store.versions(b.layout.manifest_key(kMonthly)).back().version_id);

  const int writes = b.store.count(Op::put_object_retention);
  auto again = prune(b.store, b.layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded,
                     std::nullopt, locking());
  REQUIRE(again.has_value());
  CHECK(again->promoted_objects == 0);
  CHECK(b.store.count(Op::put_object_retention) == writes);
}

TEST_CASE("promotion never shortens a lock and keeps compliance") {
  Bucket b;
  const ObjectLock later{LockMode::governance, at(year{2030} / 1 / 1, 0)};
  b.store.seed_lock(b.layout.db_key(kMonthly), later);
  b.store.seed_lock(b.layout.docs_key(kMonthly), ObjectLock{LockMode::compliance, kNow + days{10}});
  b.store.seed_lock(b.layout.manifest_key(kMonthly),
                    ObjectLock{LockMode::governance, kNow + days{10}});
  auto summary = prune(b.store, b.layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded,
                       std::nullopt, locking(LockMode::governance));
  REQUIRE(summary.has_value());
  CHECK(b.retention_calls(b.layout.db_key(kMonthly)).empty());
  CHECK(b.lock_of(b.layout.db_key(kMonthly)) == later);
  CHECK(b.lock_of(b.layout.docs_key(kMonthly)) == ObjectLock{LockMode::compliance, kMonthlyUntil});
  CHECK(b.lock_of(b.layout.manifest_key(kMonthly)) ==
        ObjectLock{LockMode::governance, kMonthlyUntil});

  // With the setting at compliance, a governance lock that needs extending stays governance (a
  // mode change needs the bypass the tool never sends); its date is extended.
  Bucket c;
  c.store.seed_lock(c.layout.db_key(kYearly), ObjectLock{LockMode::governance, kNow + days{10}});
  REQUIRE(prune(c.store, c.layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded,
                std::nullopt, locking(LockMode::compliance))
              .has_value());
  CHECK(c.lock_of(c.layout.db_key(kYearly)) == ObjectLock{LockMode::governance, kYearlyUntil});
  CHECK(c.lock_of(c.layout.docs_key(kYearly)) == ObjectLock{LockMode::compliance, kYearlyUntil});
}

TEST_CASE("promotion refused: counted, not fatal, and a keeper whose lock ends soon is reported") {
  Bucket b;
  b.store.deny(Op::put_object_retention);
  for (const std::string& key : set_keys(b.layout, kMonthly)) {
    b.store.seed_lock(key, ObjectLock{LockMode::governance, kNow + days{3}});
  }
  auto summary = prune(b.store, b.layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded,
                       std::nullopt, locking());
  REQUIRE(summary.has_value());
  CHECK(summary->promoted_objects == 0);
  CHECK(summary->promotion_failures == 33 * 3);
  REQUIRE(summary->promotion_errors.size() == 33 * 3);
  CHECK(summary->promotion_errors[0].code == "AccessDenied");
  const auto& expiring = summary->expiring_keepers;
  CHECK(std::ranges::find(expiring, kMonthly) != expiring.end());
  CHECK(std::ranges::find(expiring, kYearly) != expiring.end());  // no lock at all
  CHECK(std::ranges::find(expiring, id_days_ago(0)) != expiring.end());
  // The oldest daily set needs nothing past the window: its band ends within it.
  CHECK(std::ranges::find(expiring, id_days_ago(30)) == expiring.end());
}

TEST_CASE("promotion reads what it needs a few at a time, and a failed HEAD is one failure") {
  Bucket b;
  b.store.inject_failure({.op = Op::head_object,
                          .error = {ErrorKind::transient, "injected"},
                          .key = b.layout.docs_key(kYearly)});
  auto summary = prune(b.store, b.layout, RetentionPolicy{}, kToday, false, OwnBackup::succeeded,
                       std::nullopt, locking());
  REQUIRE(summary.has_value());
  CHECK(summary->promotion_failures == 1);
  CHECK(summary->promoted_objects == 33 * 3 - 1);
  REQUIRE(summary->promotion_errors.size() == 1);
  CHECK(summary->promotion_errors[0].message.find(b.layout.docs_key(kYearly)) != std::string::npos);
  CHECK(b.store.count(Op::head_object) == 33 * 3);
}

}  // namespace erp::testing
