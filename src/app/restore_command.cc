#include "app/restore_command.h"

#include "app/restore_docs_command.h"

namespace erp::app {

config::Needs restore_needs(const std::vector<std::string>& args) {
  config::Needs needs{.s3 = true, .layout = true};
  if (!args.empty() && args[0] == "docs") needs.restore_docs = true;
  return needs;
}

int run_restore(Context& context, const std::vector<std::string>& args) {
  const std::vector<std::string> rest(args.empty() ? args.end() : args.begin() + 1, args.end());
  if (!args.empty() && args[0] == "docs") return run_restore_docs(context, rest);
  if (!args.empty() && args[0] == "db") {
    context.log.error(
        "restore db is not implemented yet (hint: erp-backup cat the dump into "
        "pg_restore by hand meanwhile)");
    return 2;
  }
  context.log.error(
      "restore needs what to restore: db or docs (hint: erp-backup restore docs "
      "latest --target-dir DIR)");
  return 2;
}

}  // namespace erp::app
