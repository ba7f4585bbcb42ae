#include "upload/buffer_pool.h"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/cancellation.h"

namespace erp::upload {
namespace {

// Resident set size of this process, from /proc/self/statm (second field, in pages).
std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t total_pages = 0;
  std::uint64_t resident_pages = 0;
  statm >> total_pages >> resident_pages;
  return resident_pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

// Sanitizers keep shadow memory for every byte touched, which RSS counts too.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kRssIsMeaningful = false;
#else
constexpr bool kRssIsMeaningful = true;
#endif

}  // namespace

TEST_CASE("a buffer holds its capacity of budget until it is destroyed") {
  BufferPool pool(100);
  {
    auto buffer = pool.acquire(40);
    REQUIRE(buffer.has_value());
    CHECK(buffer->capacity() == 40);
    CHECK(buffer->size() == 0);
    CHECK(pool.in_use() == 40);
    auto second = pool.acquire(60);
    REQUIRE(second.has_value());
    CHECK(pool.in_use() == 100);
  }
  CHECK(pool.in_use() == 0);
  CHECK(pool.high_water() == 100);
}

TEST_CASE("moving a buffer moves the budget, which is given back exactly once") {
  BufferPool pool(100);
  auto acquired = pool.acquire(30);
  REQUIRE(acquired.has_value());
  PartBuffer first = std::move(*acquired);
  PartBuffer second = std::move(first);
  CHECK(first.capacity() == 0);  // NOLINT(bugprone-use-after-move): moved-from is empty
  CHECK(second.capacity() == 30);
  CHECK(pool.in_use() == 30);
  PartBuffer third;
  third = std::move(second);
  CHECK(pool.in_use() == 30);
  third.release();
  CHECK(pool.in_use() == 0);
  third.release();  // idempotent
  CHECK(pool.in_use() == 0);
}

TEST_CASE("append copies what fits and reports how much it took") {
  BufferPool pool(8);
  auto buffer = pool.acquire(8);
  REQUIRE(buffer.has_value());
  const std::string input = "0123456789";
  CHECK(buffer->append(std::span<const char>(input.data(), 5)) == 5);
  CHECK_FALSE(buffer->full());
  CHECK(buffer->append(std::span<const char>(input.data() + 5, 5)) == 3);
  CHECK(buffer->full());
  CHECK(buffer->append(std::span<const char>(input.data(), 1)) == 0);
  CHECK(std::string(buffer->bytes().data(), buffer->bytes().size()) == "01234567");
}

TEST_CASE("a request larger than the whole budget fails at once instead of waiting forever") {
  BufferPool pool(1000);
  auto buffer = pool.acquire(1001);
  REQUIRE_FALSE(buffer.has_value());
  CHECK(buffer.error().kind == ErrorKind::permanent);
  CHECK(buffer.error().message.find("1001") != std::string::npos);
  CHECK(buffer.error().message.find("S3_BUFFER_BUDGET") != std::string::npos);
  CHECK(pool.in_use() == 0);
  CHECK(pool.waiting() == 0);
}

TEST_CASE("acquire waits until enough budget is given back") {
  BufferPool pool(100);
  auto held = pool.acquire(70);
  REQUIRE(held.has_value());

  std::optional<Result<PartBuffer>> got;
  std::uint64_t in_use_when_granted = 0;
  std::thread waiter([&] {
    got = pool.acquire(50);
    in_use_when_granted = pool.in_use();
  });
  pool.wait_until_waiting(1);  // 70 + 50 > 100: it must be blocked now
  CHECK(pool.in_use() == 70);
  held->release();
  waiter.join();

  REQUIRE(got.has_value());
  REQUIRE(got->has_value());
  CHECK(in_use_when_granted == 50);  // granted only after the 70 came back
  CHECK(pool.high_water() <= pool.budget());
}

TEST_CASE("waiters are served in arrival order, so a large request is not starved by small ones") {
  BufferPool pool(10);
  auto everything = pool.acquire(10);
  REQUIRE(everything.has_value());

  std::mutex order_mutex;
  std::vector<std::string> order;
  std::optional<Result<PartBuffer>> large;
  std::optional<Result<PartBuffer>> small;
  std::thread large_waiter([&] {
    large = pool.acquire(10);
    std::lock_guard lock(order_mutex);
    order.push_back("large");
  });
  pool.wait_until_waiting(1);
  std::thread small_waiter([&] {
    small = pool.acquire(1);
    std::lock_guard lock(order_mutex);
    order.push_back("small");
  });
  pool.wait_until_waiting(2);

  everything->release();  // 10 free: the small request would fit, but the large one came first
  large_waiter.join();
  CHECK(pool.waiting() == 1);  // the small request is still waiting behind it
  REQUIRE(large.has_value());
  REQUIRE(large->has_value());
  (*large)->release();
  small_waiter.join();

  REQUIRE(small.has_value());
  CHECK(small->has_value());
  CHECK(order == std::vector<std::string>{"large", "small"});
}

TEST_CASE("shutdown wakes a waiting acquire with cancelled, and later acquires fail too") {
  BufferPool pool(10);
  auto everything = pool.acquire(10);
  REQUIRE(everything.has_value());

  std::optional<Result<PartBuffer>> got;
  std::thread waiter([&] { got = pool.acquire(5); });
  pool.wait_until_waiting(1);
  pool.shutdown();
  waiter.join();

  REQUIRE(got.has_value());
  REQUIRE_FALSE(got->has_value());
  CHECK(got->error().kind == ErrorKind::cancelled);
  CHECK(pool.waiting() == 0);

  auto later = pool.acquire(1);
  REQUIRE_FALSE(later.has_value());
  CHECK(later.error().kind == ErrorKind::cancelled);

  // A buffer handed out before the shutdown stays valid and still gives its budget back.
  CHECK(everything->capacity() == 10);
  everything->release();
  CHECK(pool.in_use() == 0);
}

TEST_CASE("a stop request wakes a waiting acquire with cancelled and takes no budget") {
  BufferPool pool(10);
  auto everything = pool.acquire(10);
  REQUIRE(everything.has_value());

  std::stop_source stop;
  std::optional<Result<PartBuffer>> got;
  std::thread waiter([&] { got = pool.acquire(5, stop.get_token()); });
  pool.wait_until_waiting(1);
  stop.request_stop();
  waiter.join();

  REQUIRE(got.has_value());
  REQUIRE_FALSE(got->has_value());
  CHECK(got->error().kind == ErrorKind::cancelled);
  CHECK(pool.waiting() == 0);
  CHECK(pool.in_use() == 10);

  // The pool itself keeps working for others.
  everything->release();
  CHECK(pool.acquire(10).has_value());
}

TEST_CASE("a signal (the job's Cancellation) wakes every waiting acquire with cancelled") {
  BufferPool pool(10);
  auto everything = pool.acquire(10);
  REQUIRE(everything.has_value());

  Cancellation cancellation;
  std::optional<Result<PartBuffer>> db;
  std::optional<Result<PartBuffer>> docs;
  std::thread db_stream([&] { db = pool.acquire(8, cancellation.token()); });
  std::thread docs_stream([&] { docs = pool.acquire(4, cancellation.token()); });
  pool.wait_until_waiting(2);
  cancellation.cancel(15);  // what the signal watcher does on SIGTERM
  db_stream.join();
  docs_stream.join();

  for (const auto* got : {&db, &docs}) {
    REQUIRE(got->has_value());
    REQUIRE_FALSE((*got)->has_value());
    CHECK((*got)->error().kind == ErrorKind::cancelled);
  }
  CHECK(pool.waiting() == 0);
  CHECK(pool.in_use() == 10);
}

TEST_CASE("a buffer costs memory only for the bytes written into it" *
          doctest::skip(!kRssIsMeaningful)) {
  constexpr std::uint64_t kMiB = 1 << 20;
  BufferPool pool(1024 * kMiB);
  const std::uint64_t before = resident_bytes();

  auto buffer = pool.acquire(256 * kMiB);
  REQUIRE(buffer.has_value());
  const std::uint64_t after_acquire = resident_bytes();
  CHECK(after_acquire < before + 16 * kMiB);  // 256 MiB reserved, almost none of it resident

  const std::string chunk(kMiB, 'x');
  for (int i = 0; i < 64; ++i) buffer->append(std::span<const char>(chunk.data(), chunk.size()));
  const std::uint64_t after_write = resident_bytes();
  CHECK(after_write >= after_acquire + 60 * kMiB);  // the 64 MiB written are
  CHECK(after_write < before + 128 * kMiB);         // but not the other 192 MiB

  // Released, the memory stays mapped as a spare for the next part of this size...
  buffer->release();
  CHECK(pool.spare_bytes() == 256 * kMiB);
  // ...until a part of another size needs the room: then it goes back to the system.
  auto large = pool.acquire(900 * kMiB);
  REQUIRE(large.has_value());
  CHECK(pool.spare_bytes() == 0);
  CHECK(resident_bytes() < after_write - 60 * kMiB);
}

TEST_CASE("a released buffer's memory is handed out again for the next part of its size") {
  BufferPool pool(64 * 1024);
  auto first = pool.acquire(16 * 1024);
  REQUIRE(first.has_value());
  const char* memory = first->bytes().data();
  const std::string data(1000, 'a');
  first->append(std::span<const char>(data.data(), data.size()));
  first->release();
  CHECK(pool.in_use() == 0);
  CHECK(pool.spare_bytes() == 16 * 1024);

  auto second = pool.acquire(16 * 1024);
  REQUIRE(second.has_value());
  CHECK(second->bytes().data() == memory);
  CHECK(second->size() == 0);  // reused memory starts empty
  CHECK(pool.spare_bytes() == 0);
  CHECK(pool.in_use() == 16 * 1024);
}

TEST_CASE("budget in use plus spare memory never exceeds the budget, whatever the sizes") {
  constexpr std::uint64_t kBudget = 1 << 20;
  BufferPool pool(kBudget);
  std::mt19937_64 random(7);
  std::vector<PartBuffer> held;
  for (int round = 0; round < 2000; ++round) {
    if (!held.empty() && (random() % 2 == 0 || pool.in_use() > kBudget / 2)) {
      held.erase(held.begin() + static_cast<std::ptrdiff_t>(random() % held.size()));
    } else {
      const std::uint64_t size = std::uint64_t{4096} << (random() % 6);  // 4 KiB .. 128 KiB
      auto buffer = pool.acquire(size);
      REQUIRE(buffer.has_value());
      held.push_back(std::move(*buffer));
    }
    CHECK(pool.in_use() + pool.spare_bytes() <= kBudget);
  }
}

}  // namespace erp::upload
