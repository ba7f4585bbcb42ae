// The process-wide budget for part buffers (S3_BUFFER_BUDGET, default 128 MiB), shared by every
// stream of a job (db and docs run concurrently in one process). Peak RSS of the tool is set by
// this budget, not by the size of the data (SPEC §1 "Bounded memory").
//
// BufferPool hands out PartBuffers: move-only, RAII, each holding `capacity` bytes of budget until
// it is destroyed or release()d. Memory is mapped without being written, so RSS grows with the
// bytes actually copied in, not with the capacity. A released buffer's memory is kept as a spare
// and handed out again for the next part of the same size: a stream's steady state then maps
// nothing and takes no page faults (mapping and faulting in every 8 MiB part cost more CPU than
// the copy into it). Budget in use plus spares never exceeds the budget: spares are unmapped
// first when a part of another size needs room, so mapped part memory is bounded by the budget.
//
// Fairness: waiters are served strictly in arrival order, so a stream asking for a large part is
// not starved by another stream that keeps taking small ones.
//
// Deadlock: a PartBuffer is only ever held by a producer that is filling it (and makes progress
// by itself) or by an upload in flight (which ends). So streams sharing a pool cannot deadlock as
// long as each stream's producer runs on its own thread. One thread that fills two sinks in turn
// can block forever in acquire() while it holds the other sink's half-filled buffer.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>
#include <vector>

#include "core/error.h"

namespace erp::upload {

class BufferPool;

// Part memory comes straight from mmap and goes back with munmap: malloc's dynamic mmap
// threshold would otherwise serve later 8 MiB blocks from its heap and keep freed ones
// resident, so RSS would drift above what the pool accounts for.
struct UnmapDeleter {
  std::size_t length = 0;
  void operator()(char* address) const noexcept;
};
using MappedBytes = std::unique_ptr<char, UnmapDeleter>;

// A block of memory bought with pool budget. Filled front to back with append(); read back
// with bytes(). Not thread-safe; may be moved to and destroyed on another thread.
class PartBuffer {
 public:
  PartBuffer() = default;  // holds nothing
  ~PartBuffer() { release(); }
  PartBuffer(PartBuffer&& other) noexcept;
  PartBuffer& operator=(PartBuffer&& other) noexcept;
  PartBuffer(const PartBuffer&) = delete;
  PartBuffer& operator=(const PartBuffer&) = delete;

  std::size_t capacity() const { return capacity_; }
  std::size_t size() const { return size_; }
  bool full() const { return size_ == capacity_; }
  // Copies as much of `data` as fits; returns how many bytes were taken.
  std::size_t append(std::span<const char> data);
  // The free space after the bytes appended so far, for a producer that writes in place (e.g.
  // read(2) straight into it, saving the copy append() makes); commit() what was written there.
  // Borrowed like bytes(); empty when full().
  std::span<char> unfilled() { return {data_.get() + size_, capacity_ - size_}; }
  // Counts the first `n` bytes of unfilled() as appended. `n` must not exceed unfilled().size().
  void commit(std::size_t n);
  // The bytes appended so far (borrowed: valid while this buffer lives and is not moved from).
  std::span<const char> bytes() const { return {data_.get(), size_}; }
  // Frees the memory and gives the budget back now; the buffer is then empty. Idempotent.
  void release() noexcept;

 private:
  friend class BufferPool;
  PartBuffer(BufferPool* pool, MappedBytes data, std::size_t capacity)
      : pool_(pool), data_(std::move(data)), capacity_(capacity) {}

  BufferPool* pool_ = nullptr;  // borrowed; the pool outlives its buffers
  MappedBytes data_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

// Thread-safe: any thread may acquire, and buffers may be returned from any thread.
// Lifetime: the pool must outlive every PartBuffer it handed out (destroying it earlier is a bug).
class BufferPool {
 public:
  static constexpr std::uint64_t kDefaultBudget = std::uint64_t{128} << 20;  // S3_BUFFER_BUDGET

  explicit BufferPool(std::uint64_t budget_bytes = kDefaultBudget) : budget_(budget_bytes) {}
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // Blocks until `bytes` of budget are free and it is this caller's turn, then returns a buffer
  // with capacity `bytes` (not zero-filled). Errors:
  //   permanent — `bytes` exceeds the whole budget (waiting could never succeed), or the
  //               allocator failed;
  //   cancelled — shutdown() was called (before or while waiting), or `stop` was requested.
  Result<PartBuffer> acquire(std::uint64_t bytes, std::stop_token stop = {});

  // Fails every current and future acquire() with `cancelled` (e.g. on SIGTERM). Buffers already
  // handed out stay valid and still give their budget back. Idempotent.
  void shutdown();

  std::uint64_t budget() const { return budget_; }
  std::uint64_t in_use() const;       // budget held by live buffers now
  std::uint64_t spare_bytes() const;  // memory kept mapped for reuse (in_use + spares <= budget)
  std::uint64_t high_water() const;   // the most budget ever held at once
  std::size_t waiting() const;        // acquire() calls currently blocked

  // Blocks until at least `count` acquire() calls are waiting. For tests and diagnostics that
  // need to know a caller is blocked without sleeping.
  void wait_until_waiting(std::size_t count) const;

 private:
  friend class PartBuffer;
  // Returns `bytes` of budget; `memory` (may be empty) is kept as a spare or unmapped.
  void give_back(MappedBytes memory, std::uint64_t bytes) noexcept;

  // Bounds the bookkeeping; more spares than parts in flight are never useful.
  static constexpr std::size_t kMaxSpares = 64;

  const std::uint64_t budget_;
  mutable std::mutex mutex_;
  mutable std::condition_variable_any changed_;  // budget returned, queue changed, shutdown
  std::uint64_t in_use_ = 0;
  std::uint64_t high_water_ = 0;
  bool shut_down_ = false;
  std::uint64_t next_ticket_ = 0;
  std::deque<std::uint64_t> queue_;  // tickets of waiting callers, oldest first
  std::vector<MappedBytes> spares_;  // released memory kept for reuse, oldest first
  std::uint64_t spare_bytes_ = 0;
};

}  // namespace erp::upload
