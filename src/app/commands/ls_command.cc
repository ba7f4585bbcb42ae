#include <iostream>

#include "app/commands/object_commands.h"

namespace erp::app {

ExitCode run_ls(Context& context, const Arguments& args) {
  const std::string prefix = args.positional(0).value_or("");
  std::string token;
  std::size_t count = 0;
  do {
    auto page = context.s3.list_objects_v2(prefix, token, "", 0);
    if (!page) {
      context.log.error(
          "ls failed",
          {{"bucket", context.s3.bucket()}, {"prefix", prefix}, {"error", page.error().message}});
      return exit_code_for(page.error(), context.cancellation);
    }
    for (const auto& object : page->objects) {
      std::cout << object.size << '\t' << object.last_modified << '\t' << object.key << '\n';
    }
    count += page->objects.size();
    token = page->next_continuation_token.value_or("");
  } while (!token.empty());
  std::cout.flush();
  if (!std::cout) {
    context.log.error("ls failed: cannot write to stdout");
    return ExitCode::failed;
  }
  context.log.debug("ls done", {{"prefix", prefix}, {"objects", std::to_string(count)}});
  return ExitCode::ok;
}

}  // namespace erp::app
