#include "upload/multipart_sink.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace erp::upload {

// SPEC §4: at the default part size and budget, one stream holds at least 1 TiB.
static_assert(PartSchedule{kDefaultFirstPartSize, BufferPool::kDefaultBudget}.max_stream_bytes() >=
              kTiB);

MultipartSink::MultipartSink(s3::ObjectStore& store, BufferPool& pool, std::string key,
                             MultipartSinkOptions options)
    : store_(store),
      pool_(pool),
      key_(std::move(key)),
      name_("s3://" + store.bucket() + "/" + key_),
      // A part is buffered whole, so the budget caps every part (part_schedule.h).
      schedule_(options.first_part_size, pool.budget()),
      concurrency_(std::max(1, options.concurrency)) {}

MultipartSink::~MultipartSink() {
  abort();
}

Result<void> MultipartSink::write(std::span<const char> data) {
  if (state_ != State::open) return closed_error();
  // A part that failed in the background stops the stream at the next write, not at finish().
  if (failed_.load(std::memory_order_acquire)) return fail(*first_error());
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

Result<void> MultipartSink::finish() {
  if (state_ == State::finished) {
    return make_error(ErrorKind::permanent, name_ + ": finish() called twice");
  }
  if (state_ != State::open) return closed_error();
  if (failed_.load(std::memory_order_acquire)) return fail(*first_error());

  if (!stats_.multipart) {
    // At most one part's worth of data: one PUT, no upload to create, complete or clean up.
    const std::span<const char> body = current_ ? current_->bytes() : std::span<const char>{};
    auto etag = store_.put_object(key_, body);
    current_.reset();
    if (!etag) return fail(etag.error().with_context(name_ + ": put_object"));
    stats_.parts = 1;
    stats_.etag = std::move(*etag);
    stats_.finished = true;
    state_ = State::finished;
    return {};
  }

  if (current_) {
    if (auto sent = send_current_part(); !sent) return fail(sent.error());
  }
  {
    std::unique_lock lock(mutex_);
    part_done_.wait(lock, [&] { return in_flight_ == 0; });
  }
  stop_workers();
  if (auto error = first_error()) return fail(std::move(*error));
  return complete_upload();
}

void MultipartSink::abort() noexcept {
  if (state_ != State::open) return;
  state_ = State::aborted;
  stats_.aborted = true;
  try {
    stop_workers();  // queued parts are dropped; parts already in the store's hands finish first
    current_.reset();
    if (!stats_.multipart) return;
    auto aborted = store_.abort_multipart_upload(key_, upload_id_);
    if (aborted) return;
    if (aborted.error().kind == ErrorKind::not_found && complete_attempted_) {
      // complete_multipart_upload reported a failure, yet the upload no longer exists: the store
      // may have assembled the object before its answer was lost. Delete it, so that nothing
      // which looks complete stays behind (keys are unique per backup, so it is ours).
      auto deleted = store_.delete_object(key_);
      if (!deleted) {
        stats_.abort_error = deleted.error().with_context(
            name_ + ": delete_object after a failed complete (upload id " + upload_id_ + ")");
      }
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
  // The stop token lets a failed part wake us if we are waiting for budget.
  auto buffer = pool_.acquire(size, cancel_.get_token());
  if (!buffer) return std::unexpected(buffer.error().with_context(part_context(number)));
  parts_started_ = number;
  current_.emplace(std::move(*buffer));
  stats_.largest_part = std::max(stats_.largest_part, size);
  std::uint64_t held = size;
  {
    std::lock_guard lock(mutex_);
    held += in_flight_bytes_;
  }
  stats_.peak_buffer_bytes = std::max(stats_.peak_buffer_bytes, held);
  return {};
}

Result<void> MultipartSink::send_current_part() {
  if (!stats_.multipart) {
    if (auto created = create_upload(); !created) return created;
  }
  {
    std::unique_lock lock(mutex_);
    // Backpressure: the producer waits here while `concurrency_` parts are in flight, so a
    // stream never holds more than concurrency_ + 1 buffers, however fast the producer is.
    part_done_.wait(lock, [&] { return in_flight_ < concurrency_ || error_.has_value(); });
    if (error_) return std::unexpected(*error_);
    in_flight_ += 1;
    in_flight_bytes_ += current_->capacity();
    if (etags_.size() < static_cast<std::size_t>(parts_started_)) etags_.resize(parts_started_);
    queue_.push_back(Job{parts_started_, std::move(*current_)});
  }
  current_.reset();
  work_ready_.notify_one();
  stats_.parts = parts_started_;
  return {};
}

Result<void> MultipartSink::create_upload() {
  auto id = store_.create_multipart_upload(key_);
  if (!id) return std::unexpected(id.error().with_context(name_ + ": create_multipart_upload"));
  upload_id_ = std::move(*id);
  stats_.multipart = true;
  stats_.upload_id = upload_id_;
  try {
    workers_.reserve(concurrency_);
    for (int i = 0; i < concurrency_; ++i) workers_.emplace_back([this] { worker_loop(); });
  } catch (const std::exception& e) {
    // Workers already started are joined by the abort that follows this error.
    return make_error(ErrorKind::permanent,
                      name_ + ": cannot start upload threads: " + std::string(e.what()));
  }
  return {};
}

Result<void> MultipartSink::complete_upload() {
  std::vector<s3::CompletedPart> parts;
  parts.reserve(parts_started_);
  for (int number = 1; number <= parts_started_; ++number) {
    parts.push_back(s3::CompletedPart{number, etags_[number - 1]});
  }
  complete_attempted_ = true;
  auto etag = store_.complete_multipart_upload(key_, upload_id_, parts);
  if (!etag) {
    return fail(etag.error().with_context(name_ + ": complete_multipart_upload (upload id " +
                                          upload_id_ + ", " + std::to_string(parts_started_) +
                                          " parts)"));
  }
  stats_.etag = std::move(*etag);
  stats_.finished = true;
  state_ = State::finished;
  return {};
}

std::unexpected<Error> MultipartSink::fail(Error error) {
  {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::move(error);  // the first failure is the one worth reporting
  }
  failed_.store(true, std::memory_order_release);
  cancel_.request_stop();
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

std::optional<Error> MultipartSink::first_error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

void MultipartSink::worker_loop() {
  for (;;) {
    Job job;
    bool skip = false;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      // After a failure or an abort nothing more is sent; the job is only drained.
      skip = stop_ || error_.has_value();
    }
    std::optional<Error> error;
    std::string etag;
    if (!skip) {
      try {
        auto sent = store_.upload_part(key_, upload_id_, job.part_number, job.buffer.bytes());
        if (sent) {
          etag = std::move(*sent);
        } else {
          error = sent.error().with_context(part_context(job.part_number));
        }
      } catch (const std::exception& e) {
        error = Error{ErrorKind::permanent, part_context(job.part_number) + ": " + e.what()};
      }
    }
    {
      // Uncounted before the budget goes back: a producer that gets this budget from the pool
      // must not count it twice in peak_buffer_bytes.
      std::lock_guard lock(mutex_);
      in_flight_bytes_ -= job.buffer.capacity();
    }
    job.buffer.release();  // budget back before the producer hears the slot is free
    {
      std::lock_guard lock(mutex_);
      in_flight_ -= 1;
      if (error) {
        if (!error_) error_ = std::move(*error);
        failed_.store(true, std::memory_order_release);
      } else if (!skip) {
        etags_[job.part_number - 1] = std::move(etag);
      }
    }
    if (failed_.load(std::memory_order_acquire)) cancel_.request_stop();
    part_done_.notify_all();
  }
}

void MultipartSink::stop_workers() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  work_ready_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
}

std::string MultipartSink::part_context(int part_number) const {
  std::string context = name_ + " part " + std::to_string(part_number);
  if (!upload_id_.empty()) context += " (upload id " + upload_id_ + ")";
  return context;
}

}  // namespace erp::upload
