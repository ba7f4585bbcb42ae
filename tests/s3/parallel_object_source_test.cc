// ParallelObjectSource: ranged GETs in parallel, bytes in order, memory bounded by the window.
#include "s3/parallel_object_source.h"

#include <doctest/doctest.h>

#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "core/cancellation.h"
#include "fakes/fake_object_store.h"
#include "fakes/forwarding_object_store.h"
#include "fakes/random_bytes.h"

namespace erp::s3 {
namespace {

using testing::FakeObjectStore;

std::string random_bytes(std::size_t size) {
  return testing::random_bytes(size, 21);
}

Result<std::string> read_all(ByteSource& source, std::size_t chunk) {
  std::string out;
  std::string buffer(chunk, '\0');
  for (;;) {
    auto n = source.read({buffer.data(), buffer.size()});
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return out;
    out.append(buffer.data(), *n);
  }
}

// Records the ranges asked for.
class RangeRecorder final : public testing::ForwardingObjectStore {
 public:
  using ForwardingObjectStore::ForwardingObjectStore;
  Result<void> get_object(std::string_view key, ByteSink& sink,
                          std::optional<ByteRange> range) override {
    {
      std::lock_guard lock(mutex_);
      if (range) ranges_.emplace_back(range->first, range->last.value_or(~0ull));
    }
    return ForwardingObjectStore::get_object(key, sink, range);
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges() {
    std::lock_guard lock(mutex_);
    return ranges_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_;
};

}  // namespace

TEST_CASE("an object is cut into consecutive ranges, the last one shorter") {
  CHECK(plan_ranges(0, 4).empty());
  const auto ranges = plan_ranges(10, 4);
  REQUIRE(ranges.size() == 3);
  CHECK(ranges[0].first == 0);
  CHECK(*ranges[0].last == 3);
  CHECK(ranges[1].first == 4);
  CHECK(*ranges[1].last == 7);
  CHECK(ranges[2].first == 8);
  CHECK(*ranges[2].last == 9);
  CHECK(plan_ranges(8, 4).size() == 2);
  CHECK(plan_ranges(1, 16u << 20).size() == 1);
}

TEST_CASE(
    "a parallel source returns the object in order, each range fetched once, memory bounded") {
  FakeObjectStore store;
  const std::string data = random_bytes(100'003);
  store.seed("erp/prod/db/x.dump", data);
  store.set_get_chunk_size(997);
  for (int concurrency : {1, 3, 8}) {
    for (std::size_t range_bytes : {std::size_t{1000}, std::size_t{65'536}, std::size_t{1 << 20}}) {
      CAPTURE(concurrency);
      CAPTURE(range_bytes);
      RangeRecorder recorder(store);
      Cancellation cancellation;
      ParallelObjectSource source(recorder, "erp/prod/db/x.dump", data.size(),
                                  {.concurrency = concurrency, .range_bytes = range_bytes},
                                  cancellation.token());
      const auto read = read_all(source, 4096);
      REQUIRE_MESSAGE(read.has_value(), read.error().message);
      CHECK(*read == data);
      CHECK(source.peak_buffers() <= static_cast<std::size_t>(concurrency) + 1);
      CHECK(source.peak_buffers() >= 1);
      auto asked = recorder.ranges();
      std::set<std::pair<std::uint64_t, std::uint64_t>> unique(asked.begin(), asked.end());
      CHECK(asked.size() == plan_ranges(data.size(), range_bytes).size());
      CHECK(unique.size() == asked.size());
      auto again = source.read({const_cast<char*>(data.data()), 0});
      CHECK(again.has_value());
    }
  }
}

TEST_CASE("a range that fails fails the read, and every read after it") {
  FakeObjectStore store;
  const std::string data = random_bytes(50'000);
  store.seed("erp/prod/db/x.dump", data);
  store.inject_failure({.op = FakeObjectStore::Op::get_object,
                        .error = Error{ErrorKind::not_found, "gone"},
                        .times = -1});
  Cancellation cancellation;
  ParallelObjectSource source(store, "erp/prod/db/x.dump", data.size(),
                              {.concurrency = 3, .range_bytes = 4096}, cancellation.token());
  auto read = read_all(source, 1000);
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().kind == ErrorKind::not_found);
  char byte = 0;
  auto again = source.read({&byte, 1});
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().kind == ErrorKind::not_found);
}

TEST_CASE("a source destroyed early stops its workers") {
  FakeObjectStore store;
  const std::string data = random_bytes(200'000);
  store.seed("erp/prod/db/x.dump", data);
  Cancellation cancellation;
  {
    ParallelObjectSource source(store, "erp/prod/db/x.dump", data.size(),
                                {.concurrency = 4, .range_bytes = 1000}, cancellation.token());
    std::string head(10, '\0');
    auto n = source.read({head.data(), head.size()});
    REQUIRE(n.has_value());
    CHECK(head == data.substr(0, *n));
  }  // joined here: no range of the 200 fetched beyond the window
  CHECK(store.count(FakeObjectStore::Op::get_object) <= 6);
}

}  // namespace erp::s3
