#include "fakes/memory_sink.h"

#include <algorithm>
#include <utility>

namespace erp::testing {

Result<void> MemorySink::write(std::span<const char> data) {
  ++write_calls_;
  if (write_error_ &&
      (write_calls_ == fail_write_at_ || (fail_sticky_ && write_calls_ > fail_write_at_))) {
    return std::unexpected(*write_error_);
  }
  largest_write_ = std::max(largest_write_, data.size());
  data_.append(data.data(), data.size());
  return {};
}

Result<void> MemorySink::finish() {
  ++finish_calls_;
  if (finish_error_) return std::unexpected(*finish_error_);
  return {};
}

void MemorySink::abort() noexcept {
  ++abort_calls_;
}

void MemorySink::fail_on_write(int n, Error error, bool sticky) {
  fail_write_at_ = n;
  fail_sticky_ = sticky;
  write_error_ = std::move(error);
}

void MemorySink::fail_on_finish(Error error) {
  finish_error_ = std::move(error);
}

}  // namespace erp::testing

namespace erp::testing {

Result<std::size_t> MemorySource::read(std::span<char> buffer) {
  ++read_calls_;
  if (fail_at_ && at_ >= *fail_at_) return std::unexpected(*error_);
  std::size_t size = std::min({buffer.size(), max_read_, data_.size() - at_});
  if (fail_at_) size = std::min(size, *fail_at_ - at_);
  std::copy_n(data_.data() + at_, size, buffer.data());
  at_ += size;
  return size;
}

void MemorySource::fail_after(std::size_t bytes, Error error) {
  fail_at_ = bytes;
  error_ = std::move(error);
}

}  // namespace erp::testing
