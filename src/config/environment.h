// Where settings come from. Config code reads an Environment, never getenv()
// directly, so tests pass a map and production passes the process environment.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace erp::config {

class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value; nullopt when unset. An empty value counts as unset:
  // Kubernetes and compose files often render absent values as "".
  virtual std::optional<std::string> get(std::string_view name) const = 0;
};

// The real process environment (the program's only getenv caller).
class ProcessEnvironment final : public Environment {
 public:
  std::optional<std::string> get(std::string_view name) const override;
};

// A fixed map, for tests and for layering flags over the environment.
class MapEnvironment final : public Environment {
 public:
  explicit MapEnvironment(std::map<std::string, std::string, std::less<>> values)
      : values_(std::move(values)) {}
  std::optional<std::string> get(std::string_view name) const override;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace erp::config
