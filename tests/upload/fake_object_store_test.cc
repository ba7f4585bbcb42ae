// The shared in-memory store behaves like S3 where tests of the sink, the catalog and the
// commands rely on it.
#include "fakes/fake_object_store.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace erp::testing {
namespace {

using Op = FakeObjectStore::Op;

std::span<const char> span_of(const std::string& data) {
  return {data.data(), data.size()};
}

class StringSink final : public ByteSink {
 public:
  Result<void> write(std::span<const char> data) override {
    text.append(data.data(), data.size());
    ++writes;
    return {};
  }
  Result<void> finish() override { return {}; }
  void abort() noexcept override {}
  std::string text;
  int writes = 0;
};

}  // namespace

TEST_CASE("fake store: ETags look like S3's, plain MD5 for a PUT and MD5-of-MD5s-N for multipart") {
  FakeObjectStore store;
  const std::string hello = "hello";
  auto put = store.put_object("a", span_of(hello));
  REQUIRE(put.has_value());
  CHECK(*put == "5d41402abc4b2a76b9719d911017c592");

  auto id = store.create_multipart_upload("b");
  REQUIRE(id.has_value());
  auto p1 = store.upload_part("b", *id, 1, span_of(hello));
  auto p2 = store.upload_part("b", *id, 2, span_of(hello));
  REQUIRE(p1.has_value());
  REQUIRE(p2.has_value());
  auto done = store.complete_multipart_upload("b", *id, {{1, *p1}, {2, *p2}});
  REQUIRE(done.has_value());
  CHECK(done->size() == 34);
  CHECK(done->ends_with("-2"));
  CHECK(store.object("b") == "hellohello");
  CHECK(store.pending_uploads() == 0);
}

TEST_CASE("fake store: complete refuses parts out of order, unknown ETags and small parts") {
  FakeObjectStore store;
  const std::string body = "abc";
  auto id = store.create_multipart_upload("k");
  REQUIRE(id.has_value());
  auto p1 = store.upload_part("k", *id, 1, span_of(body));
  auto p2 = store.upload_part("k", *id, 2, span_of(body));
  REQUIRE(p1.has_value());
  REQUIRE(p2.has_value());

  auto reversed = store.complete_multipart_upload("k", *id, {{2, *p2}, {1, *p1}});
  REQUIRE_FALSE(reversed.has_value());
  CHECK(reversed.error().message.find("InvalidPartOrder") != std::string::npos);
  auto wrong = store.complete_multipart_upload("k", *id, {{1, "bogus"}, {2, *p2}});
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().message.find("InvalidPart") != std::string::npos);
  store.set_min_part_size(5);
  auto small = store.complete_multipart_upload("k", *id, {{1, *p1}, {2, *p2}});
  REQUIRE_FALSE(small.has_value());
  CHECK(small.error().message.find("EntityTooSmall") != std::string::npos);
  CHECK(store.pending_uploads() == 1);

  CHECK(store.abort_multipart_upload("k", *id).has_value());
  auto again = store.abort_multipart_upload("k", *id);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().kind == ErrorKind::not_found);
}

TEST_CASE("fake store: listing pages through keys and groups common prefixes") {
  FakeObjectStore store;
  for (const char* key :
       {"erp/prod/db/1.dump", "erp/prod/db/2.dump", "erp/prod/docs/1.tar.zst",
        "erp/prod/last-success.json", "erp/prod/manifests/1.json", "erp/sandbox/db/1.dump"}) {
    store.seed(key, "x");
  }
  auto top = store.list_objects_v2("erp/prod/", "", "/", 0);
  REQUIRE(top.has_value());
  CHECK(top->common_prefixes ==
        std::vector<std::string>{"erp/prod/db/", "erp/prod/docs/", "erp/prod/manifests/"});
  REQUIRE(top->objects.size() == 1);
  CHECK(top->objects[0].key == "erp/prod/last-success.json");
  CHECK_FALSE(top->next_continuation_token.has_value());

  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = store.list_objects_v2("erp/prod/", token, "", 2);
    REQUIRE(page.has_value());
    for (const auto& object : page->objects) seen.push_back(object.key);
    token = page->next_continuation_token.value_or("");
    ++pages;
  } while (!token.empty());
  CHECK(pages == 3);
  CHECK(seen.size() == 5);

  std::vector<std::string> prefixes;
  token.clear();
  do {
    auto page = store.list_objects_v2("erp/prod/", token, "/", 1);
    REQUIRE(page.has_value());
    for (const auto& prefix : page->common_prefixes) prefixes.push_back(prefix);
    token = page->next_continuation_token.value_or("");
  } while (!token.empty());
  CHECK(prefixes.size() == 3);  // each once, although db/ holds two keys
}

TEST_CASE("fake store: ranged GETs stream the requested bytes") {
  FakeObjectStore store;
  store.seed("k", "0123456789");
  store.set_get_chunk_size(3);
  StringSink whole;
  REQUIRE(store.get_object("k", whole, std::nullopt).has_value());
  CHECK(whole.text == "0123456789");
  CHECK(whole.writes == 4);

  StringSink middle;
  REQUIRE(store.get_object("k", middle, s3::ByteRange{2, 5}).has_value());
  CHECK(middle.text == "2345");
  StringSink tail;
  REQUIRE(store.get_object("k", tail, s3::ByteRange{7, std::nullopt}).has_value());
  CHECK(tail.text == "789");
  StringSink none;
  CHECK_FALSE(store.get_object("k", none, s3::ByteRange{10, std::nullopt}).has_value());
  auto missing = store.get_object("nope", none, std::nullopt);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().kind == ErrorKind::not_found);
}

TEST_CASE("fake store: injected failures fire as often as asked, before or after taking effect") {
  FakeObjectStore store;
  const std::string body = "x";
  store.inject_failure({.op = Op::put_object, .times = 2});
  CHECK_FALSE(store.put_object("a", span_of(body)).has_value());
  CHECK_FALSE(store.put_object("a", span_of(body)).has_value());
  CHECK_FALSE(store.object("a").has_value());
  CHECK(store.put_object("a", span_of(body)).has_value());

  store.inject_failure({.op = Op::delete_object, .after_apply = true});
  CHECK_FALSE(store.delete_object("a").has_value());
  CHECK_FALSE(store.object("a").has_value());  // deleted although the call failed

  store.seed("b", "1");
  store.seed("c", "2");
  store.inject_failure({.op = Op::delete_objects, .key = "c", .times = -1});
  auto refused = store.delete_objects({"b", "c"});
  REQUIRE(refused.has_value());
  REQUIRE(refused->size() == 1);
  CHECK((*refused)[0].key == "c");
  CHECK(store.keys() == std::vector<std::string>{"c"});
  CHECK(store.count(Op::put_object) == 3);
}

}  // namespace erp::testing
