// put_new_object (upload/confirm_write.h): the manifest's and the lease's write. It never
// replaces an object: the PUT is conditional, and a key that is taken by another object fails
// the write with that object left as it was. A store that ignores the condition (moto on a
// versioned bucket, Ceph RGW 16) is the lease's and the recheck's job, not this function's.
#include <doctest/doctest.h>

#include <string>

#include "fakes/fake_object_store.h"
#include "upload/confirm_write.h"

namespace erp::upload {
namespace {

using testing::FakeObjectStore;
using Op = FakeObjectStore::Op;

constexpr char kKey[] = "erp/prod/manifests/20260101T000000Z.json";

std::span<const char> span_of(const std::string& data) {
  return {data.data(), data.size()};
}

}  // namespace

TEST_CASE("put_new_object writes a new key with a conditional PUT and returns its ETag") {
  FakeObjectStore store;
  const std::string body = R"({"id": "20260101T000000Z"})";
  auto etag = put_new_object(store, kKey, span_of(body));
  REQUIRE(etag.has_value());
  CHECK_FALSE(etag->empty());
  REQUIRE(store.count(Op::put_object) == 1);
  CHECK(store.calls().back().if_absent);
  CHECK(store.object(kKey) == body);
}

TEST_CASE("put_new_object never replaces another run's object: it fails naming the key") {
  FakeObjectStore store;
  const std::string theirs = R"({"id": "20260101T000000Z", "host": "the other run"})";
  store.seed(kKey, theirs);
  auto written = put_new_object(store, kKey, span_of(std::string(R"({"host": "this run"})")));
  REQUIRE_FALSE(written.has_value());
  CHECK(written.error().message.find(kKey) != std::string::npos);
  CHECK(written.error().message.find("left untouched") != std::string::npos);
  CHECK(store.object(kKey) == theirs);
  CHECK(store.count(Op::delete_object) == 0);
}

TEST_CASE("put_new_object whose own earlier attempt took the key is a success") {
  // The first attempt's answer was lost; the retry met the object that attempt wrote (412).
  FakeObjectStore store;
  const std::string body = R"({"id": "20260101T000000Z"})";
  store.seed(kKey, body);
  auto etag = put_new_object(store, kKey, span_of(body));
  REQUIRE(etag.has_value());
  CHECK(store.object(kKey) == body);
}

}  // namespace erp::upload
