#include <iostream>

#include "app/object_commands.h"

namespace erp::app {

int run_ls(Context& context, const std::vector<std::string>& args) {
  if (args.size() > 1) {
    context.log.error("usage: erp-backup ls [PREFIX]");
    return 2;
  }
  const std::string prefix = args.empty() ? "" : args[0];
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
    return 1;
  }
  context.log.debug("ls done", {{"prefix", prefix}, {"objects", std::to_string(count)}});
  return 0;
}

}  // namespace erp::app
