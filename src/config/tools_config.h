// The PostgreSQL client programs the read side runs (verify, restore) and what their children
// inherit. pg_dump's own setting (PG_DUMP) lives with the backup job's.
#pragma once

#include <map>
#include <string>

#include "config/environment.h"
#include "config/problems.h"

namespace erp::config {

struct ToolsConfig {
  std::string pg_restore = "pg_restore";  // PG_RESTORE: a path, or a name looked up on PATH
  // What children inherit: PATH, HOME (for ~/.postgresql certificates), LANG, LC_ALL, TZ.
  // Nothing else of ours (no AWS_*, no secrets) leaks into them.
  std::map<std::string, std::string> child_environment;
};

// The variables a child process inherits from ours (see ToolsConfig::child_environment).
std::map<std::string, std::string> inherited_child_environment(const Environment& env);

ToolsConfig load_tools_config(const Environment& env, Problems& problems);

}  // namespace erp::config
