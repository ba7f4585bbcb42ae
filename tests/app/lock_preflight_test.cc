// The Object Lock pre-flight of `backup` and `prune` (check_object_lock, app/backup/preflight.h):
// what each refusal says, and which ones are the operator's to fix (exit 2).
#include <doctest/doctest.h>

#include <string>

#include "app/backup/preflight.h"
#include "fakes/fake_object_store.h"
#include "fakes/forwarding_object_store.h"

namespace erp::app {
namespace {

using testing::FakeObjectStore;
using Op = FakeObjectStore::Op;

const config::ObjectLockConfig kGovernance{.mode = s3::LockMode::governance};

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// A lock-enabled bucket whose versioning someone suspended.
class SuspendedVersioning final : public testing::ForwardingObjectStore {
 public:
  using ForwardingObjectStore::ForwardingObjectStore;
  Result<s3::BucketVersioning> get_bucket_versioning() override {
    return s3::BucketVersioning{.status = s3::VersioningStatus::suspended};
  }
};

}  // namespace

TEST_CASE("lock pre-flight: nothing is asked with the mode off") {
  FakeObjectStore store;
  CHECK(check_object_lock(store, config::ObjectLockConfig{}).has_value());
  CHECK(store.calls().empty());
}

TEST_CASE("lock pre-flight: a bucket with Object Lock and versioning passes") {
  FakeObjectStore store;
  store.enable_object_lock();
  const auto checked = check_object_lock(store, kGovernance);
  REQUIRE_MESSAGE(checked.has_value(), checked.error().message);
  CHECK(store.count(Op::get_object_lock_configuration) == 1);
  CHECK(store.count(Op::get_bucket_versioning) == 1);
}

TEST_CASE("lock pre-flight: a bucket without Object Lock is refused naming the fix") {
  FakeObjectStore store("erp-backups");
  store.enable_versioning();
  const auto refused = check_object_lock(store, kGovernance);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().kind == ErrorKind::config);
  const std::string& message = refused.error().message;
  CHECK(contains(message, "OBJECT_LOCK_MODE=GOVERNANCE"));
  CHECK(contains(message, "bucket erp-backups does not have Object Lock enabled"));
  CHECK(contains(message, "--object-lock-enabled-for-bucket"));
  CHECK(contains(message, "mc mb --with-lock"));
  CHECK(contains(message, "or set OBJECT_LOCK_MODE=off"));
}

TEST_CASE("lock pre-flight: a store that cannot answer is refused naming the permission") {
  for (const char* code : {"AccessDenied", "NotImplemented"}) {
    CAPTURE(code);
    FakeObjectStore store;
    store.enable_object_lock();
    store.inject_failure({.op = Op::get_object_lock_configuration,
                          .error = {ErrorKind::permanent, std::string("refused: ") + code, code},
                          .times = -1});
    const auto refused = check_object_lock(store, kGovernance);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == ErrorKind::config);
    CHECK(contains(refused.error().message, "s3:GetBucketObjectLockConfiguration"));
    CHECK(contains(refused.error().message, code));
  }
  // Time is not the operator's to fix: a transient failure stays one (exit 1).
  FakeObjectStore flaky;
  flaky.enable_object_lock();
  flaky.inject_failure({.op = Op::get_object_lock_configuration,
                        .error = {ErrorKind::transient, "gave up after 7 attempts", "SlowDown"}});
  const auto transient = check_object_lock(flaky, kGovernance);
  REQUIRE_FALSE(transient.has_value());
  CHECK(transient.error().kind == ErrorKind::transient);
}

TEST_CASE("lock pre-flight: versioning must be Enabled, and readable") {
  FakeObjectStore inner;
  inner.enable_object_lock();
  SuspendedVersioning store(inner);
  const auto suspended = check_object_lock(store, kGovernance);
  REQUIRE_FALSE(suspended.has_value());
  CHECK(suspended.error().kind == ErrorKind::config);
  CHECK(contains(suspended.error().message, "versioning is suspended"));

  FakeObjectStore denied;
  denied.enable_object_lock();
  denied.deny(Op::get_bucket_versioning);
  const auto unreadable = check_object_lock(denied, kGovernance);
  REQUIRE_FALSE(unreadable.has_value());
  CHECK(unreadable.error().kind == ErrorKind::config);
  CHECK(contains(unreadable.error().message, "s3:GetBucketVersioning"));
}

}  // namespace erp::app
