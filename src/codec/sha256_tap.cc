#include "codec/sha256_tap.h"

namespace erp::codec {

Result<void> Sha256Tap::write(std::span<const char> data) {
  if (state_ != State::open) {
    return make_error(ErrorKind::permanent, "sha256 tap: write after finish or abort");
  }
  // Forward first: a byte counts as stored only once the next stage took it.
  if (auto written = next_.write(data); !written) return written;
  hash_.update(data);
  bytes_ += data.size();
  return {};
}

Result<void> Sha256Tap::finish() {
  if (state_ != State::open) {
    return make_error(ErrorKind::permanent, "sha256 tap: finish after finish or abort");
  }
  // The digest is final before `next` commits: nothing can be written after this point.
  hex_ = hash_.final_hex();
  state_ = State::finishing;
  auto finished = next_.finish();
  if (finished) state_ = State::finished;
  return finished;
}

void Sha256Tap::abort() noexcept {
  // After a failed finish() (state finishing) the next sink still needs its abort().
  if (state_ == State::open || state_ == State::finishing) {
    state_ = State::aborted;
    next_.abort();
  }
}

}  // namespace erp::codec
