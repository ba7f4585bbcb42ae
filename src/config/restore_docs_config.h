// Where `restore docs` extracts (SPEC §3, §6): RESTORE_DOCUMENTS_DIR. Optional here, because
// --target-dir may name the directory instead; the command reports a missing one naming both.
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
};

// An unset RESTORE_DOCUMENTS_DIR is absent (the command names it when it needs it); a
// REFRESH_DOCS_SUBTREE that is absolute or holds ".." is a problem.
RestoreDocsConfig load_restore_docs_config(const Environment& env, Problems& problems);

}  // namespace erp::config
