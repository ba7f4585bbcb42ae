#include "upload/buffer_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

namespace erp::upload {

void UnmapDeleter::operator()(char* address) const noexcept {
  if (address != nullptr) munmap(address, length);
}

PartBuffer::PartBuffer(PartBuffer&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      data_(std::move(other.data_)),
      capacity_(std::exchange(other.capacity_, 0)),
      size_(std::exchange(other.size_, 0)) {}

PartBuffer& PartBuffer::operator=(PartBuffer&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::exchange(other.pool_, nullptr);
    data_ = std::move(other.data_);
    capacity_ = std::exchange(other.capacity_, 0);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

std::size_t PartBuffer::append(std::span<const char> data) {
  const std::size_t n = std::min(data.size(), capacity_ - size_);
  if (n > 0) std::memcpy(data_.get() + size_, data.data(), n);
  size_ += n;
  return n;
}

void PartBuffer::commit(std::size_t n) {
  assert(n <= capacity_ - size_);
  size_ += std::min(n, capacity_ - size_);
}

void PartBuffer::release() noexcept {
  if (pool_ != nullptr) {
    pool_->give_back(std::move(data_), capacity_);
  } else {
    data_.reset();
  }
  pool_ = nullptr;
  capacity_ = 0;
  size_ = 0;
}

Result<PartBuffer> BufferPool::acquire(std::uint64_t bytes, std::stop_token stop) {
  if (bytes > budget_) {
    // Waiting could never succeed; say which setting to change instead of hanging.
    return make_error(ErrorKind::permanent,
                      "a part buffer of " + std::to_string(bytes) +
                          " bytes is larger than the whole buffer budget of " +
                          std::to_string(budget_) +
                          " bytes (hint: raise S3_BUFFER_BUDGET or lower S3_PART_SIZE)");
  }
  MappedBytes reused;
  std::vector<MappedBytes> dropped;  // unmapped outside the lock
  {
    std::unique_lock lock(mutex_);
    const std::uint64_t ticket = next_ticket_++;
    queue_.push_back(ticket);
    changed_.notify_all();  // wait_until_waiting() observers
    // Strict arrival order: only the oldest waiter may take budget, so a large request is not
    // overtaken forever by small ones. condition_variable_any also wakes us when `stop` is
    // requested, so a stream whose upload failed stops waiting at once.
    const bool granted = changed_.wait(lock, stop, [&] {
      return shut_down_ || (queue_.front() == ticket && budget_ - in_use_ >= bytes);
    });
    if (!granted || shut_down_) {
      queue_.erase(std::find(queue_.begin(), queue_.end(), ticket));
      changed_.notify_all();  // the next waiter may now be at the front
      return make_error(ErrorKind::cancelled,
                        shut_down_ ? "waiting for part buffer budget: the job is shutting down"
                                   : "waiting for part buffer budget: cancelled");
    }
    queue_.pop_front();
    in_use_ += bytes;
    high_water_ = std::max(high_water_, in_use_);
    // A spare of exactly this size is reused as it is (its pages are already resident, so
    // the producer's copy takes no page faults); otherwise spares go until the new mapping
    // fits beside them within the budget.
    const auto same = std::ranges::find_if(
        spares_, [&](const MappedBytes& spare) { return spare.get_deleter().length == bytes; });
    if (same != spares_.end()) {
      reused = std::move(*same);
      spares_.erase(same);
      spare_bytes_ -= bytes;
    } else {
      while (!spares_.empty() && in_use_ + spare_bytes_ > budget_) {
        spare_bytes_ -= spares_.front().get_deleter().length;
        dropped.push_back(std::move(spares_.front()));
        spares_.erase(spares_.begin());
      }
    }
  }
  changed_.notify_all();  // the next waiter may fit in what is left

  if (reused) return PartBuffer(this, std::move(reused), bytes);
  // Spares that would push memory past the budget were taken out under the lock; unmap them
  // before mapping anything new, so mapped memory never exceeds the budget.
  dropped.clear();
  // Anonymous pages stay out of RSS until the producer writes into them.
  const std::size_t length = std::max<std::size_t>(bytes, 1);
  void* address = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  MappedBytes data(address == MAP_FAILED ? nullptr : static_cast<char*>(address),
                   UnmapDeleter{length});
  if (!data) {
    give_back(MappedBytes{}, bytes);
    return make_error(ErrorKind::permanent, "cannot allocate a part buffer of " +
                                                std::to_string(bytes) +
                                                " bytes (hint: lower S3_BUFFER_BUDGET or "
                                                "raise the container's memory limit)");
  }
  return PartBuffer(this, std::move(data), bytes);
}

void BufferPool::shutdown() {
  {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
  }
  changed_.notify_all();
}

std::uint64_t BufferPool::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

std::uint64_t BufferPool::high_water() const {
  std::lock_guard lock(mutex_);
  return high_water_;
}

std::size_t BufferPool::waiting() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void BufferPool::wait_until_waiting(std::size_t count) const {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return queue_.size() >= count; });
}

std::uint64_t BufferPool::spare_bytes() const {
  std::lock_guard lock(mutex_);
  return spare_bytes_;
}

void BufferPool::give_back(MappedBytes memory, std::uint64_t bytes) noexcept {
  {
    std::lock_guard lock(mutex_);
    in_use_ -= bytes;
    // Kept for the next part of the same size: in_use + spares stays within the budget
    // because this memory was counted in in_use until now.
    if (memory && memory.get_deleter().length == bytes && spares_.size() < kMaxSpares) {
      try {
        spares_.push_back(std::move(memory));
        spare_bytes_ += bytes;
      } catch (...) {  // no room to remember it: memory's destructor unmaps it below
      }
    }
  }
  memory.reset();  // unmapped outside the lock when it was not kept
  changed_.notify_all();
}

}  // namespace erp::upload
