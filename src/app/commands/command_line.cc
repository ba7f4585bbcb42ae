#include "app/commands/command_line.h"

#include <algorithm>
#include <limits>

#include "config/unknown_variables.h"

namespace erp::app {

std::optional<std::string> Arguments::positional(std::size_t i) const {
  if (i >= positionals_.size()) return std::nullopt;
  return positionals_[i];
}

bool Arguments::has(std::string_view flag) const {
  return std::ranges::any_of(flags_, [&](const auto& given) { return given.first == flag; });
}

std::optional<std::string> Arguments::value(std::string_view flag) const {
  std::optional<std::string> last;
  for (const auto& [name, value] : flags_) {
    if (name == flag) last = value;
  }
  return last;
}

std::vector<std::string> Arguments::values(std::string_view flag) const {
  std::vector<std::string> all;
  for (const auto& [name, value] : flags_) {
    if (name == flag) all.push_back(value);
  }
  return all;
}

bool wants_help(std::span<const std::string> words) {
  for (const std::string& word : words) {
    if (word == "--") return false;
    if (word == "--help" || word == "-h") return true;
  }
  return false;
}

std::string nearest(std::string_view word, std::span<const std::string_view> candidates) {
  const std::size_t allowed = std::clamp<std::size_t>(word.size() / 3, 1, 3);
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (std::string_view candidate : candidates) {
    const std::size_t distance = config::edit_distance(word, candidate);
    if (distance <= allowed && distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

namespace {

bool looks_like_flag(std::string_view word) {
  return word.size() > 1 && word.front() == '-';
}

std::string hint(std::string_view synopsis) {
  return " (hint: " + std::string(synopsis) + ")";
}

}  // namespace

Result<Arguments> parse_arguments(std::span<const std::string> words,
                                  std::span<const PositionalSpec> positionals,
                                  std::span<const FlagSpec> flags, std::string_view synopsis) {
  Arguments parsed;
  bool flags_ended = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (!flags_ended && word == "--") {
      flags_ended = true;
      continue;
    }
    if (flags_ended || !looks_like_flag(word)) {
      parsed.add_positional(word);
      continue;
    }
    const auto flag = std::ranges::find(flags, word, &FlagSpec::name);
    if (flag == flags.end()) {
      std::vector<std::string_view> names{"--help"};
      for (const FlagSpec& known : flags) names.push_back(known.name);
      const std::string near = nearest(word, names);
      return make_error(ErrorKind::config,
                        "unknown argument '" + word + "'" +
                            (near.empty() ? "" : " (did you mean " + near + "?)") + hint(synopsis));
    }
    if (flag->value.empty()) {
      parsed.add_flag(word, "");
      continue;
    }
    if (i + 1 >= words.size() || words[i + 1].empty()) {
      return make_error(ErrorKind::config,
                        word + " needs a value, " + std::string(flag->value) + hint(synopsis));
    }
    parsed.add_flag(word, words[++i]);
  }
  for (const FlagSpec& flag : flags) {
    if (flag.required && !parsed.has(flag.name)) {
      return make_error(ErrorKind::config, "missing " + std::string(flag.name) + " " +
                                               std::string(flag.value) + hint(synopsis));
    }
  }
  std::size_t at_most = 0;
  for (const PositionalSpec& positional : positionals) {
    if (positional.count == PositionalSpec::Count::many) {
      at_most = std::numeric_limits<std::size_t>::max();
      break;
    }
    ++at_most;
  }
  const auto& given = parsed.positionals();
  if (given.size() > at_most) {
    return make_error(ErrorKind::config,
                      "unexpected argument '" + given[at_most] + "'" + hint(synopsis));
  }
  for (std::size_t i = 0; i < positionals.size(); ++i) {
    if (positionals[i].count != PositionalSpec::Count::optional && given.size() <= i) {
      return make_error(ErrorKind::config,
                        "missing " + std::string(positionals[i].name) + hint(synopsis));
    }
  }
  return parsed;
}

}  // namespace erp::app
