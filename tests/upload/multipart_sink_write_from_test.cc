// MultipartSink::write_from: a source read straight into the part buffers gives the same object
// and the same requests as write() of the same bytes, whatever sizes its reads return.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fakes/fake_object_store.h"
#include "fakes/random_bytes.h"
#include "upload/multipart_sink.h"

namespace erp::upload {
namespace {

using testing::FakeObjectStore;
using Op = FakeObjectStore::Op;

constexpr char kKey[] = "erp/prod/put/object";

using testing::random_bytes;

// Hands out `data` in reads of at most `max_read` bytes (random sizes from 1 when `random_sizes`,
// like a pipe's short reads), then 0 forever. Records the size of every buffer it was offered.
class ScriptedSource final : public ByteSource {
 public:
  ScriptedSource(std::string data, std::size_t max_read, bool random_sizes = false,
                 std::uint64_t seed = 1)
      : data_(std::move(data)), max_read_(max_read), random_sizes_(random_sizes), random_(seed) {}

  Result<std::size_t> read(std::span<char> buffer) override {
    offered.push_back(buffer.size());
    if (fail_at_ && at_ >= *fail_at_) {
      return make_error(ErrorKind::permanent, "read: Input/output error");
    }
    std::size_t n = std::min({buffer.size(), max_read_, data_.size() - at_});
    if (random_sizes_ && n > 1) n = 1 + random_() % n;
    std::copy_n(data_.data() + at_, n, buffer.data());
    at_ += n;
    return n;
  }

  // From offset `at` on, every read fails.
  void fail_at(std::size_t at) { fail_at_ = at; }

  std::vector<std::size_t> offered;

 private:
  std::string data_;
  std::size_t max_read_;
  bool random_sizes_;
  std::mt19937_64 random_;
  std::size_t at_ = 0;
  std::optional<std::size_t> fail_at_;
};

MultipartSinkOptions options(std::uint64_t first_part_size, int concurrency) {
  MultipartSinkOptions result;
  result.first_part_size = first_part_size;
  result.concurrency = concurrency;
  return result;
}

std::vector<std::uint64_t> part_sizes(const FakeObjectStore& store) {
  std::vector<FakeObjectStore::Call> parts;
  for (const auto& call : store.calls()) {
    if (call.op == Op::upload_part) parts.push_back(call);
  }
  std::ranges::sort(parts, {}, &FakeObjectStore::Call::part_number);
  std::vector<std::uint64_t> sizes;
  for (const auto& part : parts) sizes.push_back(part.bytes);
  return sizes;
}

}  // namespace

TEST_CASE("write_from stores what the source yields, whatever sizes its short reads have") {
  for (const std::size_t max_read :
       {std::size_t{1}, std::size_t{7}, std::size_t{1000}, std::size_t{1024}, std::size_t{5000}}) {
    CAPTURE(max_read);
    FakeObjectStore store;
    BufferPool pool(1 << 20);
    const std::string data = random_bytes(10 * 1024 + 333, max_read);
    ScriptedSource source(data, max_read, /*random_sizes=*/true, max_read);
    MultipartSink sink(store, pool, kKey, options(1024, 3));
    REQUIRE(sink.write_from(source).has_value());
    REQUIRE(sink.finish().has_value());

    CHECK(store.object(kKey) == data);
    CHECK(sink.stats().bytes == data.size());
    CHECK(part_sizes(store) == std::vector<std::uint64_t>{1024, 1024, 1024, 1024, 1024, 1024, 1024,
                                                          1024, 1024, 1024, 333});
    CHECK(store.pending_uploads() == 0);
    CHECK(pool.in_use() == 0);
  }
}

TEST_CASE("write_from offers the source the whole free space of the part, not a small buffer") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  const std::string data = random_bytes(3000, 4);
  ScriptedSource source(data, 600);
  MultipartSink sink(store, pool, kKey, options(1024, 2));
  REQUIRE(sink.write_from(source).has_value());
  REQUIRE(sink.finish().has_value());

  // Part 1: 1024, 424 left; then the part is full: a probe read (kProbeBytes) whose 600 bytes
  // start part 2, which then offers the 424 left; and so on.
  REQUIRE(source.offered.size() >= 3);
  CHECK(source.offered[0] == 1024);
  CHECK(source.offered[1] == 424);
  CHECK(source.offered[2] == MultipartSink::kProbeBytes);
  CHECK(source.offered[3] == 424);
  CHECK(store.object(kKey) == data);
}

TEST_CASE("a source that ends exactly at the end of the first part is a single PUT") {
  for (const std::size_t max_read : {std::size_t{1024}, std::size_t{512}, std::size_t{100}}) {
    CAPTURE(max_read);
    FakeObjectStore store;
    BufferPool pool(1 << 20);
    const std::string data = random_bytes(1024, 5);
    ScriptedSource source(data, max_read);
    MultipartSink sink(store, pool, kKey, options(1024, 4));
    REQUIRE(sink.write_from(source).has_value());
    REQUIRE(sink.finish().has_value());

    CHECK(store.count(Op::put_object) == 1);
    CHECK(store.count(Op::create_multipart_upload) == 0);
    CHECK(store.object(kKey) == data);
    CHECK_FALSE(sink.stats().multipart);
  }
}

TEST_CASE("a source that ends exactly at a later part boundary sends no empty last part") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  const std::string data = random_bytes(3 * 1024, 6);
  ScriptedSource source(data, 1024);
  MultipartSink sink(store, pool, kKey, options(1024, 4));
  REQUIRE(sink.write_from(source).has_value());
  REQUIRE(sink.finish().has_value());

  CHECK(part_sizes(store) == std::vector<std::uint64_t>{1024, 1024, 1024});
  CHECK(store.object(kKey) == data);
  CHECK(sink.stats().parts == 3);
}

TEST_CASE("an empty source puts an empty object") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  ScriptedSource source("", 1024);
  MultipartSink sink(store, pool, kKey, options(1024, 4));
  REQUIRE(sink.write_from(source).has_value());
  REQUIRE(sink.finish().has_value());

  CHECK(store.count(Op::put_object) == 1);
  CHECK(store.calls().size() == 1);
  CHECK(store.object(kKey) == std::string());
  CHECK(pool.in_use() == 0);
}

TEST_CASE("write_from after write() continues the same object") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  const std::string head = random_bytes(1500, 7);
  const std::string tail = random_bytes(2000, 8);
  ScriptedSource source(tail, 300, /*random_sizes=*/true);
  MultipartSink sink(store, pool, kKey, options(1024, 2));
  REQUIRE(sink.write({head.data(), head.size()}).has_value());
  REQUIRE(sink.write_from(source).has_value());
  REQUIRE(sink.finish().has_value());

  CHECK(store.object(kKey) == head + tail);
  CHECK(part_sizes(store) == std::vector<std::uint64_t>{1024, 1024, 1024, 428});
}

TEST_CASE("a read error is returned as the source reported it, and abort() cleans up") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  ScriptedSource source(random_bytes(5000, 9), 700);
  source.fail_at(2500);
  MultipartSink sink(store, pool, kKey, options(1024, 2));
  const auto written = sink.write_from(source);
  REQUIRE_FALSE(written.has_value());
  CHECK(written.error().message == "read: Input/output error");
  CHECK(store.pending_uploads() == 1);  // the sink stays open until its owner decides

  sink.abort();
  CHECK(store.count(Op::abort_multipart_upload) == 1);
  CHECK(store.pending_uploads() == 0);
  CHECK_FALSE(store.object(kKey).has_value());
  CHECK(pool.in_use() == 0);
}

TEST_CASE("a failed part ends write_from with the part's error and aborts the upload") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  store.inject_failure({.op = Op::upload_part,
                        .error = {ErrorKind::permanent, "AccessDenied"},
                        .part_number = 2,
                        .times = -1});
  ScriptedSource source(random_bytes(20 * 1024, 10), 1024);
  MultipartSink sink(store, pool, kKey, options(1024, 1));
  auto result = sink.write_from(source);
  if (result) result = sink.finish();  // the failure may only be seen when finishing
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().message.find("part 2") != std::string::npos);
  CHECK(result.error().message.find("AccessDenied") != std::string::npos);
  CHECK(store.count(Op::abort_multipart_upload) == 1);
  CHECK(store.pending_uploads() == 0);
  CHECK(sink.stats().aborted);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("write_from after finish() is an error") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  ScriptedSource source("abc", 10);
  MultipartSink sink(store, pool, kKey, options(1024, 1));
  REQUIRE(sink.write_from(source).has_value());
  REQUIRE(sink.finish().has_value());
  ScriptedSource more("def", 10);
  CHECK_FALSE(sink.write_from(more).has_value());
  CHECK(more.offered.empty());
}

}  // namespace erp::upload
