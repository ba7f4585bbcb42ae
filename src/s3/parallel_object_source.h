// ParallelObjectSource: a ByteSource that reads one object of known size with up to
// `concurrency` ranged GETs in flight and returns its bytes in order (restore db --jobs N:
// app/restore/dump_download.h). ObjectSource (s3/object_source.h) is its one-GET twin.
//
// The object is cut into ranges of `range_bytes` (plan_ranges); worker threads take them in
// order, each through ObjectStore::get_object with its range (which pins the object's ETag
// for that range and resumes a broken body at the next byte). A worker takes range i only while
// i < (the range read() is in) + concurrency, so at most concurrency + 1 range buffers exist
// at once, whatever the object's size: memory is bounded by (concurrency + 1) x range_bytes.
// Ranges are pinned one by one, not to one ETag across the whole object: an object replaced
// mid-read is caught by the caller's SHA-256 check against the manifest.
//
// read() returns 1..buffer.size() bytes, 0 at the end, or the first error any range got (then
// every later call returns it too). `stop` (the job's cancellation token) wakes a waiting
// read(), which then returns `cancelled`. Destroying the source stops the workers (a GET under
// way fails its next write) and joins them.
//
// Borrows `store`, which must outlive the source and be safe to call from several threads.
// read() from one thread only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/byte_stream.h"
#include "core/error.h"
#include "s3/object_store.h"

namespace erp::s3 {

struct ParallelObjectSourceOptions {
  int concurrency = 4;                 // GETs in flight, at least 1
  std::size_t range_bytes = 16 << 20;  // bytes per GET, at least 1
};

// [0, size) cut into consecutive inclusive ranges of `range_bytes` (the last one shorter);
// none for an empty object. Pure.
std::vector<ByteRange> plan_ranges(std::uint64_t size, std::size_t range_bytes);

class ParallelObjectSource final : public ByteSource {
 public:
  ParallelObjectSource(ObjectStore& store, std::string key, std::uint64_t size,
                       ParallelObjectSourceOptions options, std::stop_token stop);
  ~ParallelObjectSource() override;
  ParallelObjectSource(const ParallelObjectSource&) = delete;
  ParallelObjectSource& operator=(const ParallelObjectSource&) = delete;

  Result<std::size_t> read(std::span<char> buffer) override;

  // The most range buffers that existed at once (fetched or being fetched, not yet read):
  // never more than concurrency + 1.
  std::size_t peak_buffers() const;

 private:
  class RangeSink;
  void work();

  ObjectStore& store_;
  const std::string key_;
  const std::vector<ByteRange> ranges_;
  const std::size_t window_;
  std::stop_token stop_;

  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  std::size_t next_fetch_ = 0;                      // the next range a worker takes
  std::size_t next_read_ = 0;                       // the range read() takes next
  std::map<std::size_t, std::vector<char>> ready_;  // fetched, not yet taken by read()
  std::size_t live_buffers_ = 0;                    // being fetched or in ready_
  std::size_t peak_buffers_ = 0;
  std::optional<Error> error_;
  std::atomic<bool> stopping_ = false;

  std::vector<char> current_;  // the range read() is returning (owned by the reader thread)
  std::size_t current_offset_ = 0;
  bool have_current_ = false;

  std::vector<std::jthread> workers_;  // last: started once everything they use exists
};

}  // namespace erp::s3
