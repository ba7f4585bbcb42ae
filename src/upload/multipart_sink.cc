#include "upload/multipart_sink.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <utility>
#include <vector>

#include "codec/digest.h"
#include "s3/etag.h"

namespace erp::upload {

// SPEC §4: at the default part size and budget, one stream holds at least 1 TiB.
static_assert(PartSchedule{kDefaultFirstPartSize, BufferPool::kDefaultBudget}.max_stream_bytes() >=
              kTiB);

struct MultipartSink::Shared {
  Shared(s3::ObjectStore& store, std::string key, std::string name)
      : store(store), key(std::move(key)), name(std::move(name)) {}

  std::string part_context(int part_number) const {
    std::string context = name + " part " + std::to_string(part_number);
    if (!upload_id.empty()) context += " (upload id " + upload_id + ")";
    return context;
  }

  // Touched by a task only while it holds a job, which the sink waits for before it goes.
  s3::ObjectStore& store;
  const std::string key;
  const std::string name;
  std::string upload_id;  // set before the first task is submitted, read-only afterwards

  std::mutex mutex;
  // The producer waits here for a free slot, for the last parts, or for running tasks to end.
  // condition_variable_any: those waits also end when `cancel` is requested.
  std::condition_variable_any part_done;
  std::deque<Job> queue;              // handed off, not yet taken by a task
  int in_flight = 0;                  // parts queued or running
  int running = 0;                    // jobs a task has taken and not yet given back
  std::uint64_t in_flight_bytes = 0;  // buffer capacity of the parts in flight
  bool stopped = false;               // no part starts any more (finish/abort)
  std::optional<Error> error;         // the first failure; wins over anything later
  std::vector<std::string> etags;     // etags[n - 1] is part n's ETag
  std::atomic<bool> failed{false};    // error is set (cheap check on every write)
  // Requested by a failure, by abort() and by the job's stop: ends the producer's waits (pool
  // budget, slots) and the parts in flight (upload_part's stop token).
  std::stop_source cancel;
};

MultipartSink::MultipartSink(s3::ObjectStore& store, BufferPool& pool, std::string key,
                             MultipartSinkOptions options)
    : store_(store),
      pool_(pool),
      key_(std::move(key)),
      name_("s3://" + store.bucket() + "/" + key_),
      // A part is buffered whole, so the budget caps every part (part_schedule.h).
      schedule_(options.first_part_size, pool.budget()),
      concurrency_(std::max(1, options.concurrency)),
      job_stop_(options.stop),
      condition_(options.condition),
      lock_(options.lock),
      shared_(std::make_shared<Shared>(store, key_, name_)),
      executor_(options.executor) {
  forward_job_stop_.emplace(job_stop_, RequestStop{&shared_->cancel});
}

MultipartSink::~MultipartSink() {
  abort();
}

Result<void> MultipartSink::write(std::span<const char> data) {
  if (state_ != State::open) return closed_error();
  // A part that failed in the background stops the stream at the next write, not at finish().
  if (shared_->failed.load(std::memory_order_acquire)) return fail(*first_error());
  if (job_stop_.stop_requested()) return fail(stopped_error());
  while (!data.empty()) {
    if (current_ && current_->full()) {
      // More data after a full part: that part is not the last one, so it can go. Sending only
      // now (not as soon as it fills) is what lets a stream of exactly one part be a single PUT.
      if (parts_started_ >= kS3MaxParts) {
        return fail(Error{ErrorKind::permanent,
                          name_ + ": the stream is larger than " +
                              std::to_string(schedule_.max_stream_bytes()) + " bytes, the most " +
                              std::to_string(kS3MaxParts) + " parts hold with a first part of " +
                              std::to_string(schedule_.first_part_size()) +
                              " bytes; refused before part " + std::to_string(kS3MaxParts + 1) +
                              " (hint: raise S3_PART_SIZE or S3_BUFFER_BUDGET)"});
      }
      if (auto sent = send_current_part(); !sent) return fail(sent.error());
    }
    if (!current_) {
      if (auto started = start_part(); !started) return fail(started.error());
    }
    const std::size_t taken = current_->append(data);
    data = data.subspan(taken);
    stats_.bytes += taken;
  }
  return {};
}

Result<void> MultipartSink::write_from(ByteSource& source) {
  if (state_ != State::open) return closed_error();
  for (;;) {
    if (shared_->failed.load(std::memory_order_acquire)) return fail(*first_error());
    if (job_stop_.stop_requested()) return fail(stopped_error());
    if (current_ && current_->full()) {
      // Reading into a new part now would need its buffer before the full one may be sent
      // (one buffer over the concurrency + 1 bound), and a stream that ends here must stay a
      // single PUT. So probe with a small read; write() then sends the full part as usual.
      if (probe_.empty()) probe_.resize(kProbeBytes);
      auto n = source.read(probe_);
      if (!n) return std::unexpected(n.error());
      if (*n == 0) return {};
      if (auto written = write({probe_.data(), *n}); !written) return written;
      continue;
    }
    if (!current_) {
      if (auto started = start_part(); !started) return fail(started.error());
    }
    auto n = source.read(current_->unfilled());
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return {};
    current_->commit(*n);
    stats_.bytes += *n;
  }
}

Result<void> MultipartSink::finish() {
  if (state_ == State::finished) {
    return make_error(ErrorKind::permanent, name_ + ": finish() called twice");
  }
  if (state_ != State::open) return closed_error();
  if (shared_->failed.load(std::memory_order_acquire)) return fail(*first_error());
  // A stopped job commits nothing, even when every byte has arrived.
  if (job_stop_.stop_requested()) return fail(stopped_error());

  if (!stats_.multipart) {
    // At most one part's worth of data: one PUT, no upload to create, complete or clean up.
    const std::span<const char> body = current_ ? current_->bytes() : std::span<const char>{};
    auto put = put_single(body);
    current_.reset();
    return put;
  }

  if (current_) {
    if (auto sent = send_current_part(); !sent) return fail(sent.error());
  }
  bool all_sent = false;
  {
    std::unique_lock lock(shared_->mutex);
    all_sent = shared_->part_done.wait(lock, shared_->cancel.get_token(),
                                       [&] { return shared_->in_flight == 0; });
  }
  if (auto error = first_error()) return fail(std::move(*error));
  if (!all_sent || job_stop_.stop_requested()) return fail(stopped_error());
  stop_uploads(/*stop_in_flight=*/false);  // nothing is in flight: this only ends own threads
  return complete_upload();
}

void MultipartSink::abort() noexcept {
  if (state_ != State::open) return;
  state_ = State::aborted;
  stats_.aborted = true;
  try {
    // Parts on the wire are stopped rather than waited for: the upload is going away, and a
    // part stuck in a stalled request would otherwise hold the abort for minutes.
    stop_uploads(/*stop_in_flight=*/true);
    current_.reset();
    if (!stats_.multipart) return;
    auto aborted = store_.abort_multipart_upload(key_, upload_id_);
    if (aborted) return;
    if (aborted.error().kind == ErrorKind::not_found && complete_attempted_) {
      // The upload is gone after a complete whose outcome finish() could not confirm (or that
      // a stop cut short): the store may have completed it. Whatever is at the key now is left
      // alone: deleting on a guess could remove another writer's object, and an object of this
      // stream that no manifest names is a visibly incomplete set, never a complete one.
      return;
    }
    stats_.abort_error = aborted.error().with_context(
        name_ + ": abort_multipart_upload (upload id " + upload_id_ + ")");
  } catch (...) {
    try {
      stats_.abort_error = Error{ErrorKind::permanent, name_ + ": abort failed unexpectedly"};
    } catch (...) {  // out of memory while reporting: nothing more can be done
    }
  }
}

Result<void> MultipartSink::start_part() {
  const int number = parts_started_ + 1;
  const std::uint64_t size = schedule_.part_size(number);
  // The stop token lets a failed part or the job's stop wake us if we are waiting for budget.
  auto buffer = pool_.acquire(size, shared_->cancel.get_token());
  if (!buffer) {
    return std::unexpected(buffer.error().with_context(shared_->part_context(number)));
  }
  if (shared_->cancel.stop_requested()) {
    // The budget that a stop or a failure frees (its parts end) can reach a waiting acquire
    // together with the stop itself: a stopped stream starts no new part either way.
    buffer->release();
    return std::unexpected(first_error().value_or(stopped_error()));
  }
  parts_started_ = number;
  current_.emplace(std::move(*buffer));
  stats_.largest_part = std::max(stats_.largest_part, size);
  std::uint64_t held = size;
  {
    std::lock_guard lock(shared_->mutex);
    held += shared_->in_flight_bytes;
  }
  stats_.peak_buffer_bytes = std::max(stats_.peak_buffer_bytes, held);
  return {};
}

Result<void> MultipartSink::send_current_part() {
  if (!stats_.multipart) {
    if (auto created = create_upload(); !created) return created;
  }
  Shared& shared = *shared_;
  {
    std::unique_lock lock(shared.mutex);
    // Backpressure: the producer waits here while `concurrency_` parts are in flight, so a
    // stream never holds more than concurrency_ + 1 buffers, however fast the producer is.
    const bool slot = shared.part_done.wait(lock, shared.cancel.get_token(), [&] {
      return shared.in_flight < concurrency_ || shared.error.has_value();
    });
    if (shared.error) return std::unexpected(*shared.error);
    if (!slot) return std::unexpected(stopped_error());
    shared.in_flight += 1;
    shared.in_flight_bytes += current_->capacity();
    if (shared.etags.size() < static_cast<std::size_t>(parts_started_)) {
      shared.etags.resize(parts_started_);
    }
    shared.queue.push_back(Job{parts_started_, std::move(*current_)});
  }
  current_.reset();
  stats_.parts = parts_started_;
  // One task per part: each takes the oldest queued part, if there still is one.
  executor_->submit([shared = shared_] { upload_next(shared); });
  return {};
}

Result<void> MultipartSink::create_upload() {
  auto id =
      lock_ ? store_.create_multipart_upload(key_, *lock_) : store_.create_multipart_upload(key_);
  if (!id) return std::unexpected(id.error().with_context(name_ + ": create_multipart_upload"));
  upload_id_ = std::move(*id);
  shared_->upload_id = upload_id_;  // before any task exists
  stats_.multipart = true;
  stats_.upload_id = upload_id_;
  if (executor_ == nullptr) {
    try {
      own_executor_ = std::make_unique<ThreadExecutor>(concurrency_);
    } catch (const std::exception& e) {
      return make_error(ErrorKind::permanent,
                        name_ + ": cannot start upload threads: " + std::string(e.what()));
    }
    executor_ = own_executor_.get();
  }
  return {};
}

Result<void> MultipartSink::complete_upload() {
  std::vector<s3::CompletedPart> parts;
  parts.reserve(parts_started_);
  for (int number = 1; number <= parts_started_; ++number) {
    parts.push_back(s3::CompletedPart{number, shared_->etags[number - 1]});
  }
  complete_attempted_ = true;
  const std::uint64_t bytes = stats_.bytes;
  return settle(store_.complete_multipart_upload(key_, upload_id_, parts, condition_),
                name_ + ": complete_multipart_upload (upload id " + upload_id_ + ", " +
                    std::to_string(parts_started_) + " parts)",
                [&] {
                  return ExpectedObject{bytes, s3::multipart_etag(parts)};
                });
}

Result<void> MultipartSink::put_single(std::span<const char> body) {
  stats_.parts = 1;
  auto put = lock_ ? store_.put_object(key_, body, condition_, *lock_)
                   : store_.put_object(key_, body, condition_);
  return settle(std::move(put), name_ + ": put_object", [&] {
    return ExpectedObject{body.size(), codec::md5_hex(body)};
  });
}

Result<void> MultipartSink::settle(Result<std::string> answer, const std::string& context,
                                   const std::function<ExpectedObject()>& expected) {
  auto settled = settle_write(store_, key_, std::move(answer), context, expected);
  if (!settled) return fail(settled.error());
  stats_.etag = std::move(settled->etag);
  stats_.confirmed_by_reading = std::move(settled->confirmed_by_reading);
  stats_.finished = true;
  state_ = State::finished;
  return {};
}

std::unexpected<Error> MultipartSink::fail(Error error) {
  {
    std::lock_guard lock(shared_->mutex);
    if (!shared_->error) shared_->error = std::move(error);  // the first failure is the one
  }
  shared_->failed.store(true, std::memory_order_release);
  shared_->cancel.request_stop();
  abort();
  return std::unexpected(*first_error());
}

std::unexpected<Error> MultipartSink::closed_error() const {
  if (state_ == State::finished) {
    return std::unexpected(Error{ErrorKind::permanent, name_ + ": write after finish()"});
  }
  if (auto error = first_error()) return std::unexpected(std::move(*error));
  return std::unexpected(Error{ErrorKind::cancelled, name_ + ": the upload was aborted"});
}

Error MultipartSink::stopped_error() const {
  std::string message = name_ + ": stopped before the upload was committed";
  if (!upload_id_.empty()) message += " (upload id " + upload_id_ + " is aborted)";
  return Error{ErrorKind::cancelled, std::move(message)};
}

std::optional<Error> MultipartSink::first_error() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->error;
}

void MultipartSink::upload_next(const std::shared_ptr<Shared>& shared_state) {
  Shared& shared = *shared_state;
  Job job;
  bool skip = false;
  {
    std::lock_guard lock(shared.mutex);
    if (shared.queue.empty()) return;  // dropped by abort(), or the sink is gone
    job = std::move(shared.queue.front());
    shared.queue.pop_front();
    shared.running += 1;  // abort() waits for this job: it holds pool budget and borrows the store
    // After a failure or a stop nothing more is sent; the job is only drained.
    skip = shared.stopped || shared.error.has_value() || shared.cancel.stop_requested();
  }
  std::optional<Error> error;
  std::string etag;
  if (!skip) {
    try {
      auto sent = shared.store.upload_part(shared.key, shared.upload_id, job.part_number,
                                           job.buffer.bytes(), shared.cancel.get_token());
      if (sent) {
        etag = std::move(*sent);
      } else {
        error = sent.error().with_context(shared.part_context(job.part_number));
      }
    } catch (const std::exception& e) {
      error = Error{ErrorKind::permanent, shared.part_context(job.part_number) + ": " + e.what()};
    }
  }
  {
    // Uncounted before the budget goes back: a producer that gets this budget from the pool
    // must not count it twice in peak_buffer_bytes.
    std::lock_guard lock(shared.mutex);
    shared.in_flight_bytes -= job.buffer.capacity();
  }
  job.buffer.release();  // budget back before the producer hears the slot is free
  {
    std::lock_guard lock(shared.mutex);
    shared.in_flight -= 1;
    shared.running -= 1;
    if (error) {
      if (!shared.error) shared.error = std::move(*error);
      shared.failed.store(true, std::memory_order_release);
    } else if (!skip) {
      shared.etags[job.part_number - 1] = std::move(etag);
    }
  }
  // A failed part dooms the upload: wake the producer (pool, slot) and stop the other parts.
  if (shared.failed.load(std::memory_order_acquire)) shared.cancel.request_stop();
  shared.part_done.notify_all();
}

void MultipartSink::stop_uploads(bool stop_in_flight) {
  Shared& shared = *shared_;
  std::deque<Job> dropped;
  {
    std::lock_guard lock(shared.mutex);
    shared.stopped = true;
    dropped.swap(shared.queue);  // their tasks will find nothing to do
    for (const Job& job : dropped) {
      shared.in_flight -= 1;
      shared.in_flight_bytes -= job.buffer.capacity();
    }
  }
  if (stop_in_flight) shared.cancel.request_stop();
  {
    // Only jobs a task has taken: they borrow the store and hold budget of a pool that may go
    // away with the sink. Stopped, they return as soon as their transfer notices.
    std::unique_lock lock(shared.mutex);
    shared.part_done.wait(lock, [&] { return shared.running == 0; });
  }
  dropped.clear();  // budget back now, not when the sink is destroyed
  // Own threads are idle now; whatever tasks they still hold find an empty queue. Nothing is
  // submitted after this (the sink is finishing or aborted).
  if (own_executor_) {
    executor_ = nullptr;
    own_executor_.reset();
  }
}

}  // namespace erp::upload
