// What `restore docs` and `refresh-sandbox` read (SPEC §3, §6): RESTORE_DOCUMENTS_DIR,
// REFRESH_DOCS_SUBTREE, and DOCUMENTS_DIR for the absolute links a restore may keep.
// RESTORE_DOCUMENTS_DIR is optional here, because --target-dir may name the directory instead;
// the command reports a missing one naming both.
#pragma once

#include <optional>
#include <string>

#include "config/environment.h"
#include "config/problems.h"

namespace erp::config {

struct RestoreDocsConfig {
  // RESTORE_DOCUMENTS_DIR: the directory `restore docs` extracts into when --target-dir is not
  // given. No default: restoring over a live documents volume must be asked for by name.
  std::optional<std::string> documents_dir;
  // REFRESH_DOCS_SUBTREE: the subtree refresh-sandbox replaces in RESTORE_DOCUMENTS_DIR (the
  // company logo and uploads a sandbox needs). A relative path without "..".
  std::string refresh_subtree = "mycompany";
  // DOCUMENTS_DIR (default /var/www/documents, the backup's own setting): the directory the
  // application serves the documents from. Absolute symlinks into it are restored; it is the
  // only directory besides the target and --absolute-links-under that may allow them — never
  // the manifest's root, which comes from the bucket (issue 17). Absolute, without "..".
  std::string link_root = "/var/www/documents";
};

// An unset RESTORE_DOCUMENTS_DIR is absent (the command names it when it needs it); a
// REFRESH_DOCS_SUBTREE that is absolute or holds "..", and a DOCUMENTS_DIR that is not
// absolute or holds "..", are problems.
RestoreDocsConfig load_restore_docs_config(const Environment& env, Problems& problems);

}  // namespace erp::config
