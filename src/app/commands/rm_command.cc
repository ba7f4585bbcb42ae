#include "app/commands/object_commands.h"

namespace erp::app {

ExitCode run_rm(Context& context, const Arguments& args) {
  const std::vector<std::string>& keys = args.positionals();
  auto failures = context.s3.delete_objects(keys);
  if (!failures) {
    context.log.error("rm failed",
                      {{"bucket", context.s3.bucket()}, {"error", failures.error().message}});
    return exit_code_for(failures.error(), context.cancellation);
  }
  for (const auto& failure : *failures) {
    context.log.error("delete refused",
                      {{"key", failure.key}, {"code", failure.code}, {"message", failure.message}});
  }
  if (!failures->empty()) return ExitCode::failed;
  context.log.info("deleted",
                   {{"bucket", context.s3.bucket()}, {"objects", std::to_string(keys.size())}});
  return ExitCode::ok;
}

}  // namespace erp::app
