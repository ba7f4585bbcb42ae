// ObjectSource: a ByteSource that reads one object from the store, for the read side
// (verify, restore): S3 GET → ObjectSource → sha256 → zstd → tar reader / pg_restore stdin.
//
// A fetch thread runs ObjectStore::get_object (which pins the object's ETag with a HEAD, reads
// it with ranged GETs and resumes a broken body at the next byte, retrying per range with the
// client's policy) into a bounded queue; read() takes from that queue. So the consumer pulls,
// the network pushes, and at most `queue_bytes` (plus one chunk) are buffered in between.
//
// read() returns 1..buffer.size() bytes, 0 at the end of the object, or the fetch's error
// (not_found for a missing object, corrupt for a short body, transient after the retries, ...).
// Destroying the source early (a consumer that has seen enough, or a failure downstream) stops
// the fetch: the next write into the queue fails with `cancelled` and the thread is joined.
//
// Borrows `store`, which must outlive the source. read() from one thread only.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/byte_stream.h"
#include "core/error.h"
#include "s3/object_store.h"

namespace erp::s3 {

struct ObjectSourceOptions {
  // Most bytes waiting between the fetch and the consumer. Cost: this much memory; more lets
  // the network run ahead of a consumer that pauses (pg_restore writing a large table).
  std::size_t queue_bytes = 8u << 20;
};

class ObjectSource final : public ByteSource {
 public:
  ObjectSource(ObjectStore& store, std::string key, ObjectSourceOptions options = {});
  ~ObjectSource() override;
  ObjectSource(const ObjectSource&) = delete;
  ObjectSource& operator=(const ObjectSource&) = delete;

  Result<std::size_t> read(std::span<char> buffer) override;

  const std::string& key() const { return key_; }
  // Bytes returned by read() so far.
  std::uint64_t bytes_read() const { return bytes_read_; }

 private:
  class QueueSink;
  void fetch();

  ObjectStore& store_;
  const std::string key_;
  const ObjectSourceOptions options_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<char>> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t front_offset_ = 0;  // bytes of queue_.front() already read
  bool fetch_done_ = false;
  bool stopping_ = false;  // the consumer went away
  std::optional<Error> fetch_error_;
  std::uint64_t bytes_read_ = 0;

  std::jthread fetcher_;  // last: started after everything it uses exists
};

}  // namespace erp::s3
