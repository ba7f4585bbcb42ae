// ZstdSource: a ByteSource stage that decompresses zstd data read from another ByteSource
// (restore and verify: S3 ranged GETs -> ZstdSource -> tar extractor).
//
// Accepts one frame or several concatenated ones (as the zstd CLI does). The end of the input
// must coincide with the end of a complete frame.
//
// read() returns 1..buffer.size() decompressed bytes, or 0 at the end of the stream (and again
// on every later call). Errors:
//   corrupt — the input is empty, damaged (a bad magic number, checksum or block), needs a
//             window larger than 128 MiB (zstd's default limit; ZstdSink never writes one), or
//             ends inside a frame (truncated);
//   the input's own errors, unchanged (e.g. cancelled, transient).
// After an error every later read() returns the same error.
//
// Memory: an input buffer of ZSTD_DStreamInSize() (~128 KiB) plus zstd's window (2 MiB at the
// default level 3, at most 128 MiB).
//
// Borrows `input`, which must outlive the source. Not thread-safe (one consumer thread).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/byte_stream.h"
#include "core/error.h"

struct ZSTD_DCtx_s;

namespace erp::codec {

class ZstdSource final : public ByteSource {
 public:
  // Errors: permanent when zstd cannot allocate its context.
  static Result<std::unique_ptr<ZstdSource>> create(ByteSource& input);
  ~ZstdSource() override;
  ZstdSource(const ZstdSource&) = delete;
  ZstdSource& operator=(const ZstdSource&) = delete;

  Result<std::size_t> read(std::span<char> buffer) override;

  // Compressed bytes read from the input so far.
  std::uint64_t bytes_in() const { return bytes_in_; }
  // Decompressed bytes returned so far.
  std::uint64_t bytes_out() const { return bytes_out_; }

 private:
  ZstdSource(ByteSource& input, ZSTD_DCtx_s* context);
  std::unexpected<Error> fail(Error error);

  ByteSource& input_;  // borrowed
  ZSTD_DCtx_s* context_;
  std::vector<char> in_;          // ZSTD_DStreamInSize() bytes
  std::size_t in_size_ = 0;       // valid bytes in in_
  std::size_t in_pos_ = 0;        // bytes of in_ consumed by zstd
  bool input_ended_ = false;      // input returned 0
  bool frame_complete_ = true;    // no frame is partially decoded
  bool may_have_output_ = false;  // zstd filled the caller's buffer: it may hold more
  bool done_ = false;
  std::optional<Error> error_;
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
};

}  // namespace erp::codec
