// Where an environment's backup sets live in the bucket (SPEC §3, §4): S3_PREFIX and
// BACKUP_ENV. Every command that reads or writes sets (backup, list, prune, ...) needs
// these and nothing else of the backup job's settings.
#pragma once

#include <string>

#include "config/environment.h"
#include "config/problems.h"
#include "core/error.h"

namespace erp::config {

struct LayoutConfig {
  std::string prefix = "erp";  // S3_PREFIX: top-level key prefix, no leading/trailing '/'
  std::string env;             // BACKUP_ENV (required): [a-z0-9-]+
};

// Adds every missing or malformed variable to `problems` (named, with a hint); the
// returned value is only meaningful when nothing was added.
LayoutConfig load_layout_config(const Environment& env, Problems& problems);

// S3_PREFIX alone (env left empty): for commands that name the env on their command line
// (refresh-sandbox --from-env).
LayoutConfig load_prefix_config(const Environment& env, Problems& problems);

// [a-z0-9-]+: what BACKUP_ENV (and any other env name, e.g. refresh-sandbox's) must be.
bool valid_env_name(std::string_view name);

}  // namespace erp::config
