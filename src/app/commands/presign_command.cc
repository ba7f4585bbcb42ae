#include <charconv>
#include <iostream>

#include "app/commands/object_commands.h"

namespace erp::app {

ExitCode run_presign(Context& context, const Arguments& args) {
  const std::string& key = args.positionals().at(0);
  long expires = 3600;
  if (const auto text = args.value("--expires")) {
    const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), expires);
    // SigV4 caps presigned URLs at 7 days.
    if (ec != std::errc() || ptr != text->data() + text->size() || expires < 1 ||
        expires > 604800) {
      context.log.error("presign: --expires takes 1 to 604800 seconds");
      return ExitCode::usage;
    }
  }
  if (!context.signing.presign) {
    context.log.error("presign failed: this store cannot sign URLs");
    return ExitCode::failed;
  }
  auto url = context.signing.presign("GET", key, std::chrono::seconds(expires));
  if (!url) {
    context.log.error("presign failed", {{"error", url.error().message}});
    return exit_code_for(url.error(), context.cancellation);
  }
  std::cout << *url << '\n';
  return ExitCode::ok;
}

}  // namespace erp::app
