#include "config/restore_docs_config.h"

#include <filesystem>

#include "config/path_setting.h"

namespace erp::config {

RestoreDocsConfig load_restore_docs_config(const Environment& env, Problems& problems) {
  RestoreDocsConfig config;
  config.documents_dir = env.get("RESTORE_DOCUMENTS_DIR");
  if (auto subtree = env.get("REFRESH_DOCS_SUBTREE")) {
    const std::filesystem::path path(*subtree);
    bool valid = path.is_relative();
    for (const auto& part : path) valid = valid && part != "..";
    if (valid && !path.lexically_normal().empty() && path.lexically_normal() != ".") {
      config.refresh_subtree = path.lexically_normal().string();
      while (config.refresh_subtree.ends_with('/')) config.refresh_subtree.pop_back();
    } else {
      problems.add("malformed REFRESH_DOCS_SUBTREE '" + *subtree +
                   "' (hint: a relative path inside the documents tree, e.g. mycompany)");
    }
  }
  if (auto root = read_plain_absolute_path(
          env, "DOCUMENTS_DIR",
          "hint: restore allows absolute links into it, so it must be an absolute path without "
          "'..', e.g. /var/www/documents",
          problems)) {
    config.link_root = root->string();
  }
  return config;
}

}  // namespace erp::config
