#include "config/path_setting.h"

#include <string>

namespace erp::config {

bool plain_absolute(const std::filesystem::path& path) {
  if (!path.is_absolute()) return false;
  for (const auto& part : path) {
    if (part == "..") return false;
  }
  return true;
}

std::optional<std::filesystem::path> read_plain_absolute_path(const Environment& env,
                                                              std::string_view name,
                                                              std::string_view explanation,
                                                              Problems& problems) {
  const auto value = env.get(name);
  if (!value) return std::nullopt;
  if (!plain_absolute(*value)) {
    problems.add("malformed " + std::string(name) + " '" + *value + "' (" +
                 std::string(explanation) + ")");
    return std::nullopt;
  }
  return std::filesystem::path(*value).lexically_normal();
}

}  // namespace erp::config
