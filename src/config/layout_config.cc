#include "config/layout_config.h"

#include <algorithm>

namespace erp::config {
namespace {

bool valid_prefix(std::string_view prefix) {
  if (prefix.empty() || prefix.front() == '/' || prefix.back() == '/') return false;
  return prefix.find("//") == std::string_view::npos;
}

}  // namespace

bool valid_env_name(std::string_view name) {
  return !name.empty() && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

LayoutConfig load_prefix_config(const Environment& env, Problems& problems) {
  LayoutConfig config;
  if (auto prefix = env.get("S3_PREFIX")) {
    if (valid_prefix(*prefix))
      config.prefix = *prefix;
    else
      problems.add("malformed S3_PREFIX '" + *prefix +
                   "' (hint: e.g. erp or backups/erp, no leading or trailing '/')");
  }
  return config;
}

LayoutConfig load_layout_config(const Environment& env, Problems& problems) {
  LayoutConfig config = load_prefix_config(env, problems);
  if (auto name = env.get("BACKUP_ENV")) {
    if (valid_env_name(*name))
      config.env = *name;
    else
      problems.add("malformed BACKUP_ENV '" + *name +
                   "' (hint: lower-case letters, digits and '-', e.g. prod)");
  } else {
    problems.add(
        "missing BACKUP_ENV (hint: the environment name in the keys, e.g. prod or sandbox)");
  }
  return config;
}

}  // namespace erp::config
