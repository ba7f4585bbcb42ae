// `erp-backup prune` with OBJECT_LOCK_MODE on (issue 20), through the command table on a fake
// locked bucket: what it prints, its exit code, and a dry run that writes nothing.
#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "app/commands/command_harness.h"
#include "app/retention_seed.h"

namespace erp::app {
namespace {

using namespace std::chrono;
using testing::seed_set;
using testing_support::Harness;
using testing_support::Ran;
using Op = testing::FakeObjectStore::Op;

const catalog::KeyLayout kLayout("erp", "prod");
const std::string kExpired = "20100101T000000Z";
const std::string kOtherExpired = "20100201T000000Z";
const std::string kKept = "20260109T000000Z";

// Three sets on a locked bucket (two expired, one daily), the setting at governance, the fake's
// clock at the harness's.
void setup(Harness& h) {
  h.store.enable_object_lock();
  h.store.set_now(now_seconds(h.clock));
  h.settings.object_lock = config::ObjectLockConfig{s3::LockMode::governance, hours{48}};
  for (const std::string& id : {kExpired, kOtherExpired, kKept}) seed_set(h.store, kLayout, id);
}

// The expired set's dump under a lock that ends tomorrow.
void lock_expired_set(Harness& h) {
  h.store.seed_lock(kLayout.db_key(kExpired),
                    s3::ObjectLock{s3::LockMode::governance, now_seconds(h.clock) + days{1}});
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("prune, locked bucket: a locked expired set is kept and named, the rest goes, exit 0") {
  Harness h;
  setup(h);
  lock_expired_set(h);
  const Ran ran = h.run("prune", {});
  CHECK(ran.code == ExitCode::ok);
  CHECK(has(ran.out, kExpired + "\tlocked, kept (retain-until 2026-01-11T12:00:00Z"));
  CHECK(has(ran.out, "object lock: extended 3 object lock(s)"));  // the kept daily set's
  CHECK(h.store.versions(kLayout.manifest_key(kExpired)).size() == 1);
  CHECK(h.store.versions(kLayout.manifest_key(kOtherExpired)).empty());
  CHECK(h.store.head_object(kLayout.db_key(kKept))->lock.has_value());
}

TEST_CASE("prune --dry-run on a locked bucket reads locks, deletes and writes nothing") {
  Harness h;
  setup(h);
  lock_expired_set(h);
  const Ran ran = h.run("prune", {"--dry-run"});
  CHECK(ran.code == ExitCode::ok);
  CHECK(has(ran.out, kExpired + "\tlocked, kept"));
  CHECK(has(ran.out, "object lock: would extend 3 object lock(s)"));
  CHECK(h.store.count(Op::delete_object_version) == 0);
  CHECK(h.store.count(Op::delete_objects) == 0);
  CHECK(h.store.count(Op::put_object_retention) == 0);
  CHECK(h.store.versions(kLayout.manifest_key(kOtherExpired)).size() == 1);
}

TEST_CASE("prune exits 1 when the credentials may not delete, and says so") {
  Harness h;
  setup(h);
  h.store.deny(Op::delete_object_version);
  const Ran ran = h.run("prune", {});
  CHECK(ran.code == ExitCode::failed);
  CHECK(has(ran.out, "prune skipped: no delete permission"));
  CHECK(h.store.versions(kLayout.manifest_key(kOtherExpired)).size() == 1);

  // Mode off: DeleteObjects refusing every key is the same skip.
  Harness off;
  for (const std::string& id : {kExpired, kOtherExpired, kKept}) seed_set(off.store, kLayout, id);
  off.store.deny(Op::delete_objects);
  const Ran plain = off.run("prune", {"--json"});
  CHECK(plain.code == ExitCode::failed);
  CHECK(has(plain.out, "\"skipped_by_permission\": true"));
  CHECK(off.store.object(kLayout.manifest_key(kExpired)).has_value());
}

TEST_CASE("prune exits 1 when a kept set's lock could not be extended, naming the keeper") {
  Harness h;
  setup(h);
  h.store.deny(Op::put_object_retention);
  const Ran ran = h.run("prune", {});
  CHECK(ran.code == ExitCode::failed);
  CHECK(has(ran.out, "3 failed"));
  CHECK(has(ran.out, kKept + "\texpiring keeper"));
}

TEST_CASE("prune runs the canary with its own credentials: refused the bypass -> enforced") {
  Harness h;
  setup(h);
  const Ran ran = h.run("prune", {"--json"});
  CHECK(ran.code == ExitCode::ok);
  CHECK(h.store.count(Op::delete_object_version_bypassing_governance) == 1);
  CHECK(h.report.object_lock_enforced == true);
  const auto doc = nlohmann::json::parse(ran.out);
  CHECK(doc["object_lock"]["enforced"] == true);
  CHECK(h.store.versions(kLayout.lock_canary_key()).size() == 1);  // never pruned
  // Before anything was deleted.
  const auto calls = h.store.calls();
  const auto canary = std::ranges::find(calls, Op::delete_object_version_bypassing_governance,
                                        &testing::FakeObjectStore::Call::op);
  const auto first_delete =
      std::ranges::find(calls, Op::delete_object_version, &testing::FakeObjectStore::Call::op);
  REQUIRE(first_delete != calls.end());
  CHECK(canary < first_delete);
}

TEST_CASE("prune exits 1 when its canary finds Object Lock NOT enforced, and still prunes") {
  Harness h;
  setup(h);
  h.store.grant_governance_bypass();  // prune's credentials may bypass governance
  const Ran ran = h.run("prune", {});
  CHECK(ran.code == ExitCode::failed);
  CHECK(has(ran.out, "object lock: NOT enforced"));
  CHECK(h.report.object_lock_enforced == false);
  CHECK(h.store.versions(kLayout.manifest_key(kOtherExpired)).empty());  // retention applied
  // The canary is locked again for the next check.
  const auto versions = h.store.versions(kLayout.lock_canary_key());
  REQUIRE(versions.size() == 1);
  CHECK(versions[0].lock.has_value());

  Harness json;
  setup(json);
  json.store.grant_governance_bypass();
  const Ran reported = json.run("prune", {"--json"});
  CHECK(reported.code == ExitCode::failed);
  CHECK(nlohmann::json::parse(reported.out)["object_lock"]["enforced"] == false);
}

TEST_CASE("prune in compliance mode: the canary's delete asks for no bypass") {
  Harness h;
  setup(h);
  h.settings.object_lock->mode = s3::LockMode::compliance;
  h.store.grant_governance_bypass();  // useless against compliance
  const Ran ran = h.run("prune", {});
  CHECK(ran.code == ExitCode::ok);
  CHECK(h.store.count(Op::delete_object_version_bypassing_governance) == 0);
  CHECK(h.report.object_lock_enforced == true);
}

TEST_CASE("prune --dry-run runs no canary: enforced is null") {
  Harness h;
  setup(h);
  const Ran ran = h.run("prune", {"--dry-run", "--json"});
  CHECK(ran.code == ExitCode::ok);
  CHECK(h.store.count(Op::delete_object_version_bypassing_governance) == 0);
  CHECK(h.store.versions(kLayout.lock_canary_key()).empty());
  CHECK(nlohmann::json::parse(ran.out)["object_lock"]["enforced"].is_null());
  CHECK_FALSE(h.report.object_lock_enforced.has_value());
}

TEST_CASE("prune with the mode on refuses a bucket without Object Lock before reading anything") {
  Harness h;
  h.settings.object_lock = config::ObjectLockConfig{s3::LockMode::governance, hours{48}};
  seed_set(h.store, kLayout, kExpired);
  const Ran ran = h.run("prune", {});
  CHECK(ran.code == ExitCode::usage);
  CHECK(h.store.count(Op::list_objects_v2) == 0);
  CHECK(h.store.object(kLayout.manifest_key(kExpired)).has_value());
}

}  // namespace erp::app
