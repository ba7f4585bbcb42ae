#include "config/environment.h"

#include <algorithm>
#include <cstdlib>

extern char** environ;  // POSIX: the process environment, NAME=VALUE strings

namespace erp::config {

std::optional<std::string> ProcessEnvironment::get(std::string_view name) const {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::vector<std::string> ProcessEnvironment::names() const {
  std::vector<std::string> names;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos || equals == 0) continue;
    names.emplace_back(text.substr(0, equals));
  }
  std::ranges::sort(names);
  const auto duplicates = std::ranges::unique(names);
  names.erase(duplicates.begin(), duplicates.end());
  // Exactly what get() sees: "NAME=" is unset, and of a name listed twice getenv reads the first.
  std::erase_if(names, [this](const std::string& name) { return !get(name).has_value(); });
  return names;
}

std::optional<std::string> MapEnvironment::get(std::string_view name) const {
  const auto found = values_.find(name);
  if (found == values_.end() || found->second.empty()) return std::nullopt;
  return found->second;
}

std::vector<std::string> MapEnvironment::names() const {
  std::vector<std::string> names;
  for (const auto& [name, value] : values_) {
    if (!value.empty()) names.push_back(name);
  }
  return names;
}

}  // namespace erp::config
