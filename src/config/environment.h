// Where settings come from. Config code reads an Environment, never getenv()
// directly, so tests pass a map and production passes the process environment.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace erp::config {

class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value; nullopt when unset. An empty value counts as unset:
  // Kubernetes and compose files often render absent values as "".
  virtual std::optional<std::string> get(std::string_view name) const = 0;
  // Every variable that get() would return a value for (set and non-empty), sorted, each once:
  // what the unknown-variable check (config/unknown_variables.h) looks through.
  virtual std::vector<std::string> names() const = 0;
};

// The real process environment (the program's only getenv caller).
class ProcessEnvironment final : public Environment {
 public:
  std::optional<std::string> get(std::string_view name) const override;
  // From `environ`; an entry without '=' (possible through execve) is skipped.
  std::vector<std::string> names() const override;
};

// A fixed map, for tests and for layering flags over the environment.
class MapEnvironment final : public Environment {
 public:
  explicit MapEnvironment(std::map<std::string, std::string, std::less<>> values)
      : values_(std::move(values)) {}
  std::optional<std::string> get(std::string_view name) const override;
  std::vector<std::string> names() const override;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace erp::config
