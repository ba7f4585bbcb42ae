// Stopping the multipart sink (issue 7): a stalled endpoint must not hold an abort, the job's
// stop must end every wait of the producer, and the sink's uploads run on an injected executor
// that a test can drive by hand.
//
// StallingStore stands for a browned-out S3 endpoint: its upload_part calls block until their
// stop token fires (as S3Client's transfers do on a stop) and then return `cancelled`. Every
// wait in these tests is bounded by a generous limit only so that a regression fails instead of
// hanging the suite; synchronisation is by gates and the executor, never by sleeping.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "fakes/fake_object_store.h"
#include "fakes/forwarding_object_store.h"
#include "fakes/manual_executor.h"
#include "fakes/random_bytes.h"
#include "upload/multipart_sink.h"

namespace erp::upload {
namespace {

using namespace std::chrono_literals;
using testing::FakeObjectStore;
using testing::ForwardingObjectStore;
using testing::ManualExecutor;
using Op = FakeObjectStore::Op;

constexpr char kKey[] = "erp/prod/db/20260101T000000Z.dump";
constexpr auto kLimit = 30s;  // only a broken sink ever gets near this

using testing::random_bytes;

std::span<const char> span_of(const std::string& data) {
  return {data.data(), data.size()};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A FakeObjectStore whose upload_part calls from part `stall_from` on never answer: they block
// until their stop token is requested, then return `cancelled` without storing the part.
// release() unblocks every such call (with an error) so that a failing test can clean up.
class StallingStore final : public ForwardingObjectStore {
 public:
  StallingStore(FakeObjectStore& inner, int stall_from)
      : ForwardingObjectStore(inner), stall_from_(stall_from) {}

  Result<std::string> upload_part(std::string_view key, std::string_view upload_id, int part_number,
                                  std::span<const char> body) override {
    return upload_part(key, upload_id, part_number, body, std::stop_token{});
  }
  Result<std::string> upload_part(std::string_view key, std::string_view upload_id, int part_number,
                                  std::span<const char> body, std::stop_token stop) override {
    if (part_number < stall_from_) return inner_.upload_part(key, upload_id, part_number, body);
    std::unique_lock lock(mutex_);
    ++stalled_;
    changed_.notify_all();
    const bool stopped = changed_.wait(lock, stop, [&] { return released_; });
    --stalled_;
    ++returned_;
    changed_.notify_all();
    if (!stopped) {
      ++cancelled_;
      return make_error(ErrorKind::cancelled, "HTTP PUT stopped during the transfer");
    }
    return make_error(ErrorKind::transient, "released by the test");
  }
  // Waits until `count` calls are stalled at once; false when that did not happen in time.
  bool wait_until_stalled(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kLimit, [&] { return stalled_ >= count; });
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    changed_.notify_all();
  }
  int stalled() const {
    std::lock_guard lock(mutex_);
    return stalled_;
  }
  int cancelled() const {
    std::lock_guard lock(mutex_);
    return cancelled_;
  }

 private:
  const int stall_from_;
  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  int stalled_ = 0;
  int returned_ = 0;
  int cancelled_ = 0;
  bool released_ = false;
};

// Runs `work` on a thread and waits for it at most kLimit; on a timeout, `unblock` runs so the
// thread can end, and the test fails.
template <typename Work>
auto bounded(Work work, const std::function<void()>& unblock) {
  auto future = std::async(std::launch::async, std::move(work));
  const bool in_time = future.wait_for(kLimit) == std::future_status::ready;
  if (!in_time) unblock();
  CHECK_MESSAGE(in_time, "the call did not return although its parts were stopped");
  return future.get();
}

MultipartSinkOptions options(std::uint64_t part, int concurrency, std::stop_token stop = {},
                             Executor* executor = nullptr) {
  MultipartSinkOptions result;
  result.first_part_size = part;
  result.concurrency = concurrency;
  result.stop = std::move(stop);
  result.executor = executor;
  return result;
}

// --- a stalled endpoint ------------------------------------------------------------------------

TEST_CASE("abort completes while parts are stuck in the store, and aborts the upload once") {
  FakeObjectStore inner;
  StallingStore store(inner, 1);
  BufferPool pool(1 << 20);
  MultipartSink sink(store, pool, kKey, options(1024, 2));
  const std::string data = random_bytes(2 * 1024 + 1, 1);
  REQUIRE(sink.write(span_of(data)).has_value());  // parts 1 and 2 handed off, part 3 filling
  REQUIRE(store.wait_until_stalled(2));

  bounded([&] { sink.abort(); }, [&] { store.release(); });

  CHECK(store.stalled() == 0);
  CHECK(store.cancelled() == 2);  // both parts were stopped, not waited for
  CHECK(inner.count(Op::abort_multipart_upload) == 1);
  CHECK(inner.pending_uploads() == 0);
  CHECK(sink.stats().aborted);
  CHECK_FALSE(sink.stats().abort_error.has_value());
  CHECK(pool.in_use() == 0);
  sink.abort();  // idempotent
  CHECK(inner.count(Op::abort_multipart_upload) == 1);
}

TEST_CASE("the job's stop ends a producer waiting for an upload slot; the upload is aborted once") {
  FakeObjectStore inner;
  StallingStore store(inner, 1);
  BufferPool pool(1 << 20);
  std::stop_source job;
  MultipartSink sink(store, pool, kKey, options(1024, 2, job.get_token()));
  const std::string data = random_bytes(3 * 1024 + 1, 2);  // part 3 needs a third slot

  auto written = std::async(std::launch::async, [&] { return sink.write(span_of(data)); });
  REQUIRE(store.wait_until_stalled(2));
  job.request_stop();  // SIGTERM
  const bool in_time = written.wait_for(kLimit) == std::future_status::ready;
  if (!in_time) store.release();
  REQUIRE(in_time);
  const Result<void> result = written.get();

  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::cancelled);
  CHECK(contains(result.error().message, kKey));
  CHECK(sink.stats().aborted);  // write() aborted the upload itself
  CHECK(inner.count(Op::abort_multipart_upload) == 1);
  CHECK(inner.count(Op::complete_multipart_upload) == 0);
  CHECK(inner.pending_uploads() == 0);
  CHECK(store.stalled() == 0);
  CHECK(pool.in_use() == 0);

  const auto finished = sink.finish();  // the caller's finish after the failure commits nothing
  REQUIRE_FALSE(finished.has_value());
  CHECK(finished.error().kind == ErrorKind::cancelled);
  CHECK(inner.count(Op::abort_multipart_upload) == 1);
}

TEST_CASE("the job's stop ends finish() waiting for its last parts; nothing is completed") {
  FakeObjectStore inner;
  StallingStore store(inner, 2);  // part 1 goes through, the others stall
  BufferPool pool(1 << 20);
  std::stop_source job;
  MultipartSink sink(store, pool, kKey, options(1024, 4, job.get_token()));
  const std::string data = random_bytes(3 * 1024 + 10, 3);
  REQUIRE(sink.write(span_of(data)).has_value());

  auto finished = std::async(std::launch::async, [&] { return sink.finish(); });
  REQUIRE(store.wait_until_stalled(3));  // parts 2, 3 and the last one, 4
  job.request_stop();
  const bool in_time = finished.wait_for(kLimit) == std::future_status::ready;
  if (!in_time) store.release();
  REQUIRE(in_time);
  const Result<void> result = finished.get();

  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::cancelled);
  CHECK(inner.count(Op::complete_multipart_upload) == 0);
  CHECK(inner.count(Op::abort_multipart_upload) == 1);
  CHECK_FALSE(inner.object(kKey).has_value());
  CHECK(pool.in_use() == 0);
}

TEST_CASE("a stopped job commits nothing: finish() sends no PUT after the stop") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  std::stop_source job;
  MultipartSink sink(store, pool, kKey, options(1024, 2, job.get_token()));
  const std::string data = random_bytes(100, 4);
  REQUIRE(sink.write(span_of(data)).has_value());
  job.request_stop();
  const auto finished = sink.finish();
  REQUIRE_FALSE(finished.has_value());
  CHECK(finished.error().kind == ErrorKind::cancelled);
  CHECK(store.calls().empty());
  CHECK_FALSE(store.object(kKey).has_value());
}

TEST_CASE("the job's stop wakes a producer waiting for pool budget") {
  FakeObjectStore inner;
  StallingStore store(inner, 1);
  BufferPool pool(3 * 1024);  // parts 1 and 2 in flight + part 3 filling take all of it
  std::stop_source job;
  MultipartSink sink(store, pool, kKey, options(1024, 4, job.get_token()));
  const std::string data = random_bytes(3 * 1024 + 1, 5);  // part 4 waits for budget

  auto written = std::async(std::launch::async, [&] { return sink.write(span_of(data)); });
  REQUIRE(store.wait_until_stalled(3));
  pool.wait_until_waiting(1);
  job.request_stop();
  const bool in_time = written.wait_for(kLimit) == std::future_status::ready;
  if (!in_time) store.release();
  REQUIRE(in_time);
  const Result<void> result = written.get();
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::cancelled);
  CHECK(inner.count(Op::abort_multipart_upload) == 1);
  CHECK(pool.in_use() == 0);
}

// --- a manual executor: the uploads run exactly when the test says -----------------------------

TEST_CASE("parts are uploaded only when the executor runs them, in the order handed off") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  ManualExecutor executor;
  MultipartSink sink(store, pool, kKey, options(1024, 2, {}, &executor));
  const std::string data = random_bytes(3 * 1024 - 7, 6);

  REQUIRE(sink.write(span_of(data).first(2 * 1024 + 1)).has_value());
  CHECK(executor.pending() == 2);            // parts 1 and 2 handed off...
  CHECK(store.count(Op::upload_part) == 0);  // ...and nothing has run them
  CHECK(store.count(Op::create_multipart_upload) == 1);

  REQUIRE(executor.run_one());
  REQUIRE(store.count(Op::upload_part) == 1);
  CHECK(store.calls().back().part_number == 1);
  REQUIRE(executor.run_one());
  CHECK(store.calls().back().part_number == 2);

  REQUIRE(sink.write(span_of(data).subspan(2 * 1024 + 1)).has_value());
  CHECK(executor.pending() == 0);  // part 3 is the last: it waits for finish()

  // finish() hands off part 3 and waits for it, so it runs on a thread of its own while this
  // thread plays the executor.
  std::optional<Result<void>> finished;
  std::thread producer([&] { finished = sink.finish(); });
  executor.wait_until_pending(1);
  CHECK(store.count(Op::complete_multipart_upload) == 0);  // not before part 3 is done
  REQUIRE(executor.run_one());
  producer.join();

  REQUIRE(finished.has_value());
  CHECK(finished->has_value());
  CHECK(store.count(Op::upload_part) == 3);
  CHECK(store.count(Op::complete_multipart_upload) == 1);
  CHECK(store.object(kKey) == data);
  CHECK(executor.submitted() == 3);  // one task per part
  CHECK(pool.in_use() == 0);
}

TEST_CASE("abort drops the parts the executor has not started; their late tasks do nothing") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  ManualExecutor executor;
  {
    MultipartSink sink(store, pool, kKey, options(1024, 4, {}, &executor));
    const std::string data = random_bytes(3 * 1024 + 1, 7);
    REQUIRE(sink.write(span_of(data)).has_value());
    REQUIRE(executor.run_one());  // part 1 is stored; parts 2 and 3 wait in the executor
    CHECK(executor.pending() == 2);

    sink.abort();  // returns although two tasks never ran: it waits for none of them
    CHECK(store.count(Op::abort_multipart_upload) == 1);
    CHECK(pool.in_use() == 0);  // the dropped parts' budget is back at once
  }                             // the sink is gone, its tasks are not
  CHECK(executor.run_all() == 2);
  CHECK(store.count(Op::upload_part) == 1);  // the late tasks sent nothing
  CHECK(store.pending_uploads() == 0);
}

TEST_CASE("a part failing on the executor stops the stream at the next write, without threads") {
  FakeObjectStore store;
  BufferPool pool(1 << 20);
  ManualExecutor executor;
  store.inject_failure(
      {.op = Op::upload_part, .error = {ErrorKind::permanent, "AccessDenied"}, .part_number = 1});
  MultipartSink sink(store, pool, kKey, options(1024, 4, {}, &executor));
  const std::string part = random_bytes(1024, 8);
  REQUIRE(sink.write(span_of(part)).has_value());
  REQUIRE(sink.write(span_of(part)).has_value());  // part 1 handed off
  REQUIRE(sink.write(span_of(part)).has_value());  // part 2 handed off
  REQUIRE(executor.run_one());                     // part 1 fails

  const auto next = sink.write(span_of(part));
  REQUIRE_FALSE(next.has_value());
  CHECK(next.error().kind == ErrorKind::permanent);
  CHECK(contains(next.error().message, "part 1"));
  CHECK(contains(next.error().message, "AccessDenied"));
  CHECK(store.count(Op::abort_multipart_upload) == 1);

  CHECK(executor.run_all() == 1);            // part 2's task...
  CHECK(store.count(Op::upload_part) == 1);  // ...sends nothing after the failure
  CHECK(pool.in_use() == 0);
}

}  // namespace
}  // namespace erp::upload
