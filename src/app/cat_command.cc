#include <unistd.h>

#include "app/object_commands.h"
#include "core/fd_stream.h"

namespace erp::app {

int run_cat(Context& context, const std::vector<std::string>& args) {
  if (args.size() != 1) {
    context.log.error("usage: erp-backup cat KEY");
    return 2;
  }
  const std::string& key = args[0];
  FdSink stdout_sink(STDOUT_FILENO);
  auto result = context.s3.get_object(key, stdout_sink, std::nullopt);
  if (!result) {
    context.log.error(
        "cat failed",
        {{"bucket", context.s3.bucket()}, {"key", key}, {"error", result.error().message}});
    return exit_code_for(result.error(), context.cancellation);
  }
  return 0;
}

}  // namespace erp::app
