// MultipartSink: the ByteSink at the end of a backup chain. It streams one object of unknown
// length into S3 with bounded memory:
//
//   write() copies into the current part buffer (from the shared BufferPool). When a part is full
//   and more data arrives, the full part goes to one of `concurrency` upload workers; when all are
//   busy, write() blocks (backpressure), so a stream holds at most concurrency + 1 part buffers.
//   Part sizes follow PartSchedule; a stream that would need part 10,001 fails before that part
//   is uploaded.
//
//   The multipart upload is created lazily, when a second part is needed. A stream of at most one
//   part (including 0 bytes) becomes a single put_object in finish().
//
//   finish() uploads the last part, waits for all parts and completes them in order. A failure
//   anywhere (a part, after the store's own retries; complete; a pool error; the part limit)
//   aborts the multipart upload once, and every later write()/finish() returns that first error,
//   whose message names the object, the upload id and the part. Nothing that looks complete is
//   left behind: if complete_multipart_upload failed but the upload is gone (the store may have
//   completed it before the reply was lost), the object is deleted too.
//
// Life cycle: write()* then finish() or abort(); the destructor aborts an unfinished upload.
// abort() and the destructor never throw; what they did is in stats() (no logging in here: the
// command that owns the sink logs).
//
// Threads: one producer thread calls write/finish/abort/stats. Upload workers (std::jthread,
// started with the multipart upload, joined by finish/abort) call the store concurrently.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/byte_stream.h"
#include "core/error.h"
#include "s3/object_store.h"
#include "upload/buffer_pool.h"
#include "upload/part_schedule.h"

namespace erp::upload {

struct MultipartSinkOptions {
  // S3_PART_SIZE: size of part 1; later parts grow per PartSchedule (8 MiB up to 128 MiB at
  // defaults). Cost: memory — each buffered part holds this much pool budget; smaller means more
  // requests (and a lower maximum object size: 10,000 parts hold 136,500x this).
  std::uint64_t first_part_size = kDefaultFirstPartSize;
  // S3_UPLOAD_CONCURRENCY: parts uploaded at once by this stream (values < 1 count as 1).
  // Cost: one thread and one connection per part in flight, and up to concurrency + 1 part
  // buffers of pool budget per stream (5 x 8 MiB = 40 MiB at defaults).
  int concurrency = 4;
};

// What the sink did; read it from the producer thread between calls.
struct MultipartSinkStats {
  std::uint64_t bytes = 0;         // accepted by write()
  int parts = 0;                   // parts sent (1 for a single PUT, including an empty object)
  bool multipart = false;          // a multipart upload was created
  std::string upload_id;           // its id (empty when none was created)
  std::string etag;                // the object's final ETag, once finish() succeeded
  std::uint64_t largest_part = 0;  // size in bytes of the largest part buffer used
  std::uint64_t peak_buffer_bytes = 0;  // most pool budget this sink held at once
  bool finished = false;                // finish() succeeded: the object exists
  bool aborted = false;                 // abort() ran (explicitly, on failure, or on destruction)
  std::optional<Error> abort_error;     // abort_multipart_upload failed (the upload may linger;
                                        // a bucket lifecycle rule or `prune` cleans it up)
};

class MultipartSink final : public ByteSink {
 public:
  // `store` and `pool` are borrowed and must outlive the sink (including its destructor, which
  // may call the store). `key` is the object key in the store's bucket.
  MultipartSink(s3::ObjectStore& store, BufferPool& pool, std::string key,
                MultipartSinkOptions options = {});
  // Aborts an unfinished upload (as abort()); never throws.
  ~MultipartSink() override;
  MultipartSink(const MultipartSink&) = delete;
  MultipartSink& operator=(const MultipartSink&) = delete;

  // Buffers `data`, uploading full parts in the background; may block for an upload slot or for
  // pool budget. Errors (the sink is then already aborted; abort() is still allowed):
  //   a part's error (kind from the store) — "s3://bucket/key part N (upload id U): ...";
  //   permanent — the stream needs more than 10,000 parts, or a part does not fit the pool;
  //   cancelled — the pool was shut down; after abort(), or the first error again after a failure.
  Result<void> write(std::span<const char> data) override;

  // Sends the last part (or the single PUT), waits for all parts and completes the upload.
  // Same errors as write(), plus put_object/complete_multipart_upload failures; on error the
  // upload is aborted. Calling it again after success is a permanent error.
  Result<void> finish() override;

  // Stops the workers (queued parts are dropped), waits for parts in flight, and aborts the
  // multipart upload once if one was created. Idempotent; does nothing after finish() succeeded.
  void abort() noexcept override;

  const MultipartSinkStats& stats() const { return stats_; }
  const std::string& key() const { return key_; }

 private:
  struct Job {
    int part_number = 0;
    PartBuffer buffer;
  };

  Result<void> start_part();
  Result<void> send_current_part();
  Result<void> create_upload();
  Result<void> complete_upload();
  std::unexpected<Error> fail(Error error);
  std::unexpected<Error> closed_error() const;
  std::optional<Error> first_error() const;
  void worker_loop();
  void stop_workers();
  std::string part_context(int part_number) const;

  s3::ObjectStore& store_;
  BufferPool& pool_;
  const std::string key_;
  const std::string name_;  // "s3://bucket/key", for messages
  const PartSchedule schedule_;
  const int concurrency_;

  // Producer thread only.
  enum class State { open, finished, aborted };
  State state_ = State::open;
  std::optional<PartBuffer> current_;  // the part being filled (number parts_started_)
  int parts_started_ = 0;
  bool complete_attempted_ = false;
  std::string upload_id_;  // set before the workers start, read-only afterwards
  MultipartSinkStats stats_;

  // Shared with the workers, guarded by mutex_.
  mutable std::mutex mutex_;
  std::condition_variable work_ready_;  // workers: a job was queued, or stop_
  std::condition_variable part_done_;   // producer: a part finished (or failed)
  std::deque<Job> queue_;
  int in_flight_ = 0;                  // parts queued or uploading
  std::uint64_t in_flight_bytes_ = 0;  // their buffer capacity
  bool stop_ = false;                // workers: drop queued parts and exit when the queue is empty
  std::optional<Error> error_;       // the first failure; wins over anything later
  std::vector<std::string> etags_;   // etags_[n - 1] is part n's ETag
  std::atomic<bool> failed_{false};  // error_ is set (cheap check on every write)
  std::stop_source cancel_;          // wakes the producer from pool_.acquire() after a failure

  std::vector<std::jthread> workers_;  // last: joined before the members they use are destroyed
};

}  // namespace erp::upload
