// Collects every configuration problem so one run shows the operator all of them,
// not one per attempt.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace erp::config {

class Problems {
 public:
  void add(std::string problem) { lines_.push_back(std::move(problem)); }
  bool empty() const { return lines_.empty(); }
  std::size_t size() const { return lines_.size(); }
  void merge(const Problems& other) {
    lines_.insert(lines_.end(), other.lines_.begin(), other.lines_.end());
  }
  // ErrorKind::config, "invalid configuration:" then one problem per indented line.
  Error error() const {
    std::string text = "invalid configuration:";
    for (const auto& line : lines_) text += "\n  " + line;
    return Error{ErrorKind::config, std::move(text)};
  }

 private:
  std::vector<std::string> lines_;
};

// The end of a loader that gathers problems: `config` when there were none, else
// problems.error(). E.g. `return unless_problems(load_x(env, problems), problems);`.
template <typename Config>
Result<Config> unless_problems(Config config, const Problems& problems) {
  if (!problems.empty()) return std::unexpected(problems.error());
  return config;
}

}  // namespace erp::config
