// The fake store's model of versions and Object Lock (issue 20): what the backup's locked
// writes, the canary and prune's deletion by version are tested against must behave as S3 does.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "fakes/fake_object_store.h"

namespace erp::testing {
namespace {

using namespace std::chrono;
using Op = FakeObjectStore::Op;
using s3::LockMode;
using s3::ObjectLock;

constexpr sys_seconds kNow = sys_days{year{2026} / 1 / 1};

std::span<const char> span_of(const std::string& data) {
  return {data.data(), data.size()};
}

ObjectLock lock_for(LockMode mode, days ahead) {
  return ObjectLock{mode, kNow + ahead};
}

}  // namespace

TEST_CASE(
    "fake store versions: puts make versions, a delete adds a marker, HEAD answers the "
    "latest") {
  FakeObjectStore store;
  store.enable_versioning();
  const std::string one = "one";
  const std::string two = "two";
  REQUIRE(store.put_object("k", span_of(one)).has_value());
  REQUIRE(store.put_object("k", span_of(two)).has_value());
  auto head = store.head_object("k");
  REQUIRE(head.has_value());
  const auto versions = store.versions("k");
  REQUIRE(versions.size() == 2);
  CHECK(versions[0].version_id != versions[1].version_id);
  CHECK(head->version_id == versions[1].version_id);
  CHECK(store.object("k") == "two");

  REQUIRE(store.delete_object("k").has_value());
  CHECK_FALSE(store.object("k").has_value());
  auto gone = store.head_object("k");
  REQUIRE_FALSE(gone.has_value());
  CHECK(gone.error().kind == ErrorKind::not_found);
  REQUIRE(store.versions("k").size() == 3);
  CHECK(store.versions("k")[2].delete_marker);
  // The old versions are still there, each by its id; the marker is not a readable version.
  auto first = store.head_object_version("k", versions[0].version_id);
  REQUIRE(first.has_value());
  CHECK(first->size == 3);
  auto marker = store.head_object_version("k", store.versions("k")[2].version_id);
  REQUIRE_FALSE(marker.has_value());
  CHECK(marker.error().kind == ErrorKind::not_found);
  CHECK(store.head_object_version("k", "no-such-version").error().kind == ErrorKind::not_found);

  // Listed by key, newest first, with the latest flagged.
  auto listed = store.list_object_versions("");
  REQUIRE(listed.has_value());
  REQUIRE(listed->size() == 3);
  CHECK((*listed)[0].delete_marker);
  CHECK((*listed)[0].is_latest);
  CHECK((*listed)[2].version_id == versions[0].version_id);
  CHECK_FALSE((*listed)[2].is_latest);

  // Deleting the marker brings the previous version back; deleting every version empties the key.
  REQUIRE(store.delete_object_version("k", (*listed)[0].version_id).has_value());
  CHECK(store.object("k") == "two");
  REQUIRE(store.delete_object_version("k", versions[1].version_id).has_value());
  CHECK(store.object("k") == "one");
  REQUIRE(store.delete_object_version("k", versions[0].version_id).has_value());
  CHECK(store.versioned_keys().empty());
  CHECK(store.keys().empty());
  // Absent: S3 answers success.
  CHECK(store.delete_object_version("k", versions[0].version_id).has_value());
}

TEST_CASE("fake store versions: delete_objects adds a marker per key, listings hide them") {
  FakeObjectStore store;
  store.enable_versioning();
  store.seed("p/a", "a");
  store.seed("p/b", "b");
  auto refused = store.delete_objects({"p/a", "p/b"});
  REQUIRE(refused.has_value());
  CHECK(refused->empty());
  CHECK(store.keys().empty());
  CHECK(store.versioned_keys() == std::vector<std::string>{"p/a", "p/b"});
  auto page = store.list_objects_v2("p/", "", "", 0);
  REQUIRE(page.has_value());
  CHECK(page->objects.empty());
  auto listed = store.list_object_versions("p/");
  REQUIRE(listed.has_value());
  CHECK(listed->size() == 4);
}

TEST_CASE("fake store lock: writes carry the lock, multipart too unless the store drops it") {
  FakeObjectStore store;
  store.enable_object_lock();
  const ObjectLock lock = lock_for(LockMode::governance, days{30});
  const std::string body = "body";
  REQUIRE(store.put_object("single", span_of(body), s3::WriteCondition::none, lock).has_value());
  auto head = store.head_object("single");
  REQUIRE(head.has_value());
  CHECK(head->lock == lock);

  auto id = store.create_multipart_upload("multi", lock);
  REQUIRE(id.has_value());
  auto part = store.upload_part("multi", *id, 1, span_of(body));
  REQUIRE(part.has_value());
  REQUIRE(store.complete_multipart_upload("multi", *id, {{1, *part}}).has_value());
  CHECK(store.head_object("multi")->lock == lock);

  store.drop_lock_on_multipart();
  id = store.create_multipart_upload("dropped", lock);
  REQUIRE(id.has_value());
  part = store.upload_part("dropped", *id, 1, span_of(body));
  REQUIRE(part.has_value());
  REQUIRE(store.complete_multipart_upload("dropped", *id, {{1, *part}}).has_value());
  CHECK_FALSE(store.head_object("dropped")->lock.has_value());

  // The calls record the lock asked for, even where the store dropped it.
  int asked = 0;
  for (const auto& call : store.calls()) {
    if (call.op == Op::put_object || call.op == Op::create_multipart_upload) {
      CHECK(call.lock == lock);
      ++asked;
    }
  }
  CHECK(asked == 3);
}

TEST_CASE("fake store lock: a locked write to a bucket without Object Lock is InvalidRequest") {
  FakeObjectStore store;
  store.enable_versioning();
  const std::string body = "body";
  auto put = store.put_object("k", span_of(body), s3::WriteCondition::none,
                              lock_for(LockMode::governance, days{1}));
  REQUIRE_FALSE(put.has_value());
  CHECK(put.error().code == "InvalidRequest");
  CHECK_FALSE(store.object("k").has_value());
  auto upload = store.create_multipart_upload("k", lock_for(LockMode::governance, days{1}));
  REQUIRE_FALSE(upload.has_value());
  CHECK(upload.error().code == "InvalidRequest");
  auto config = store.get_object_lock_configuration();
  REQUIRE(config.has_value());
  CHECK_FALSE(config->enabled);
  auto versioning = store.get_bucket_versioning();
  REQUIRE(versioning.has_value());
  CHECK(versioning->status == s3::VersioningStatus::enabled);

  FakeObjectStore plain;
  CHECK(plain.get_bucket_versioning()->status == s3::VersioningStatus::unversioned);
  FakeObjectStore locked;
  locked.enable_object_lock();
  CHECK(locked.get_object_lock_configuration()->enabled);
  CHECK(locked.get_bucket_versioning()->status == s3::VersioningStatus::enabled);
}

TEST_CASE("fake store lock: retention only extends, and never weakens compliance") {
  FakeObjectStore store;
  store.enable_object_lock();
  const std::string id = store.seed_version("k", "x", lock_for(LockMode::governance, days{10}));
  const std::string unlocked = store.seed_version("k", "y");

  CHECK(store.put_object_retention("k", id, lock_for(LockMode::governance, days{20})).has_value());
  auto shorter = store.put_object_retention("k", id, lock_for(LockMode::governance, days{15}));
  REQUIRE_FALSE(shorter.has_value());
  CHECK(shorter.error().code == "AccessDenied");
  // Same date again is fine (idempotent); governance -> compliance strengthens.
  CHECK(store.put_object_retention("k", id, lock_for(LockMode::governance, days{20})).has_value());
  CHECK(store.put_object_retention("k", id, lock_for(LockMode::compliance, days{20})).has_value());
  auto weaker = store.put_object_retention("k", id, lock_for(LockMode::governance, days{40}));
  REQUIRE_FALSE(weaker.has_value());
  CHECK(weaker.error().code == "AccessDenied");
  CHECK(store.versions("k")[0].lock == lock_for(LockMode::compliance, days{20}));

  // An object written without a lock gets one; the latest version's HEAD shows it.
  REQUIRE(store.put_object_retention("k", unlocked, lock_for(LockMode::governance, days{5}))
              .has_value());
  CHECK(store.head_object("k")->lock == lock_for(LockMode::governance, days{5}));

  auto missing = store.put_object_retention("k", "nope", lock_for(LockMode::governance, days{5}));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().kind == ErrorKind::not_found);

  const auto last = store.calls().back();
  CHECK(last.op == Op::put_object_retention);
  CHECK(last.version_id == "nope");
  CHECK(last.lock == lock_for(LockMode::governance, days{5}));
}

TEST_CASE("fake store lock: a version is not deletable until its retain-until has passed") {
  FakeObjectStore store;
  store.enable_object_lock();
  const std::string id = store.seed_version("k", "x", lock_for(LockMode::governance, days{3}));
  auto refused = store.delete_object_version("k", id);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().kind == ErrorKind::permanent);
  CHECK(refused.error().code == "AccessDenied");
  CHECK(store.versions("k").size() == 1);
  // A plain delete only hides it behind a marker, which is deletable itself.
  REQUIRE(store.delete_object("k").has_value());
  const auto marker = store.versions("k").back();
  REQUIRE(marker.delete_marker);
  CHECK(store.delete_object_version("k", marker.version_id).has_value());
  CHECK(store.object("k") == "x");

  store.set_now(kNow + days{3});  // retain-until is not after now: it has passed
  CHECK(store.delete_object_version("k", id).has_value());
  CHECK(store.versions("k").empty());
}

TEST_CASE("fake store: deny() answers AccessDenied; delete_objects refuses each key") {
  FakeObjectStore store;
  store.enable_versioning();
  store.seed("a", "a");
  store.seed("b", "b");
  store.deny(Op::delete_objects);
  store.deny(Op::delete_object_version);
  store.deny(Op::delete_object);
  auto refused = store.delete_objects({"a", "b"});
  REQUIRE(refused.has_value());
  REQUIRE(refused->size() == 2);
  CHECK((*refused)[0].key == "a");
  CHECK((*refused)[0].code == "AccessDenied");
  auto version = store.delete_object_version("a", store.versions("a")[0].version_id);
  REQUIRE_FALSE(version.has_value());
  CHECK(version.error().code == "AccessDenied");
  CHECK(version.error().kind == ErrorKind::permanent);
  CHECK(store.delete_object("a").error().code == "AccessDenied");
  CHECK(store.keys() == std::vector<std::string>{"a", "b"});
  CHECK(store.versions("a").size() == 1);
}

TEST_CASE("fake store unversioned: objects list as version \"null\", and nothing else changes") {
  FakeObjectStore store;
  store.seed("a", "a");
  CHECK(store.head_object("a")->version_id.empty());
  auto listed = store.list_object_versions("");
  REQUIRE(listed.has_value());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].version_id == "null");
  CHECK(store.head_object_version("a", "null").has_value());
  REQUIRE(store.delete_object("a").has_value());
  CHECK(store.keys().empty());
  CHECK(store.versions("a").empty());
  store.seed("b", "b");
  CHECK(store.delete_object_version("b", "null").has_value());
  CHECK(store.keys().empty());
  // No lock without Object Lock.
  auto retention = store.put_object_retention("b", "null", lock_for(LockMode::governance, days{1}));
  REQUIRE_FALSE(retention.has_value());
  CHECK(retention.error().code == "InvalidRequest");
}

}  // namespace erp::testing
