#include "codec/zstd_sink.h"

#include <zstd.h>

#include <algorithm>
#include <string>
#include <thread>
#include <utility>

namespace erp::codec {
namespace {

std::string zstd_reason(std::size_t code) {
  return ZSTD_getErrorName(code);
}

}  // namespace

Result<std::unique_ptr<ZstdSink>> ZstdSink::create(ByteSink& next, ZstdSinkOptions options) {
  ZSTD_CCtx* context = ZSTD_createCCtx();
  if (context == nullptr) {
    return make_error(ErrorKind::permanent, "zstd: cannot allocate a compression context");
  }
  // The level is clamped by zstd itself; an error here means a broken library.
  if (const std::size_t set =
          ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, options.level);
      ZSTD_isError(set)) {
    ZSTD_freeCCtx(context);
    return make_error(ErrorKind::permanent,
                      "zstd: level " + std::to_string(options.level) + ": " + zstd_reason(set));
  }
  // A content checksum (XXH64, 4 bytes per frame, negligible CPU) lets `zstd -d`, verify and
  // restore detect damage inside the frame on their own, as the zstd CLI's default does.
  if (const std::size_t set = ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1);
      ZSTD_isError(set)) {
    ZSTD_freeCCtx(context);
    return make_error(ErrorKind::permanent, "zstd: content checksum: " + zstd_reason(set));
  }
  int workers = options.workers;
  if (workers < 0) workers = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  // A libzstd built without threads reports bounds {0, 0}: clamping keeps the sink usable there
  // instead of failing on a performance setting.
  const ZSTD_bounds bounds = ZSTD_cParam_getBounds(ZSTD_c_nbWorkers);
  if (ZSTD_isError(bounds.error)) {
    workers = 0;
  } else {
    workers = std::clamp(workers, bounds.lowerBound, bounds.upperBound);
  }
  if (workers > 0) {
    if (ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, workers))) workers = 0;
  }
  return std::unique_ptr<ZstdSink>(new ZstdSink(next, context, workers));
}

ZstdSink::ZstdSink(ByteSink& next, ZSTD_CCtx_s* context, int workers)
    : next_(next), context_(context), workers_(workers), out_(ZSTD_CStreamOutSize()) {}

ZstdSink::~ZstdSink() {
  free_context();
}

void ZstdSink::free_context() noexcept {
  if (context_ != nullptr) {
    ZSTD_freeCCtx(context_);  // joins the workers
    context_ = nullptr;
  }
}

std::unexpected<Error> ZstdSink::fail(Error error) {
  state_ = State::failed;
  return std::unexpected(std::move(error));
}

Result<void> ZstdSink::flush_output() {
  if (out_used_ == 0) return {};
  if (auto written = next_.write(std::span<const char>(out_.data(), out_used_)); !written) {
    return fail(written.error());
  }
  bytes_out_ += out_used_;
  out_used_ = 0;
  return {};
}

Result<void> ZstdSink::compress(std::span<const char> data, bool end) {
  ZSTD_inBuffer input{data.data(), data.size(), 0};
  const ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
  for (;;) {
    ZSTD_outBuffer output{out_.data(), out_.size(), out_used_};
    const std::size_t remaining = ZSTD_compressStream2(context_, &output, &input, mode);
    out_used_ = output.pos;
    if (ZSTD_isError(remaining)) {
      return fail(Error{ErrorKind::permanent, "zstd: " + zstd_reason(remaining)});
    }
    // Hand over only full buffers: fewer, larger writes downstream. The last partial buffer
    // goes out in finish().
    if (out_used_ == out_.size()) {
      if (auto flushed = flush_output(); !flushed) return flushed;
    }
    // With workers, ZSTD_e_continue may return before consuming all input; call again.
    if (end ? remaining == 0 : input.pos == input.size) return {};
  }
}

Result<void> ZstdSink::write(std::span<const char> data) {
  if (state_ != State::open) {
    return make_error(ErrorKind::permanent, "zstd sink: write after finish, abort or an error");
  }
  if (data.empty()) return {};
  if (auto compressed = compress(data, false); !compressed) return compressed;
  bytes_in_ += data.size();
  return {};
}

Result<void> ZstdSink::finish() {
  if (state_ != State::open) {
    return make_error(ErrorKind::permanent, "zstd sink: finish after finish, abort or an error");
  }
  if (auto ended = compress({}, true); !ended) return ended;
  if (auto flushed = flush_output(); !flushed) return flushed;
  free_context();  // the frame is complete: release the workers and their buffers now
  state_ = State::finishing;
  auto finished = next_.finish();
  if (finished) state_ = State::finished;
  return finished;
}

void ZstdSink::abort() noexcept {
  if (state_ == State::finished || state_ == State::aborted) return;
  state_ = State::aborted;
  free_context();
  next_.abort();
}

}  // namespace erp::codec
