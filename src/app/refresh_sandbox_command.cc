#include "app/refresh_sandbox_command.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "app/object_commands.h"
#include "app/restore_db.h"
#include "app/restore_docs_command.h"
#include "catalog/catalog.h"
#include "config/layout_config.h"

namespace erp::app {
namespace {

Result<std::string> parse_from_env(const std::vector<std::string>& args) {
  if (args.size() == 2 && args[0] == "--from-env") {
    if (!config::valid_env_name(args[1])) {
      return make_error(ErrorKind::config, "--from-env '" + args[1] +
                                               "' is not an env name (hint: lower-case letters, "
                                               "digits and '-', e.g. prod)");
    }
    return args[1];
  }
  return make_error(ErrorKind::config, "usage: erp-backup refresh-sandbox --from-env ENV");
}

const catalog::CatalogSet* newest_full_set(const catalog::Catalog& catalog) {
  for (auto it = catalog.sets.rbegin(); it != catalog.sets.rend(); ++it) {
    if (it->complete && it->streams() == catalog::StreamSet::both()) return &*it;
  }
  return nullptr;
}

}  // namespace

int run_refresh_sandbox(Context& context, const std::vector<std::string>& args) {
  Logger& log = context.log;
  auto from_env = parse_from_env(args);
  if (!from_env) {
    log.error(from_env.error().message);
    return 2;
  }
  const auto& documents_dir = context.settings.restore_docs->documents_dir;
  if (!documents_dir) {
    log.error(
        "missing RESTORE_DOCUMENTS_DIR (hint: the sandbox's documents directory, whose "
        "REFRESH_DOCS_SUBTREE is replaced)");
    return 2;
  }
  const std::filesystem::path root = std::filesystem::path(*documents_dir).lexically_normal();
  const std::string subtree = context.settings.restore_docs->refresh_subtree;

  // 1. The set, from the bucket only.
  const catalog::KeyLayout layout(context.settings.layout->prefix, *from_env);
  auto catalog = catalog::load_catalog(context.s3, layout);
  if (!catalog) {
    log.error("refresh refused: cannot list the sets",
              {{"prefix", layout.env_prefix()}, {"error", catalog.error().message}});
    return exit_code_for(catalog.error(), context.cancellation);
  }
  const catalog::CatalogSet* set = newest_full_set(*catalog);
  if (set == nullptr) {
    log.error("refresh refused: no complete set with both a dump and documents",
              {{"prefix", layout.env_prefix()}});
    return 1;
  }
  log.info("refresh-sandbox starting",
           {{"from_env", *from_env}, {"id", set->id}, {"documents_subtree", subtree}});

  // 2. The database.
  if (const int code = restore_set_db(context, *set, {.force_drop_owned = true}); code != 0) {
    log.error("refresh-sandbox failed in the database step; the documents were not touched",
              {{"id", set->id}});
    return code;
  }

  // 3. The documents subtree: staged beside it, then swapped in.
  std::error_code error;
  const std::filesystem::path staging =
      root / (".erp-refresh-" + set->id + "-" + std::to_string(::getpid()));
  const std::filesystem::path current = root / subtree;
  const std::filesystem::path previous = staging.string() + ".old";
  std::filesystem::remove_all(staging, error);
  std::filesystem::create_directories(staging, error);
  if (error) {
    log.error("refresh-sandbox failed: cannot create the staging directory",
              {{"path", staging.string()}, {"error", error.message()}});
    return 1;
  }
  const archive::ExtractOptions options{.subtree = subtree, .restore_owners = ::geteuid() == 0};
  if (const int code = restore_set_docs(context, *set, staging, options); code != 0) {
    std::filesystem::remove_all(staging, error);
    log.error(
        "refresh-sandbox failed in the documents step; the sandbox's documents are "
        "unchanged",
        {{"id", set->id}});
    return code;
  }
  const std::filesystem::path fresh = staging / subtree;
  std::filesystem::create_directories(current.parent_path(), error);
  // symlink_status reports a missing path both as not_found and in `error` (ENOENT): a first
  // refresh has no subtree yet, which is not a failure.
  const bool had_current = std::filesystem::symlink_status(current, error).type() !=
                           std::filesystem::file_type::not_found;
  if (!had_current) error.clear();
  if (had_current && !error) std::filesystem::rename(current, previous, error);
  if (!error) std::filesystem::rename(fresh, current, error);
  if (error) {
    log.error("refresh-sandbox failed swapping the documents subtree in",
              {{"path", current.string()}, {"error", error.message()}});
    return 1;
  }
  std::filesystem::remove_all(previous, error);
  std::filesystem::remove_all(staging, error);
  log.info("refresh-sandbox done",
           {{"from_env", *from_env}, {"id", set->id}, {"documents", current.string()}});
  return 0;
}

}  // namespace erp::app
