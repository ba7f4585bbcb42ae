// MultipartSink: the ByteSink at the end of a backup chain. It streams one object of unknown
// length into S3 with bounded memory:
//
//   write() copies into the current part buffer (from the shared BufferPool). When a part is full
//   and more data arrives, the full part is handed to an upload task; when `concurrency` parts are
//   in flight, write() blocks (backpressure), so a stream holds at most concurrency + 1 part
//   buffers.
//   Part sizes follow PartSchedule; a stream that would need part 10,001 fails before that part
//   is uploaded.
//
//   The multipart upload is created lazily, when a second part is needed. A stream of at most one
//   part (including 0 bytes) becomes a single put_object in finish().
//
//   finish() uploads the last part, waits for all parts and completes them in order. A failure
//   anywhere (a part, after the store's own retries; complete; a pool error; the part limit)
//   aborts the multipart upload once, and every later write()/finish() returns that first error,
//   whose message names the object, the upload id and the part.
//
//   Ambiguity is resolved by reading, never by deleting (upload/confirm_write.h): when the
//   complete (or the single PUT) fails in a way that may hide a success (retries run out,
//   NoSuchUpload, 412 because the key is taken, an unreadable answer), or succeeds without an
//   ETag, one HEAD decides. The object at the key with this stream's size and ETag (the multipart
//   ETag of its parts, or the MD5 of its single PUT, where the store's ETags have that shape) is
//   this stream's: finish() succeeds with HEAD's ETag (a lost answer, an RGW answer without ETag, a
//   retry that met its own earlier success). Anything else fails loudly, naming what is there;
//   only this stream's open upload is aborted, and no object is ever deleted.
//
//   options.condition = if_absent makes the final write conditional (`If-None-Match: *`), so a
//   store that honours it never lets this stream replace another writer's object.
//
// Life cycle: write()* then finish() or abort(); the destructor aborts an unfinished upload.
// abort() and the destructor never throw; what they did is in stats() (no logging in here: the
// command that owns the sink logs).
//
// Stopping: the job's stop token (options.stop, e.g. SIGTERM) and any failure end every wait of
// the sink at once — for pool budget, for an upload slot, for the last parts in finish() — and
// stop the parts in flight through upload_part's stop token. abort() drops queued parts, waits
// only for the parts in flight to return from the store (promptly, since they are stopped), and
// then sends one abort_multipart_upload, which the store bounds by a deadline of its own.
//
// Threads: one producer thread calls write/finish/abort/stats. Part uploads run as tasks on an
// Executor (options.executor, or `concurrency` threads the sink starts with the multipart
// upload) and call the store concurrently. A task that runs after the sink is gone (an executor
// the sink does not own) does nothing: tasks co-own the little state they touch.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "core/byte_stream.h"
#include "core/error.h"
#include "core/executor.h"
#include "core/stop.h"
#include "s3/object_store.h"
#include "upload/buffer_pool.h"
#include "upload/confirm_write.h"
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
  // Where part uploads run (borrowed; must outlive the sink). null: the sink starts
  // `concurrency` threads of its own when it creates the multipart upload (none for a single
  // PUT). Tests pass a manual executor to run the uploads by hand.
  Executor* executor = nullptr;
  // The job's stop signal (Cancellation::token()). Once requested, write() and finish() fail
  // with `cancelled`, ending their waits at once, and parts in flight are stopped.
  std::stop_token stop;
  // The final write (single PUT or complete): `if_absent` never replaces an object at the key
  // where the store honours it (backups); `none` replaces one (`erp-backup put`).
  s3::WriteCondition condition = s3::WriteCondition::none;
  // Set: the object is written under this Object Lock (OBJECT_LOCK_MODE, issue 20): the lock
  // overloads of put_object and create_multipart_upload. The sink does not read the lock back
  // (a store may drop it on multipart): the caller does, upload/lock_check.h.
  std::optional<s3::ObjectLock> lock;
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
  // The final write's answer was ambiguous (lost, refused as the key was taken, or without an
  // ETag) and a HEAD showed this stream's object at the key: what the store had answered.
  std::optional<Error> confirmed_by_reading;
  bool aborted = false;              // abort() ran (explicitly, on failure, or on destruction)
  std::optional<Error> abort_error;  // abort_multipart_upload failed (the upload may linger;
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
  //   cancelled — the job's stop was requested, or the pool was shut down; after abort(), or
  //               the first error again after a failure.
  Result<void> write(std::span<const char> data) override;

  // Reads `source` to its end straight into the part buffers: each read() is offered all the
  // free space left in the current part, so no byte passes through an intermediate buffer and
  // a pipe hands over as much as it holds per call (short reads are fine). The same as write()
  // of everything `source` yields, with the same blocking and errors, with one exception: a
  // read error is returned as the source reported it and leaves the sink open (abort() or
  // finish() it as after any error). Does not finish(); returns once read() returned 0.
  // When a part is full, whether it is the last one is only known once more data arrives, so
  // the next read goes into a small probe buffer (kProbeBytes) whose bytes are then written:
  // that copies 64 KiB per part (under 1% at 8 MiB parts) and keeps a stream of exactly one
  // part a single PUT.
  Result<void> write_from(ByteSource& source);
  static constexpr std::size_t kProbeBytes = 64 * 1024;

  // Sends the last part (or the single PUT), waits for all parts and completes the upload.
  // Same errors as write(), plus put_object/complete_multipart_upload failures; on error the
  // upload is aborted. Calling it again after success is a permanent error.
  Result<void> finish() override;

  // Drops queued parts, stops the parts in flight and waits for them to return from the store,
  // then aborts the multipart upload once if one was created. Idempotent; does nothing after
  // finish() succeeded.
  void abort() noexcept override;

  const MultipartSinkStats& stats() const { return stats_; }
  const std::string& key() const { return key_; }

 private:
  struct Job {
    int part_number = 0;
    PartBuffer buffer;
  };
  // What upload tasks share with the sink (queue, counters, ETags, first error, the stop
  // source). Co-owned by every submitted task, so a task that runs late finds it intact.
  struct Shared;

  Result<void> start_part();
  Result<void> send_current_part();
  Result<void> create_upload();
  Result<void> complete_upload();
  Result<void> put_single(std::span<const char> body);
  // The final write's answer, settled (settle_write: an ambiguous one by reading): finished, or
  // failed (and aborted) with what HEAD found.
  Result<void> settle(Result<std::string> answer, const std::string& context,
                      const std::function<ExpectedObject()>& expected);
  std::unexpected<Error> fail(Error error);
  std::unexpected<Error> closed_error() const;
  Error stopped_error() const;
  std::optional<Error> first_error() const;
  // Lets no further part start and drops the queued ones; with `stop_in_flight`, stops the
  // parts in the store's hands too. Then waits for running tasks and releases own threads.
  void stop_uploads(bool stop_in_flight);
  static void upload_next(const std::shared_ptr<Shared>& shared);

  s3::ObjectStore& store_;
  BufferPool& pool_;
  const std::string key_;
  const std::string name_;  // "s3://bucket/key", for messages
  const PartSchedule schedule_;
  const int concurrency_;
  const std::stop_token job_stop_;
  const s3::WriteCondition condition_;
  const std::optional<s3::ObjectLock> lock_;

  // Producer thread only.
  enum class State { open, finished, aborted };
  State state_ = State::open;
  std::optional<PartBuffer> current_;  // the part being filled (number parts_started_)
  std::vector<char> probe_;            // write_from()'s read after a full part (kProbeBytes)
  int parts_started_ = 0;
  bool complete_attempted_ = false;
  std::string upload_id_;  // set before the first part is handed off, read-only afterwards
  MultipartSinkStats stats_;

  std::shared_ptr<Shared> shared_;
  // The job's stop → shared_'s stop source (which failures and abort() request too).
  std::optional<std::stop_callback<RequestStop>> forward_job_stop_;
  Executor* executor_ = nullptr;                  // options.executor or own_executor_
  std::unique_ptr<ThreadExecutor> own_executor_;  // last: drained before the rest goes
};

}  // namespace erp::upload
