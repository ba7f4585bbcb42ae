#include "s3/parallel_object_source.h"

#include <algorithm>
#include <cstring>

namespace erp::s3 {

std::vector<ByteRange> plan_ranges(std::uint64_t size, std::size_t range_bytes) {
  std::vector<ByteRange> ranges;
  const std::uint64_t step = std::max<std::uint64_t>(range_bytes, 1);
  for (std::uint64_t first = 0; first < size; first += step) {
    ranges.push_back({.first = first, .last = std::min(size, first + step) - 1});
  }
  return ranges;
}

// One range's body, appended to its buffer; fails once the source is being destroyed, which
// ends the GET under way.
class ParallelObjectSource::RangeSink final : public ByteSink {
 public:
  RangeSink(std::vector<char>& buffer, const std::atomic<bool>& stopping)
      : buffer_(buffer), stopping_(stopping) {}
  Result<void> write(std::span<const char> data) override {
    if (stopping_.load(std::memory_order_relaxed)) {
      return make_error(ErrorKind::cancelled, "the reader went away");
    }
    buffer_.insert(buffer_.end(), data.begin(), data.end());
    return {};
  }
  Result<void> finish() override { return {}; }
  void abort() noexcept override {}

 private:
  std::vector<char>& buffer_;
  const std::atomic<bool>& stopping_;
};

ParallelObjectSource::ParallelObjectSource(ObjectStore& store, std::string key, std::uint64_t size,
                                           ParallelObjectSourceOptions options,
                                           std::stop_token stop)
    : store_(store),
      key_(std::move(key)),
      ranges_(plan_ranges(size, options.range_bytes)),
      window_(static_cast<std::size_t>(std::max(options.concurrency, 1))),
      stop_(std::move(stop)) {
  const std::size_t workers = std::min(window_, ranges_.size());
  for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

ParallelObjectSource::~ParallelObjectSource() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::jthread& worker : workers_) worker.join();
}

std::size_t ParallelObjectSource::peak_buffers() const {
  std::lock_guard lock(mutex_);
  return peak_buffers_;
}

void ParallelObjectSource::work() {
  for (;;) {
    std::size_t index = 0;
    {
      std::unique_lock lock(mutex_);
      // The window: never more than `window_` ranges ahead of the reader.
      changed_.wait(lock, [&] {
        return stopping_ || error_ || next_fetch_ >= ranges_.size() ||
               next_fetch_ < next_read_ + window_;
      });
      if (stopping_ || error_ || next_fetch_ >= ranges_.size()) return;
      index = next_fetch_++;
      peak_buffers_ = std::max(peak_buffers_, ++live_buffers_);
    }
    const ByteRange& range = ranges_[index];
    const auto expected = static_cast<std::size_t>(*range.last - range.first + 1);
    std::vector<char> buffer;
    buffer.reserve(expected);
    RangeSink sink(buffer, stopping_);
    auto got = store_.get_object(key_, sink, range);
    if (got && buffer.size() != expected) {
      got = make_error(ErrorKind::corrupt, key_ + ": range " + std::to_string(range.first) + "-" +
                                               std::to_string(*range.last) + " returned " +
                                               std::to_string(buffer.size()) + " bytes");
    }
    {
      std::lock_guard lock(mutex_);
      if (!got) {
        if (!error_) error_ = got.error();
      } else {
        ready_.emplace(index, std::move(buffer));
      }
    }
    changed_.notify_all();
  }
}

Result<std::size_t> ParallelObjectSource::read(std::span<char> buffer) {
  if (buffer.empty()) return std::size_t{0};
  if (!have_current_ || current_offset_ == current_.size()) {
    std::unique_lock lock(mutex_);
    if (have_current_) {
      --live_buffers_;  // the range just read: its slot goes to the next fetch
      have_current_ = false;
      changed_.notify_all();
    }
    if (next_read_ >= ranges_.size()) {
      std::vector<char>().swap(current_);  // the last range's memory, not kept to the end
      return std::size_t{0};
    }
    changed_.wait(lock, stop_, [&] { return error_ || ready_.contains(next_read_); });
    if (error_) return std::unexpected(*error_);
    if (!ready_.contains(next_read_)) {
      return make_error(ErrorKind::cancelled, "reading " + key_ + ": cancelled");
    }
    auto node = ready_.extract(next_read_++);
    current_ = std::move(node.mapped());
    current_offset_ = 0;
    have_current_ = true;
    changed_.notify_all();
  }
  const std::size_t n = std::min(buffer.size(), current_.size() - current_offset_);
  std::memcpy(buffer.data(), current_.data() + current_offset_, n);
  current_offset_ += n;
  return n;
}

}  // namespace erp::s3
