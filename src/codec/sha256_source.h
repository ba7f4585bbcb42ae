// Sha256Source: a pass-through ByteSource stage that hashes and counts the bytes read through
// it: the read side's twin of Sha256Tap. Put it right after the object source, so it sees the
// stored bytes (before decompression), which is what the manifest's SHA-256 is of.
//
// read() returns what `input` returned (its errors unchanged) and hashes it. Once `input`
// returned 0, hex() is the SHA-256 of everything read; until then it is empty.
//
// Borrows `input`, which must outlive the stage. One thread.
#pragma once

#include <cstdint>
#include <string>

#include "codec/digest.h"
#include "core/byte_stream.h"

namespace erp::codec {

class Sha256Source final : public ByteSource {
 public:
  explicit Sha256Source(ByteSource& input) : input_(input) {}
  Result<std::size_t> read(std::span<char> buffer) override;

  std::uint64_t bytes() const { return bytes_; }
  bool at_end() const { return ended_; }
  const std::string& hex() const { return hex_; }
  // Reads (and hashes) whatever the input still holds, discarding it: for consumers that stop
  // early (pg_restore --list reads only the table of contents).
  Result<void> drain();

 private:
  ByteSource& input_;
  Sha256 hash_;
  std::uint64_t bytes_ = 0;
  bool ended_ = false;
  std::string hex_;
};

}  // namespace erp::codec
