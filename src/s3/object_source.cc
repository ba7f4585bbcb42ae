#include "s3/object_source.h"

#include <algorithm>
#include <cstring>

namespace erp::s3 {

// Receives get_object's body and queues it for read(), blocking while the queue is full.
class ObjectSource::QueueSink final : public ByteSink {
 public:
  explicit QueueSink(ObjectSource& source) : source_(source) {}
  Result<void> write(std::span<const char> data) override {
    std::unique_lock lock(source_.mutex_);
    source_.changed_.wait(lock, [&] {
      return source_.stopping_ || source_.queued_bytes_ < source_.options_.queue_bytes;
    });
    if (source_.stopping_) {
      return make_error(ErrorKind::cancelled, "reading " + source_.key_ + ": the reader stopped");
    }
    source_.queue_.emplace_back(data.begin(), data.end());
    source_.queued_bytes_ += data.size();
    lock.unlock();
    source_.changed_.notify_all();
    return {};
  }
  Result<void> finish() override { return {}; }
  void abort() noexcept override {}

 private:
  ObjectSource& source_;
};

ObjectSource::ObjectSource(ObjectStore& store, std::string key, ObjectSourceOptions options)
    : store_(store), key_(std::move(key)), options_(options), fetcher_([this] { fetch(); }) {}

ObjectSource::~ObjectSource() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  // fetcher_ joins here (jthread), after the fetch saw `stopping_` or ended.
}

void ObjectSource::fetch() {
  QueueSink sink(*this);
  auto got = store_.get_object(key_, sink, std::nullopt);
  {
    std::lock_guard lock(mutex_);
    fetch_done_ = true;
    if (!got) fetch_error_ = got.error();
  }
  changed_.notify_all();
}

Result<std::size_t> ObjectSource::read(std::span<char> buffer) {
  if (buffer.empty()) return std::size_t{0};
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !queue_.empty() || fetch_done_; });
  if (queue_.empty()) {
    if (fetch_error_) return std::unexpected(*fetch_error_);
    return std::size_t{0};
  }
  std::size_t copied = 0;
  while (copied < buffer.size() && !queue_.empty()) {
    const std::vector<char>& front = queue_.front();
    const std::size_t n = std::min(buffer.size() - copied, front.size() - front_offset_);
    std::memcpy(buffer.data() + copied, front.data() + front_offset_, n);
    copied += n;
    front_offset_ += n;
    if (front_offset_ == front.size()) {
      queued_bytes_ -= front.size();
      queue_.pop_front();
      front_offset_ = 0;
    }
  }
  bytes_read_ += copied;
  lock.unlock();
  changed_.notify_all();  // room in the queue
  return copied;
}

}  // namespace erp::s3
