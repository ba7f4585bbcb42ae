// The Object Lock enforcement canary (app/backup/lock_canary.h) on the fake store: which delete it
// tries per mode, and what each answer means. A governance lock protects nothing from a
// credential that may bypass it, so the canary asks for the bypass; a compliance lock cannot be
// bypassed, so it does not.
#include <doctest/doctest.h>

#include <string>

#include "app/backup/lock_canary.h"
#include "fakes/fake_object_store.h"

namespace erp::app {
namespace {

using namespace std::chrono;
using s3::LockMode;
using testing::FakeObjectStore;
using Op = FakeObjectStore::Op;

const catalog::KeyLayout kLayout("erp", "prod");
const sys_seconds kNow = sys_days{2026y / January / 10} + 12h;

// A locked bucket whose clock is the canary's.
struct Store {
  FakeObjectStore fake;
  Store() {
    fake.enable_object_lock();
    fake.set_now(kNow);
  }
  CanaryResult check(LockMode mode) {
    return check_lock_canary(fake, kLayout, mode, hours{48}, kNow);
  }
};

}  // namespace

TEST_CASE("canary, governance: refused the bypassing delete (no bypass right) -> enforced") {
  Store store;
  const CanaryResult result = store.check(LockMode::governance);
  CHECK(result.enforced == true);
  CHECK_FALSE(result.problem.has_value());
  CHECK(result.key == kLayout.lock_canary_key());
  // It asked for the bypass, as an attacker with these credentials would.
  CHECK(store.fake.count(Op::delete_object_version_bypassing_governance) == 1);
  CHECK(store.fake.count(Op::delete_object_version) == 0);
  const auto versions = store.fake.versions(result.key);
  REQUIRE(versions.size() == 1);
  CHECK(versions[0].version_id == result.version_id);
  CHECK(versions[0].lock == (s3::ObjectLock{LockMode::governance, kNow + hours{48}}));
}

TEST_CASE("canary, governance: credentials that may bypass it -> NOT enforced, canary rewritten") {
  Store store;
  store.fake.grant_governance_bypass();  // s3:BypassGovernanceRetention
  const CanaryResult result = store.check(LockMode::governance);
  CHECK(result.enforced == false);
  CHECK_FALSE(result.problem.has_value());
  // The version tried is gone; a new locked one waits for the next run's check.
  const auto versions = store.fake.versions(result.key);
  REQUIRE(versions.size() == 1);
  CHECK(versions[0].version_id != result.version_id);
  CHECK(versions[0].lock.has_value());
}

TEST_CASE("canary, governance: the bypass right without s3:DeleteObjectVersion -> enforced") {
  Store store;
  store.fake.grant_governance_bypass();
  store.fake.deny(Op::delete_object_version);  // the backup scope of the split setup
  CHECK(store.check(LockMode::governance).enforced == true);
  CHECK(store.fake.versions(kLayout.lock_canary_key()).size() == 1);
}

TEST_CASE("canary, compliance: a plain delete, never the bypass; refused -> enforced") {
  Store store;
  store.fake.grant_governance_bypass();  // cannot touch a compliance lock
  const CanaryResult result = store.check(LockMode::compliance);
  CHECK(result.enforced == true);
  CHECK(store.fake.count(Op::delete_object_version) == 1);
  CHECK(store.fake.count(Op::delete_object_version_bypassing_governance) == 0);
  CHECK(store.fake.versions(result.key).size() == 1);
}

TEST_CASE("canary: a store that lets a locked version go -> NOT enforced, in either mode") {
  for (const LockMode mode : {LockMode::governance, LockMode::compliance}) {
    CAPTURE(s3::wire_name(mode));
    Store store;
    store.fake.set_now(kNow + days{3650});  // past every retain-until: the lock is not enforced
    const CanaryResult result = check_lock_canary(store.fake, kLayout, mode, hours{48}, kNow);
    CHECK(result.enforced == false);
  }
}

TEST_CASE("canary: a delete failing otherwise leaves the verdict undecided") {
  Store store;
  store.fake.inject_failure(
      {.op = Op::delete_object_version_bypassing_governance,
       .error = {ErrorKind::transient, "gave up after 7 attempts", "SlowDown"}});
  const CanaryResult result = store.check(LockMode::governance);
  CHECK_FALSE(result.enforced.has_value());
  REQUIRE(result.problem.has_value());
  CHECK(result.problem->message.find("gave up after 7 attempts") != std::string::npos);
}

}  // namespace erp::app
