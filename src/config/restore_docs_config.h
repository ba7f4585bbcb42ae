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

// Adds no problem today (an unset or empty RESTORE_DOCUMENTS_DIR is absent); takes `problems`
// like every group so that later settings of restore docs report theirs the same way.
RestoreDocsConfig load_restore_docs_config(const Environment& env, Problems& problems);

}  // namespace erp::config
