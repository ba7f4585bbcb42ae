#include "codec/zstd_source.h"

#include <zstd.h>

#include <string>
#include <utility>

namespace erp::codec {

Result<std::unique_ptr<ZstdSource>> ZstdSource::create(ByteSource& input) {
  ZSTD_DCtx* context = ZSTD_createDCtx();
  if (context == nullptr) {
    return make_error(ErrorKind::permanent, "zstd: cannot allocate a decompression context");
  }
  return std::unique_ptr<ZstdSource>(new ZstdSource(input, context));
}

ZstdSource::ZstdSource(ByteSource& input, ZSTD_DCtx_s* context)
    : input_(input), context_(context), in_(ZSTD_DStreamInSize()) {}

ZstdSource::~ZstdSource() {
  ZSTD_freeDCtx(context_);
}

std::unexpected<Error> ZstdSource::fail(Error error) {
  error_ = error;
  return std::unexpected(std::move(error));
}

Result<std::size_t> ZstdSource::read(std::span<char> buffer) {
  if (error_) return std::unexpected(*error_);
  if (done_ || buffer.empty()) return 0;
  ZSTD_outBuffer output{buffer.data(), buffer.size(), 0};
  while (output.pos == 0) {
    if (in_pos_ == in_size_ && !may_have_output_) {
      if (input_ended_) {
        // Input is exhausted and zstd holds nothing more: the end is clean only at a frame
        // boundary, and only if there was a frame at all.
        if (bytes_in_ == 0) {
          return fail(Error{ErrorKind::corrupt, "zstd: empty input, expected a zstd frame"});
        }
        if (!frame_complete_) {
          return fail(Error{ErrorKind::corrupt, "zstd: input ends inside a frame after " +
                                                    std::to_string(bytes_in_) +
                                                    " bytes (truncated)"});
        }
        done_ = true;
        return 0;
      }
      auto got = input_.read(std::span<char>(in_.data(), in_.size()));
      if (!got) return fail(got.error());
      in_size_ = *got;
      in_pos_ = 0;
      bytes_in_ += *got;
      if (*got == 0) input_ended_ = true;
      continue;
    }
    ZSTD_inBuffer input{in_.data(), in_size_, in_pos_};
    const std::size_t output_before = output.pos;
    const std::size_t hint = ZSTD_decompressStream(context_, &output, &input);
    const bool progressed = input.pos != in_pos_ || output.pos != output_before;
    in_pos_ = input.pos;
    if (ZSTD_isError(hint)) {
      return fail(Error{ErrorKind::corrupt, std::string("zstd: ") + ZSTD_getErrorName(hint) +
                                                " (after " + std::to_string(bytes_in_) +
                                                " compressed bytes read)"});
    }
    // 0 = a frame was fully decoded and flushed; anything else = mid-frame. A call that moved
    // nothing (asked for more output at a frame boundary) answers for the *next* frame's header
    // and must not turn a complete frame into a truncated one.
    if (progressed) frame_complete_ = hint == 0;
    // A full output buffer means zstd may still hold decoded bytes: the next read() must call
    // it again even without new input.
    may_have_output_ = output.pos == output.size;
  }
  bytes_out_ += output.pos;
  return output.pos;
}

}  // namespace erp::codec
