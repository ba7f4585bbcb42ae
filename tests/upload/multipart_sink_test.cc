#include "upload/multipart_sink.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fakes/fake_object_store.h"
#include "fakes/random_bytes.h"

namespace erp::upload {
namespace {

using testing::FakeObjectStore;
using Op = FakeObjectStore::Op;

constexpr char kKey[] = "erp/prod/db/20260101T000000Z.dump";

using testing::random_bytes;

std::span<const char> span_of(const std::string& data) {
  return {data.data(), data.size()};
}

// Writes `data` in pieces of random odd sizes between 1 and `max_piece`; stops at the first error.
Result<void> write_in_pieces(ByteSink& sink, const std::string& data, std::size_t max_piece,
                             std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::size_t at = 0;
  while (at < data.size()) {
    std::size_t piece = 1 + random() % max_piece;
    piece |= 1;  // odd sizes never line up with part boundaries by accident
    piece = std::min(piece, data.size() - at);
    if (auto written = sink.write(std::span<const char>(data.data() + at, piece)); !written) {
      return written;
    }
    at += piece;
  }
  return {};
}

std::vector<FakeObjectStore::Call> calls_of(const FakeObjectStore& store, Op op) {
  std::vector<FakeObjectStore::Call> result;
  for (const auto& call : store.calls()) {
    if (call.op == op) result.push_back(call);
  }
  return result;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

MultipartSinkOptions options(std::uint64_t first_part_size, int concurrency) {
  MultipartSinkOptions result;
  result.first_part_size = first_part_size;
  result.concurrency = concurrency;
  return result;
}

}  // namespace

TEST_CASE("a stream smaller than one part is a single PUT") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  const std::string data = random_bytes(1000, 1);
  MultipartSink sink(store, pool, kKey, options(1024, 4));
  REQUIRE(sink.write(span_of(data)).has_value());
  REQUIRE(sink.finish().has_value());

  CHECK(store.count(Op::put_object) == 1);
  CHECK(store.calls().size() == 1);
  CHECK(store.object(kKey) == data);
  CHECK(sink.stats().bytes == 1000);
  CHECK(sink.stats().parts == 1);
  CHECK_FALSE(sink.stats().multipart);
  CHECK(sink.stats().finished);
  CHECK(sink.stats().etag == store.etag(kKey));
  CHECK(pool.in_use() == 0);
}

TEST_CASE("a 0-byte stream puts an empty object") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  MultipartSink sink(store, pool, kKey, options(1024, 4));
  REQUIRE(sink.write({}).has_value());
  REQUIRE(sink.finish().has_value());

  const auto puts = calls_of(store, Op::put_object);
  REQUIRE(puts.size() == 1);
  CHECK(puts[0].bytes == 0);
  CHECK(store.calls().size() == 1);
  CHECK(store.object(kKey) == std::string());
  CHECK(sink.stats().etag == "d41d8cd98f00b204e9800998ecf8427e");  // MD5 of nothing
  CHECK(sink.stats().parts == 1);
  CHECK(pool.high_water() == 0);  // no buffer was needed at all
}

TEST_CASE("a stream of exactly one part is a single PUT") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  const std::string data = random_bytes(1024, 2);
  MultipartSink sink(store, pool, kKey, options(1024, 4));
  REQUIRE(sink.write(span_of(data)).has_value());
  REQUIRE(sink.finish().has_value());

  CHECK(store.count(Op::put_object) == 1);
  CHECK(store.count(Op::create_multipart_upload) == 0);
  CHECK(store.object(kKey) == data);
  CHECK_FALSE(sink.stats().multipart);
}

TEST_CASE("one part and one byte more make a two-part upload") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  const std::string data = random_bytes(1025, 3);
  MultipartSink sink(store, pool, kKey, options(1024, 4));
  REQUIRE(sink.write(span_of(data)).has_value());
  REQUIRE(sink.finish().has_value());

  CHECK(store.count(Op::put_object) == 0);
  CHECK(store.count(Op::create_multipart_upload) == 1);
  auto parts = calls_of(store, Op::upload_part);
  std::ranges::sort(parts, {}, &FakeObjectStore::Call::part_number);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].part_number == 1);
  CHECK(parts[0].bytes == 1024);
  CHECK(parts[1].part_number == 2);
  CHECK(parts[1].bytes == 1);
  const auto completes = calls_of(store, Op::complete_multipart_upload);
  REQUIRE(completes.size() == 1);
  CHECK(completes[0].bytes == 2);  // parts listed
  CHECK(store.object(kKey) == data);
  CHECK(sink.stats().multipart);
  CHECK(sink.stats().parts == 2);
  CHECK(sink.stats().upload_id == completes[0].upload_id);
  CHECK(sink.stats().etag == store.etag(kKey));
  CHECK(sink.stats().etag.ends_with("-2"));
  CHECK(store.pending_uploads() == 0);
}

TEST_CASE("parts are completed in order and the assembled object equals the input") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  const std::string data = random_bytes(1'000'003, 4);
  MultipartSink sink(store, pool, kKey, options(4096, 4));
  REQUIRE(write_in_pieces(sink, data, 10'000, 5).has_value());
  REQUIRE(sink.finish().has_value());

  const int expected_parts = *PartSchedule(4096).parts_needed(data.size());
  CHECK(expected_parts == 245);
  std::set<int> numbers;
  for (const auto& call : calls_of(store, Op::upload_part)) numbers.insert(call.part_number);
  CHECK(numbers.size() == static_cast<std::size_t>(expected_parts));
  CHECK(*numbers.begin() == 1);
  CHECK(*numbers.rbegin() == expected_parts);
  CHECK(store.count(Op::upload_part) == expected_parts);   // each part sent once
  CHECK(store.count(Op::complete_multipart_upload) == 1);  // which checks order and ETags
  CHECK(store.object(kKey) == data);
  CHECK(sink.stats().bytes == data.size());
  CHECK(sink.stats().parts == expected_parts);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("parts grow per the schedule") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  const PartSchedule schedule(2);
  const std::uint64_t size = schedule.bytes_through(1800) + 7;  // past the last step, part 1801
  const std::string data = random_bytes(size, 6);
  MultipartSink sink(store, pool, kKey, options(2, 8));
  REQUIRE(sink.write(span_of(data)).has_value());
  REQUIRE(sink.finish().has_value());

  auto parts = calls_of(store, Op::upload_part);
  REQUIRE(parts.size() == 1801);
  std::ranges::sort(parts, {}, &FakeObjectStore::Call::part_number);
  bool all_match = true;
  for (int n = 1; n <= 1800; ++n) {
    if (parts[n - 1].bytes != schedule.part_size(n)) {
      all_match = false;
      CAPTURE(n);
      CHECK(parts[n - 1].bytes == schedule.part_size(n));
      break;
    }
  }
  CHECK(all_match);
  CHECK(parts[1800].bytes == 7);  // the last part holds what is left
  CHECK(sink.stats().largest_part == 32);
  CHECK(store.object(kKey) == data);
}

TEST_CASE("no more than `concurrency` parts are in flight, and all of them are used") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  const std::string data = random_bytes(20 * 1024, 7);
  MultipartSink sink(store, pool, kKey, options(1024, 3));

  store.hold_upload_parts();
  std::optional<Result<void>> written;
  std::optional<Result<void>> finished;
  std::thread producer([&] {
    written = sink.write(span_of(data));  // one call: nothing but the sink can hold it back
    finished = sink.finish();
  });
  store.wait_until_held(3);  // three parts in flight at once...
  store.release_upload_parts();
  producer.join();

  REQUIRE(written.has_value());
  CHECK(written->has_value());
  REQUIRE(finished.has_value());
  CHECK(finished->has_value());
  CHECK(store.max_concurrent_upload_parts() == 3);  // ...and never a fourth
  CHECK(pool.high_water() <= 4 * 1024);             // 3 in flight + the one being filled
  CHECK(sink.stats().peak_buffer_bytes <= 4 * 1024);
  CHECK(store.object(kKey) == data);
}

TEST_CASE("memory in use never exceeds the pool budget") {
  FakeObjectStore store;
  BufferPool pool(3 * 1024);  // room for 3 parts although the sink may have 8 in flight
  const std::string data = random_bytes(50 * 1024 + 11, 8);
  MultipartSink sink(store, pool, kKey, options(1024, 8));
  REQUIRE(write_in_pieces(sink, data, 3000, 9).has_value());
  REQUIRE(sink.finish().has_value());

  CHECK(pool.high_water() <= pool.budget());
  CHECK(store.max_concurrent_upload_parts() <= 3);
  CHECK(pool.in_use() == 0);
  CHECK(store.object(kKey) == data);
}

TEST_CASE("a failed part aborts the upload exactly once and finish() reports the part") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  store.inject_failure({.op = Op::upload_part,
                        .error = {ErrorKind::permanent, "AccessDenied"},
                        .part_number = 3,
                        .times = -1});
  const std::string data = random_bytes(10 * 1024, 10);
  MultipartSink sink(store, pool, kKey, options(1024, 4));
  const auto written = write_in_pieces(sink, data, 700, 11);  // may already see the failure
  const auto finished = sink.finish();

  REQUIRE_FALSE(finished.has_value());
  CHECK(finished.error().kind == ErrorKind::permanent);
  CHECK(contains(finished.error().message, kKey));
  CHECK(contains(finished.error().message, "part 3"));
  CHECK(contains(finished.error().message, sink.stats().upload_id));
  CHECK(contains(finished.error().message, "AccessDenied"));
  if (!written) CHECK(written.error().message == finished.error().message);  // first error wins

  CHECK(store.count(Op::abort_multipart_upload) == 1);
  CHECK(store.count(Op::complete_multipart_upload) == 0);
  CHECK(store.pending_uploads() == 0);
  CHECK_FALSE(store.object(kKey).has_value());
  CHECK(sink.stats().aborted);
  CHECK_FALSE(sink.stats().finished);

  sink.abort();  // the caller's abort after an error does nothing more
  CHECK(store.count(Op::abort_multipart_upload) == 1);
  CHECK(pool.in_use() == 0);
}

TEST_CASE(
    "after a failed part the next write that needs an upload slot fails, sending nothing more") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  store.inject_failure({.op = Op::upload_part,
                        .error = {ErrorKind::transient, "SlowDown after 5 attempts"},
                        .part_number = 1});
  const std::string part = random_bytes(1024, 12);
  MultipartSink sink(store, pool, kKey, options(1024, 1));
  REQUIRE(sink.write(span_of(part)).has_value());  // fills part 1
  REQUIRE(sink.write(span_of(part)).has_value());  // sends part 1 (the only slot), fills part 2
  // Sending part 2 needs the slot part 1 holds; when part 1 fails, this write reports it.
  const auto third = sink.write(span_of(part));
  REQUIRE_FALSE(third.has_value());
  CHECK(third.error().kind == ErrorKind::transient);  // the store's kind, after its retries
  CHECK(contains(third.error().message, "part 1"));
  CHECK(contains(third.error().message, "SlowDown"));

  CHECK(store.count(Op::upload_part) == 1);  // part 2 never left
  CHECK(store.count(Op::abort_multipart_upload) == 1);

  const auto later = sink.write(span_of(part));
  REQUIRE_FALSE(later.has_value());
  CHECK(later.error().message == third.error().message);
  const auto finished = sink.finish();
  REQUIRE_FALSE(finished.has_value());
  CHECK(finished.error().message == third.error().message);
  CHECK(store.count(Op::abort_multipart_upload) == 1);
}

TEST_CASE("destroying an unfinished sink aborts the upload") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  {
    MultipartSink sink(store, pool, kKey, options(1024, 2));
    const std::string data = random_bytes(3 * 1024 + 5, 13);
    REQUIRE(sink.write(span_of(data)).has_value());
    CHECK(store.pending_uploads() == 1);
  }
  CHECK(store.count(Op::abort_multipart_upload) == 1);
  CHECK(store.count(Op::complete_multipart_upload) == 0);
  CHECK(store.pending_uploads() == 0);
  CHECK_FALSE(store.object(kKey).has_value());
  CHECK(pool.in_use() == 0);
}

TEST_CASE("destroying a sink that never needed an upload sends nothing") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  {
    MultipartSink sink(store, pool, kKey, options(1024, 2));
    const std::string data = random_bytes(100, 14);
    REQUIRE(sink.write(span_of(data)).has_value());
  }
  CHECK(store.calls().empty());
  CHECK(pool.in_use() == 0);
}

TEST_CASE("abort after finish does nothing") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  const std::string data = random_bytes(5000, 15);
  MultipartSink sink(store, pool, kKey, options(1024, 2));
  REQUIRE(sink.write(span_of(data)).has_value());
  REQUIRE(sink.finish().has_value());
  sink.abort();

  CHECK(store.count(Op::abort_multipart_upload) == 0);
  CHECK(store.object(kKey) == data);
  CHECK(sink.stats().finished);
  CHECK_FALSE(sink.stats().aborted);
}

TEST_CASE("abort is idempotent, and the sink refuses data afterwards") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  const std::string data = random_bytes(5000, 16);
  MultipartSink sink(store, pool, kKey, options(1024, 2));
  REQUIRE(sink.write(span_of(data)).has_value());
  sink.abort();
  sink.abort();

  CHECK(store.count(Op::abort_multipart_upload) == 1);
  CHECK(store.pending_uploads() == 0);
  CHECK(sink.stats().aborted);
  CHECK_FALSE(sink.stats().abort_error.has_value());
  const auto written = sink.write(span_of(data));
  REQUIRE_FALSE(written.has_value());
  CHECK(written.error().kind == ErrorKind::cancelled);
  const auto finished = sink.finish();
  REQUIRE_FALSE(finished.has_value());
  CHECK(finished.error().kind == ErrorKind::cancelled);
  CHECK_FALSE(store.object(kKey).has_value());
}

TEST_CASE("a failed abort is reported in the stats, not thrown") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  store.inject_failure(
      {.op = Op::abort_multipart_upload, .error = {ErrorKind::transient, "InternalError"}});
  const std::string data = random_bytes(5000, 17);
  MultipartSink sink(store, pool, kKey, options(1024, 2));
  REQUIRE(sink.write(span_of(data)).has_value());
  sink.abort();

  REQUIRE(sink.stats().abort_error.has_value());
  CHECK(contains(sink.stats().abort_error->message, kKey));
  CHECK(contains(sink.stats().abort_error->message, sink.stats().upload_id));
  CHECK(store.count(Op::abort_multipart_upload) == 1);
}

TEST_CASE("write after finish and a second finish are errors") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  MultipartSink sink(store, pool, kKey, options(1024, 2));
  REQUIRE(sink.finish().has_value());
  const std::string data = "late";
  const auto written = sink.write(span_of(data));
  REQUIRE_FALSE(written.has_value());
  CHECK(written.error().kind == ErrorKind::permanent);
  REQUIRE_FALSE(sink.finish().has_value());
  CHECK(store.count(Op::put_object) == 1);
  CHECK(store.object(kKey) == std::string());
}

TEST_CASE("a stream of exactly the maximum size fits in 10,000 parts") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  const PartSchedule schedule(1);  // tiny parts: 10,000 of them hold 136,500 bytes
  const std::string data = random_bytes(schedule.max_stream_bytes(), 18);
  MultipartSink sink(store, pool, kKey, options(1, 4));
  REQUIRE(sink.write(span_of(data)).has_value());
  REQUIRE(sink.finish().has_value());

  CHECK(sink.stats().parts == kS3MaxParts);
  CHECK(store.count(Op::upload_part) == kS3MaxParts);
  CHECK(store.object(kKey) == data);
}

TEST_CASE("the 10,001st part is refused before it is uploaded and the upload is aborted") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  const PartSchedule schedule(1);
  const std::string data = random_bytes(schedule.max_stream_bytes() + 1, 19);
  MultipartSink sink(store, pool, kKey, options(1, 4));
  const auto written = sink.write(span_of(data));

  REQUIRE_FALSE(written.has_value());
  CHECK(written.error().kind == ErrorKind::permanent);
  CHECK(contains(written.error().message, kKey));
  CHECK(contains(written.error().message, std::to_string(schedule.max_stream_bytes())));
  CHECK(contains(written.error().message, "10001"));
  CHECK(contains(written.error().message, "S3_PART_SIZE"));
  int highest = 0;
  for (const auto& call : calls_of(store, Op::upload_part)) {
    highest = std::max(highest, call.part_number);
  }
  CHECK(highest <= kS3MaxParts - 1);  // the full 10,000th part was held back, 10,001 never made
  CHECK(store.count(Op::abort_multipart_upload) == 1);
  CHECK(store.count(Op::complete_multipart_upload) == 0);
  CHECK(store.pending_uploads() == 0);
  CHECK_FALSE(store.object(kKey).has_value());
  CHECK(sink.stats().bytes == schedule.max_stream_bytes());  // the extra byte was not accepted
  REQUIRE_FALSE(sink.finish().has_value());
}

TEST_CASE("a failed complete aborts the upload and leaves no object") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  store.inject_failure({.op = Op::complete_multipart_upload,
                        .error = {ErrorKind::permanent, "InternalError in a 200 answer"}});
  const std::string data = random_bytes(5000, 20);
  MultipartSink sink(store, pool, kKey, options(1024, 2));
  REQUIRE(sink.write(span_of(data)).has_value());
  const auto finished = sink.finish();

  REQUIRE_FALSE(finished.has_value());
  CHECK(contains(finished.error().message, "complete_multipart_upload"));
  CHECK(contains(finished.error().message, sink.stats().upload_id));
  CHECK(store.count(Op::abort_multipart_upload) == 1);
  CHECK(store.pending_uploads() == 0);
  CHECK_FALSE(store.object(kKey).has_value());
  CHECK_FALSE(sink.stats().finished);
}

TEST_CASE("a complete whose answer was lost is confirmed by reading, and nothing is deleted") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  // The store assembles the object, but the client only sees a timeout. (SPEC §1: ambiguous
  // replies are resolved by reading the store, never by deleting; multipart_sink_ambiguity_test
  // has the other cases.)
  store.inject_failure({.op = Op::complete_multipart_upload,
                        .error = {ErrorKind::transient, "timeout after 5 attempts"},
                        .after_apply = true});
  const std::string data = random_bytes(5000, 21);
  MultipartSink sink(store, pool, kKey, options(1024, 2));
  REQUIRE(sink.write(span_of(data)).has_value());
  REQUIRE(sink.finish().has_value());

  CHECK(store.count(Op::head_object) == 1);  // the object is this stream's...
  CHECK(store.count(Op::delete_object) == 0);
  CHECK(store.count(Op::abort_multipart_upload) == 0);
  CHECK(store.object(kKey) == data);  // ...and it stays
  CHECK(sink.stats().finished);
  CHECK(sink.stats().etag == store.etag(kKey));
  REQUIRE(sink.stats().confirmed_by_reading.has_value());
  CHECK(contains(sink.stats().confirmed_by_reading->message, "timeout after 5 attempts"));
}

TEST_CASE("a failed create_multipart_upload is reported and nothing is left to abort") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  store.inject_failure(
      {.op = Op::create_multipart_upload, .error = {ErrorKind::permanent, "NoSuchBucket"}});
  const std::string data = random_bytes(5000, 22);
  MultipartSink sink(store, pool, kKey, options(1024, 2));
  const auto written = sink.write(span_of(data));

  REQUIRE_FALSE(written.has_value());
  CHECK(written.error().kind == ErrorKind::permanent);
  CHECK(contains(written.error().message, "create_multipart_upload"));
  CHECK(contains(written.error().message, "NoSuchBucket"));
  CHECK(store.count(Op::abort_multipart_upload) == 0);
  CHECK(store.count(Op::upload_part) == 0);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("a failed single PUT is reported with the object's name") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  store.inject_failure({.op = Op::put_object, .error = {ErrorKind::permanent, "AccessDenied"}});
  const std::string data = random_bytes(100, 23);
  MultipartSink sink(store, pool, kKey, options(1024, 2));
  REQUIRE(sink.write(span_of(data)).has_value());
  const auto finished = sink.finish();

  REQUIRE_FALSE(finished.has_value());
  CHECK(contains(finished.error().message, "s3://test-bucket/" + std::string(kKey)));
  CHECK(contains(finished.error().message, "AccessDenied"));
  CHECK_FALSE(store.object(kKey).has_value());
  CHECK(sink.stats().aborted);
}

TEST_CASE("the budget caps every part: a first part larger than the budget is cut to it") {
  FakeObjectStore store;
  BufferPool pool(1000);
  MultipartSink sink(store, pool, kKey, options(2000, 2));
  const std::string data(2500, 'x');
  REQUIRE(sink.write(span_of(data)).has_value());
  REQUIRE(sink.finish().has_value());

  std::vector<std::uint64_t> sizes;
  for (const auto& call : calls_of(store, Op::upload_part)) sizes.push_back(call.bytes);
  std::ranges::sort(sizes);
  CHECK(sizes == std::vector<std::uint64_t>{500, 1000, 1000});
  CHECK(sink.stats().largest_part == 1000);
  CHECK(pool.high_water() <= pool.budget());
  CHECK(store.object(kKey) == data);
}

TEST_CASE("shutting the pool down stops a producer waiting for budget") {
  FakeObjectStore store;
  BufferPool pool(4096);
  auto elsewhere = pool.acquire(4096);  // another stream holds the whole budget
  REQUIRE(elsewhere.has_value());
  MultipartSink sink(store, pool, kKey, options(1024, 2));

  std::optional<Result<void>> written;
  std::thread producer([&] {
    const std::string data = "blocked";
    written = sink.write(span_of(data));
  });
  pool.wait_until_waiting(1);
  pool.shutdown();
  producer.join();

  REQUIRE(written.has_value());
  REQUIRE_FALSE(written->has_value());
  CHECK((*written).error().kind == ErrorKind::cancelled);
  CHECK(sink.stats().aborted);
  CHECK(store.calls().empty());
}

TEST_CASE("a failed part wakes a producer waiting for budget, and its error wins") {
  FakeObjectStore store;
  BufferPool pool(2 * 1024);
  store.inject_failure({.op = Op::upload_part,
                        .error = {ErrorKind::permanent, "InvalidAccessKeyId"},
                        .part_number = 1});
  store.hold_upload_parts();
  const std::string part = random_bytes(1024, 28);
  MultipartSink sink(store, pool, kKey, options(1024, 4));
  REQUIRE(sink.write(span_of(part)).has_value());  // part 1 filled
  REQUIRE(sink.write(span_of(part)).has_value());  // part 1 sent (held), part 2 filled: pool full

  // Another stream queues first for the whole budget, so whatever the parts give back goes to it
  // and the producer below can only be woken by the failure itself.
  std::optional<Result<PartBuffer>> other;
  std::thread other_stream([&] { other = pool.acquire(2 * 1024); });
  pool.wait_until_waiting(1);
  std::optional<Result<void>> written;
  std::thread producer([&] { written = sink.write(span_of(part)); });  // sends part 2, waits
  pool.wait_until_waiting(2);

  store.release_upload_parts();  // part 1 fails, part 2 succeeds
  producer.join();
  other_stream.join();

  REQUIRE(written.has_value());
  REQUIRE_FALSE(written->has_value());
  CHECK((*written).error().kind == ErrorKind::permanent);  // not the pool's `cancelled`
  CHECK(contains((*written).error().message, "part 1"));
  CHECK(contains((*written).error().message, "InvalidAccessKeyId"));
  CHECK(store.count(Op::abort_multipart_upload) == 1);
  REQUIRE(other.has_value());
  CHECK(other->has_value());
}

TEST_CASE("two sinks share one budget without deadlock") {
  struct Case {
    const char* name;
    std::uint64_t db_part;
    std::uint64_t docs_part;
  };
  // Budget 4096: equal small parts, and one stream whose parts take the whole budget.
  const Case cases[] = {{"small parts", 1024, 1024},
                        {"one stream with budget-sized parts", 4096, 512}};
  for (const auto& c : cases) {
    CAPTURE(c.name);
    FakeObjectStore store;
    BufferPool pool(4096);
    const std::string db = random_bytes(200'001, 24);
    const std::string docs = random_bytes(150'007, 25);
    MultipartSink db_sink(store, pool, "erp/prod/db/x.dump", options(c.db_part, 4));
    MultipartSink docs_sink(store, pool, "erp/prod/docs/x.tar.zst", options(c.docs_part, 4));

    std::optional<Result<void>> db_result;
    std::optional<Result<void>> docs_result;
    std::thread db_producer([&] {
      auto written = write_in_pieces(db_sink, db, 5000, 26);
      db_result = written ? db_sink.finish() : written;
    });
    std::thread docs_producer([&] {
      auto written = write_in_pieces(docs_sink, docs, 5000, 27);
      docs_result = written ? docs_sink.finish() : written;
    });
    db_producer.join();
    docs_producer.join();

    REQUIRE(db_result.has_value());
    CHECK(db_result->has_value());
    REQUIRE(docs_result.has_value());
    CHECK(docs_result->has_value());
    CHECK(store.object("erp/prod/db/x.dump") == db);
    CHECK(store.object("erp/prod/docs/x.tar.zst") == docs);
    CHECK(pool.high_water() <= pool.budget());
    CHECK(pool.in_use() == 0);
  }
}

}  // namespace erp::upload
