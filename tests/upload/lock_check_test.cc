// A written object's Object Lock read back and applied where the store dropped it
// (upload/lock_check.h), and the sink's locked writes (upload/multipart_sink.h, options.lock).
#include "upload/lock_check.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fakes/fake_object_store.h"
#include "fakes/forwarding_object_store.h"
#include "fakes/random_bytes.h"
#include "upload/confirm_write.h"
#include "upload/multipart_sink.h"

namespace erp::upload {
namespace {

using namespace std::chrono_literals;
using s3::LockMode;
using s3::ObjectLock;
using testing::FakeObjectStore;
using Op = FakeObjectStore::Op;

constexpr char kKey[] = "erp/prod/db/20261207T020000Z.dump";
const std::chrono::sys_seconds kStart =
    std::chrono::sys_days{std::chrono::year{2026} / 12 / 7} + 2h;
// What a set started at kStart is written with: 30 daily days + a 2-day margin.
const ObjectLock kWanted{LockMode::governance, kStart + std::chrono::days{32}};

std::vector<FakeObjectStore::Call> calls_of(const FakeObjectStore& store, Op op) {
  std::vector<FakeObjectStore::Call> result;
  for (const auto& call : store.calls()) {
    if (call.op == op) result.push_back(call);
  }
  return result;
}

std::vector<Op> ops(const FakeObjectStore& store) {
  std::vector<Op> result;
  for (const auto& call : store.calls()) result.push_back(call.op);
  return result;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A store that answers PutObjectRetention with success and keeps nothing (what SeaweedFS-like
// stores do with lock requests).
class IgnoresRetention final : public testing::ForwardingObjectStore {
 public:
  using ForwardingObjectStore::ForwardingObjectStore;
  Result<void> put_object_retention(std::string_view, std::string_view,
                                    const ObjectLock&) override {
    ++calls;
    return {};
  }
  int calls = 0;
};

// A bucket with Object Lock (so versioned), its clock at kStart.
void lock_bucket(FakeObjectStore& store) {
  store.enable_object_lock();
  store.set_now(kStart);
}

}  // namespace

TEST_CASE("a lock covers another when its date is no earlier and its mode no weaker") {
  const ObjectLock governance{LockMode::governance, kStart + 24h};
  const ObjectLock compliance{LockMode::compliance, kStart + 24h};
  CHECK(stronger(LockMode::governance, LockMode::compliance) == LockMode::compliance);
  CHECK(stronger(LockMode::compliance, LockMode::governance) == LockMode::compliance);
  CHECK(stronger(LockMode::governance, LockMode::governance) == LockMode::governance);
  CHECK(covers(governance, governance));
  CHECK(covers(compliance, governance));
  CHECK_FALSE(covers(governance, compliance));
  CHECK_FALSE(covers(std::nullopt, governance));
  CHECK_FALSE(covers(ObjectLock{LockMode::compliance, kStart + 24h - 1s}, governance));
  // Extending never shortens nor weakens what is there.
  CHECK(extended(std::nullopt, governance) == governance);
  CHECK(extended(ObjectLock{LockMode::compliance, kStart + 48h}, governance) ==
        ObjectLock{LockMode::compliance, kStart + 48h});
  CHECK(extended(ObjectLock{LockMode::governance, kStart}, compliance) == compliance);
  CHECK(describe(governance) == "GOVERNANCE until 2026-12-08T02:00:00Z");
  CHECK(describe(std::nullopt) == "no lock");
}

TEST_CASE("an object written with its lock costs one HEAD and no retention call") {
  FakeObjectStore store;
  lock_bucket(store);
  REQUIRE(store.put_object(kKey, std::string("dump"), s3::WriteCondition::if_absent, kWanted));
  const auto before = store.calls().size();
  const auto locked = ensure_locked(store, kKey, kWanted);
  REQUIRE_MESSAGE(locked.has_value(), locked.error().message);
  CHECK(locked->lock == kWanted);
  CHECK_FALSE(locked->version_id.empty());
  CHECK(store.calls().size() == before + 1);
  CHECK(store.count(Op::put_object_retention) == 0);
}

TEST_CASE("a multipart object whose lock the store dropped gets PutObjectRetention, verified") {
  FakeObjectStore store;
  lock_bucket(store);
  store.drop_lock_on_multipart();  // RGW 16, moto
  BufferPool pool(1 << 20);
  MultipartSinkOptions options{.first_part_size = 1024, .concurrency = 2, .lock = kWanted};
  MultipartSink sink(store, pool, kKey, options);
  const std::string data = testing::random_bytes(3000, 7);
  REQUIRE(sink.write({data.data(), data.size()}).has_value());
  REQUIRE(sink.finish().has_value());
  REQUIRE(sink.stats().multipart);
  // The sink asked for the lock when it created the upload...
  const auto created = calls_of(store, Op::create_multipart_upload);
  REQUIRE(created.size() == 1);
  CHECK(created[0].lock == kWanted);
  // ...and the store completed the object without it.
  const auto versions = store.versions(kKey);
  REQUIRE(versions.size() == 1);
  CHECK_FALSE(versions[0].lock.has_value());

  const auto calls_before = store.calls().size();
  const auto locked = ensure_locked(store, kKey, kWanted);
  REQUIRE_MESSAGE(locked.has_value(), locked.error().message);
  CHECK(locked->version_id == versions[0].version_id);
  CHECK(locked->lock == kWanted);
  CHECK(store.versions(kKey)[0].lock == kWanted);
  const auto after = ops(store);
  REQUIRE(after.size() == calls_before + 3);
  CHECK(after[calls_before] == Op::head_object);
  CHECK(after[calls_before + 1] == Op::put_object_retention);
  CHECK(after[calls_before + 2] == Op::head_object_version);
  const auto retention = calls_of(store, Op::put_object_retention);
  REQUIRE(retention.size() == 1);
  CHECK(retention[0].key == kKey);
  CHECK(retention[0].version_id == versions[0].version_id);
  CHECK(retention[0].lock == kWanted);
}

TEST_CASE("the sink's single PUT carries the lock; without one it asks for none") {
  FakeObjectStore store;
  lock_bucket(store);
  BufferPool pool(1 << 20);
  {
    MultipartSink sink(
        store, pool, kKey,
        {.first_part_size = 1024, .condition = s3::WriteCondition::if_absent, .lock = kWanted});
    REQUIRE(sink.write(std::string("small")).has_value());
    REQUIRE(sink.finish().has_value());
  }
  const auto puts = calls_of(store, Op::put_object);
  REQUIRE(puts.size() == 1);
  CHECK(puts[0].lock == kWanted);
  CHECK(puts[0].if_absent);
  CHECK(store.versions(kKey).back().lock == kWanted);

  FakeObjectStore plain;
  MultipartSink sink(plain, pool, kKey, {.first_part_size = 1024});
  const std::string data = testing::random_bytes(3000, 8);
  REQUIRE(sink.write({data.data(), data.size()}).has_value());
  REQUIRE(sink.finish().has_value());
  for (const auto& call : plain.calls()) CHECK_FALSE(call.lock.has_value());
}

TEST_CASE("put_new_object writes the manifest with the lock it is given") {
  FakeObjectStore store;
  lock_bucket(store);
  REQUIRE(put_new_object(store, kKey, std::string("{}"), kWanted).has_value());
  const auto puts = calls_of(store, Op::put_object);
  REQUIRE(puts.size() == 1);
  CHECK(puts[0].lock == kWanted);
  CHECK(puts[0].if_absent);
}

TEST_CASE("a lock is only ever extended: a longer compliance lock stays, a weaker one is raised") {
  FakeObjectStore store;
  lock_bucket(store);
  const ObjectLock longer{LockMode::compliance, kStart + std::chrono::days{400}};
  store.seed_version(kKey, "dump", longer);
  auto kept = ensure_locked(store, kKey, kWanted);
  REQUIRE(kept.has_value());
  CHECK(kept->lock == longer);
  CHECK(store.count(Op::put_object_retention) == 0);

  FakeObjectStore short_store;
  lock_bucket(short_store);
  short_store.seed_version(kKey, "dump", ObjectLock{LockMode::governance, kStart + 24h});
  const ObjectLock compliance{LockMode::compliance, kStart + std::chrono::days{32}};
  auto raised = ensure_locked(short_store, kKey, compliance);
  REQUIRE_MESSAGE(raised.has_value(), raised.error().message);
  CHECK(raised->lock == compliance);
}

TEST_CASE("a store that refuses the retention fails the object, naming key and version") {
  FakeObjectStore store;
  lock_bucket(store);
  const std::string version = store.seed_version(kKey, "dump");  // written unlocked
  store.deny(Op::put_object_retention);
  const auto refused = ensure_locked(store, kKey, kWanted);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == "AccessDenied");
  CHECK(contains(refused.error().message, std::string(kKey) + " version " + version));
  CHECK(contains(refused.error().message, "wanted GOVERNANCE until 2027-01-08T02:00:00Z"));
}

TEST_CASE("a store that accepts the retention and keeps nothing fails the object") {
  FakeObjectStore inner;
  lock_bucket(inner);
  inner.seed_version(kKey, "dump");
  IgnoresRetention store(inner);
  const auto ignored = ensure_locked(store, kKey, kWanted);
  REQUIRE_FALSE(ignored.has_value());
  CHECK(store.calls == 1);
  CHECK(ignored.error().kind == ErrorKind::permanent);
  CHECK(contains(ignored.error().message, "still has no lock after PutObjectRetention"));
  CHECK(contains(ignored.error().message, "OBJECT_LOCK_MODE=off"));
}

TEST_CASE("an unversioned bucket has no version to lock") {
  FakeObjectStore store;  // no versioning, no lock
  store.seed(kKey, "dump");
  const auto refused = ensure_locked(store, kKey, kWanted);
  REQUIRE_FALSE(refused.has_value());
  CHECK(contains(refused.error().message, "names no version"));
  CHECK(store.count(Op::put_object_retention) == 0);
}

}  // namespace erp::upload
