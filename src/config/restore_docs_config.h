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
};

// An empty RESTORE_DOCUMENTS_DIR is a problem (named, with a hint).
RestoreDocsConfig load_restore_docs_config(const Environment& env, Problems& problems);

}  // namespace erp::config
