#include "config/restore_docs_config.h"

namespace erp::config {

RestoreDocsConfig load_restore_docs_config(const Environment& env, Problems&) {
  RestoreDocsConfig config;
  config.documents_dir = env.get("RESTORE_DOCUMENTS_DIR");
  return config;
}

}  // namespace erp::config
