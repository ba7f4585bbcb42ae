#include <unistd.h>

#include <chrono>
#include <vector>

#include "app/backup/progress_reporter.h"
#include "app/commands/object_commands.h"
#include "core/fd_stream.h"
#include "upload/buffer_pool.h"
#include "upload/multipart_sink.h"

namespace erp::app {
namespace {

// The pipe buffer asked for on stdin: the most an unprivileged process may set by default
// (/proc/sys/fs/pipe-max-size). Each read then takes up to this much instead of 64 KiB.
constexpr std::size_t kPipeBytes = 1 << 20;

}  // namespace

ExitCode run_put(Context& context, const Arguments& args) {
  const std::string& key = args.positionals().at(0);
  const auto started = std::chrono::steady_clock::now();
  upload::BufferPool pool(context.s3_config.buffer_budget);
  upload::MultipartSink sink(context.s3, pool, key,
                             {.first_part_size = context.s3_config.part_size,
                              .concurrency = context.s3_config.upload_concurrency,
                              .stop = context.cancellation.token()});
  widen_pipe(STDIN_FILENO, kPipeBytes);
  FdSource input(STDIN_FILENO, context.cancellation);

  auto fail = [&](const Error& error) {
    sink.abort();
    context.log.error("put failed", {{"bucket", context.s3.bucket()},
                                     {"key", key},
                                     {"bytes", std::to_string(sink.stats().bytes)},
                                     {"error", error.message}});
    if (sink.stats().abort_error) {
      context.log.error(
          "abort of the multipart upload failed; it may linger",
          {{"upload_id", sink.stats().upload_id}, {"error", sink.stats().abort_error->message}});
    }
    return exit_code_for(error, context.cancellation);
  };

  // stdin is read straight into the part buffers: no copy through a buffer of our own.
  if (auto written = sink.write_from(input); !written) return fail(written.error());
  // A signal that arrives after EOF still stops the job before it commits.
  if (context.cancellation.cancelled()) {
    return fail(Error{ErrorKind::cancelled, "stopped by signal before commit"});
  }
  if (auto finished = sink.finish(); !finished) return fail(finished.error());

  const auto& stats = sink.stats();
  context.log.info(
      "put done", {{"bucket", context.s3.bucket()},
                   {"key", key},
                   {"bytes", std::to_string(stats.bytes)},
                   {"parts", std::to_string(stats.parts)},
                   {"etag", stats.etag},
                   {"rate", format_rate(stats.bytes, std::chrono::steady_clock::now() - started)}});
  return ExitCode::ok;
}

}  // namespace erp::app
