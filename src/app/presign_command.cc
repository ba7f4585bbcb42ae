#include <charconv>
#include <iostream>

#include "app/object_commands.h"

namespace erp::app {

int run_presign(Context& context, const std::vector<std::string>& args) {
  std::string key;
  long expires = 3600;
  bool have_key = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--expires" && i + 1 < args.size()) {
      const std::string& text = args[++i];
      const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), expires);
      // SigV4 caps presigned URLs at 7 days.
      if (ec != std::errc() || ptr != text.data() + text.size() || expires < 1 ||
          expires > 604800) {
        context.log.error("presign: --expires takes 1 to 604800 seconds");
        return 2;
      }
    } else if (!have_key) {
      key = args[i];
      have_key = true;
    } else {
      have_key = false;
      break;
    }
  }
  if (!have_key) {
    context.log.error("usage: erp-backup presign KEY [--expires SECONDS]");
    return 2;
  }
  auto url = context.s3.presign("GET", key, std::chrono::seconds(expires));
  if (!url) {
    context.log.error("presign failed", {{"error", url.error().message}});
    return exit_code_for(url.error(), context.cancellation);
  }
  std::cout << *url << '\n';
  return 0;
}

}  // namespace erp::app
