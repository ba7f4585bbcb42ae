#include "config/tools_config.h"

namespace erp::config {

std::map<std::string, std::string> inherited_child_environment(const Environment& env) {
  std::map<std::string, std::string> inherited;
  for (const char* name : {"PATH", "HOME", "LANG", "LC_ALL", "TZ"}) {
    if (auto value = env.get(name)) inherited[name] = *value;
  }
  return inherited;
}

ToolsConfig load_tools_config(const Environment& env, Problems&) {
  ToolsConfig config;
  if (auto program = env.get("PG_RESTORE")) config.pg_restore = *program;
  config.child_environment = inherited_child_environment(env);
  return config;
}

}  // namespace erp::config
