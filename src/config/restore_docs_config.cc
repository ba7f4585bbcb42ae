#include "config/restore_docs_config.h"

namespace erp::config {

RestoreDocsConfig load_restore_docs_config(const Environment& env, Problems& problems) {
  RestoreDocsConfig config;
  if (auto dir = env.get("RESTORE_DOCUMENTS_DIR")) {
    if (dir->empty()) {
      problems.add(
          "empty RESTORE_DOCUMENTS_DIR (hint: the directory to restore documents into, e.g. "
          "/var/www/documents, or unset it and pass --target-dir)");
    } else {
      config.documents_dir = *dir;
    }
  }
  return config;
}

}  // namespace erp::config
