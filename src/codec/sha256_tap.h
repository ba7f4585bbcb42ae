// Sha256Tap: a pass-through ByteSink stage that hashes and counts the bytes going by.
//
// Put it right before the multipart sink so that it sees the *stored* bytes (after
// compression): its hex() is the SHA-256 the manifest records and `verify` recomputes.
//
// Life cycle (ByteSink): write()* then finish() or abort().
//   write()  forwards to `next` first and hashes only what `next` accepted; `next`'s error is
//            returned unchanged. After finish() or abort() it is a permanent error.
//   finish() finalises the hash, then finishes `next` and returns its result. bytes() and hex()
//            are valid once finish() succeeded. Calling finish() twice is a permanent error and
//            does not finish `next` again.
//   abort()  aborts `next` exactly once (also after a failed finish(), as the ByteSink contract
//            asks); it does nothing after a successful finish(). Idempotent, never throws.
// The destructor does nothing to `next`: the owner of the chain decides its fate.
//
// Borrows `next`, which must outlive the tap. Not thread-safe (one producer thread).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "codec/digest.h"
#include "core/byte_stream.h"

namespace erp::codec {

class Sha256Tap final : public ByteSink {
 public:
  explicit Sha256Tap(ByteSink& next) : next_(next) {}
  Sha256Tap(const Sha256Tap&) = delete;
  Sha256Tap& operator=(const Sha256Tap&) = delete;

  Result<void> write(std::span<const char> data) override;
  Result<void> finish() override;
  void abort() noexcept override;

  // Bytes accepted by `next` so far (final after finish()).
  std::uint64_t bytes() const { return bytes_; }
  // Lowercase hex SHA-256 of those bytes; empty until finish() has been called.
  const std::string& hex() const { return hex_; }

 private:
  enum class State { open, finishing, finished, aborted };

  ByteSink& next_;  // borrowed
  Sha256 hash_;
  std::uint64_t bytes_ = 0;
  std::string hex_;
  State state_ = State::open;
};

}  // namespace erp::codec
