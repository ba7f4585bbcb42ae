// ZstdSink: a ByteSink stage that compresses what it is given into one zstd frame and writes
// the compressed bytes to the next sink (docs stream: tar -> ZstdSink -> Sha256Tap -> multipart).
//
// The frame carries a content checksum (as the zstd CLI writes by default), so any reader
// detects damage inside it. Memory is bounded and independent of the stream size: one output buffer
// of ZSTD_CStreamOutSize() (~128 KiB) plus zstd's own state, which depends on level and workers
// (see ZstdSinkOptions). Output reaches `next` in writes of exactly that buffer size, except the
// last one of the frame.
//
// Life cycle (ByteSink): write()* then finish() or abort().
//   write()  compresses `data` (may block while zstd's workers catch up, or while `next` does).
//            Errors: `next`'s error unchanged; permanent for a zstd failure ("zstd: <reason>").
//            After any error the sink is failed: later write()/finish() return a permanent error
//            and the caller must abort().
//   finish() ends the frame, writes the rest, then finishes `next` and returns its result.
//            A second finish() is a permanent error.
//   abort()  frees the compressor (stopping its workers) and aborts `next`, once; nothing
//            happens after a successful finish(). Idempotent, never throws.
// The destructor frees the compressor and does nothing to `next`.
//
// Borrows `next`, which must outlive the sink. One producer thread calls the sink; with
// workers > 0 zstd compresses on its own threads, joined by finish(), abort() or the destructor.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/byte_stream.h"
#include "core/error.h"

struct ZSTD_CCtx_s;

namespace erp::codec {

inline constexpr int kZstdHardwareThreads = -1;

struct ZstdSinkOptions {
  // zstd level, 1 (fastest) to 19 (smallest; 20-22 need much more memory); negative levels are
  // faster still. Out-of-range values are clamped by zstd. Default 3 (zstd's own default):
  // about 2 CPU-seconds per GiB on a mix of text and incompressible scans (measured with
  // write_tar in front). Cost: each level up buys a few % of size for noticeably more CPU.
  int level = 3;
  // Compression threads (the caller then only feeds them); kZstdHardwareThreads (-1) = one per
  // hardware thread, 0 = compress on the caller's thread only. Clamped to what this libzstd
  // supports (0 when it was built without threads). Cost: memory per worker of about 2-3 job sizes
  // (jobs are 4 x the window, 8 MiB at level 3): measured ~27 MiB per worker at level 3; one
  // thread each; and ~20% more CPU in total than workers = 0 (measured with 2 workers), for
  // compression that runs beside the producer. Any worker count yields one standard frame (the
  // compressed bytes differ, the decompressed content does not).
  int workers = kZstdHardwareThreads;
};

class ZstdSink final : public ByteSink {
 public:
  // Errors: permanent when zstd cannot allocate its context or rejects the level.
  static Result<std::unique_ptr<ZstdSink>> create(ByteSink& next, ZstdSinkOptions options = {});
  ~ZstdSink() override;
  ZstdSink(const ZstdSink&) = delete;
  ZstdSink& operator=(const ZstdSink&) = delete;

  Result<void> write(std::span<const char> data) override;
  Result<void> finish() override;
  void abort() noexcept override;

  // Uncompressed bytes accepted by write().
  std::uint64_t bytes_in() const { return bytes_in_; }
  // Compressed bytes accepted by `next`.
  std::uint64_t bytes_out() const { return bytes_out_; }
  // The worker count in effect after clamping (0 = single-threaded).
  int workers() const { return workers_; }

 private:
  ZstdSink(ByteSink& next, ZSTD_CCtx_s* context, int workers);
  // Runs ZSTD_compressStream2 until `data` is consumed (end = false) or the frame is
  // complete (end = true), handing every full output buffer to `next`.
  Result<void> compress(std::span<const char> data, bool end);
  Result<void> flush_output();
  std::unexpected<Error> fail(Error error);
  void free_context() noexcept;

  enum class State { open, failed, finishing, finished, aborted };

  ByteSink& next_;  // borrowed
  ZSTD_CCtx_s* context_;
  int workers_;
  std::vector<char> out_;     // ZSTD_CStreamOutSize() bytes
  std::size_t out_used_ = 0;  // bytes of out_ not yet handed to next_
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
  State state_ = State::open;
};

}  // namespace erp::codec
