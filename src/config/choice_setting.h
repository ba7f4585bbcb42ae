// Settings whose value is one of a few words (LOG_FORMAT=text|json, DOCS_ON_ERROR=fail|skip,
// the true|false switches): one reader, and one wording of the problem for every such setting:
// "malformed NAME 'value' (hint: ...)".
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "config/environment.h"
#include "config/problems.h"
#include "core/error.h"

namespace erp::config {

// One accepted word and what it stands for.
template <typename T>
struct Choice {
  std::string_view word;
  T value;
};

// What NAME's word stands for; nullopt when NAME is unset. Words are compared exactly (case
// matters). Error (config): "malformed NAME 'value' (hint: <hint>)".
template <typename T>
Result<std::optional<T>> parse_choice(const Environment& env, std::string_view name,
                                      std::initializer_list<Choice<T>> choices,
                                      std::string_view hint) {
  const auto text = env.get(name);
  if (!text) return std::optional<T>();
  for (const Choice<T>& choice : choices) {
    if (*text == choice.word) return std::optional<T>(choice.value);
  }
  return make_error(ErrorKind::config, "malformed " + std::string(name) + " '" + *text +
                                           "' (hint: " + std::string(hint) + ")");
}

// The same for a loader that gathers problems: `value` is set when NAME holds one of the
// words and left alone when NAME is unset; false (and the problem added) when it is malformed.
template <typename T>
bool read_choice(const Environment& env, std::string_view name,
                 std::initializer_list<Choice<T>> choices, std::string_view hint, T& value,
                 Problems& problems) {
  auto parsed = parse_choice(env, name, choices, hint);
  if (!parsed) {
    problems.add(parsed.error().message);
    return false;
  }
  if (*parsed) value = **parsed;
  return true;
}

// A true|false switch.
inline bool read_switch(const Environment& env, std::string_view name, std::string_view hint,
                        bool& value, Problems& problems) {
  return read_choice<bool>(env, name, {{"true", true}, {"false", false}}, hint, value, problems);
}

}  // namespace erp::config
