// ObjectSource pulls an object through get_object with bounded buffering.
#include "s3/object_source.h"

#include <doctest/doctest.h>

#include <random>
#include <string>

#include "codec/digest.h"
#include "codec/sha256_source.h"
#include "fakes/fake_object_store.h"

namespace erp::s3 {
namespace {

using testing::FakeObjectStore;

std::string random_bytes(std::size_t size) {
  std::mt19937_64 random(11);
  std::string data(size, '\0');
  for (char& c : data) c = static_cast<char>(random());
  return data;
}

std::string read_all(ByteSource& source, std::size_t chunk) {
  std::string out;
  std::string buffer(chunk, '\0');
  for (;;) {
    auto n = source.read({buffer.data(), buffer.size()});
    REQUIRE_MESSAGE(n.has_value(), n.error().message);
    if (*n == 0) return out;
    out.append(buffer.data(), *n);
  }
}

}  // namespace

TEST_CASE("an object source reads the whole object, whatever the reader's buffer size") {
  FakeObjectStore store;
  const std::string data = random_bytes(3'000'000);
  store.seed("erp/prod/db/x.dump", data);
  store.set_get_chunk_size(7919);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{4096}, std::size_t{1 << 20}}) {
    if (chunk == 1) {
      ObjectSource small(store, "erp/prod/db/x.dump", {.queue_bytes = 64 * 1024});
      std::string head(100, '\0');
      for (std::size_t i = 0; i < head.size(); ++i) {
        auto n = small.read({head.data() + i, 1});
        REQUIRE(n.has_value());
        REQUIRE(*n == 1);
      }
      CHECK(head == data.substr(0, 100));
      continue;  // destroyed early: the fetch stops
    }
    ObjectSource source(store, "erp/prod/db/x.dump", {.queue_bytes = 64 * 1024});
    CHECK(read_all(source, chunk) == data);
    CHECK(source.bytes_read() == data.size());
  }
}

TEST_CASE("the hashing stage sees the stored bytes and can drain the rest") {
  FakeObjectStore store;
  const std::string data = random_bytes(500'000);
  store.seed("k", data);
  ObjectSource object(store, "k");
  codec::Sha256Source hashed(object);
  char first[10];
  REQUIRE(hashed.read(first).has_value());
  CHECK(hashed.hex().empty());  // not at the end yet
  REQUIRE(hashed.drain().has_value());
  CHECK(hashed.at_end());
  CHECK(hashed.bytes() == data.size());
  CHECK(hashed.hex() == codec::sha256_hex(data));
}

TEST_CASE("a missing object or a failing store ends the read with the store's error") {
  FakeObjectStore store;
  ObjectSource missing(store, "absent");
  char buffer[16];
  const auto absent = missing.read(buffer);
  REQUIRE_FALSE(absent.has_value());
  CHECK(absent.error().kind == ErrorKind::not_found);

  store.seed("k", random_bytes(100));
  store.inject_failure({.op = FakeObjectStore::Op::get_object,
                        .error = {ErrorKind::transient, "gave up after 7 attempts"}});
  ObjectSource failing(store, "k");
  const auto failed = failing.read(buffer);
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().kind == ErrorKind::transient);
}

}  // namespace erp::s3
