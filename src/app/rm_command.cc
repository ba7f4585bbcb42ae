#include "app/object_commands.h"

namespace erp::app {

int run_rm(Context& context, const std::vector<std::string>& args) {
  if (args.empty()) {
    context.log.error("usage: erp-backup rm KEY...");
    return 2;
  }
  auto failures = context.s3.delete_objects(args);
  if (!failures) {
    context.log.error("rm failed",
                      {{"bucket", context.s3.bucket()}, {"error", failures.error().message}});
    return exit_code_for(failures.error(), context.cancellation);
  }
  for (const auto& failure : *failures) {
    context.log.error("delete refused",
                      {{"key", failure.key}, {"code", failure.code}, {"message", failure.message}});
  }
  if (!failures->empty()) return 1;
  context.log.info("deleted",
                   {{"bucket", context.s3.bucket()}, {"objects", std::to_string(args.size())}});
  return 0;
}

}  // namespace erp::app
