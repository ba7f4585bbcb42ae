// The one command-line parser: every command's arguments are described in the command table
// (app/commands/command_table.h) and parsed here, so every command reads flags the same way.
//
// Rules, the same for every command:
//   - `--help` or `-h` anywhere before `--` asks for the command's help (wants_help); nothing
//     else is parsed, no setting is read;
//   - `--` ends the flags: every word after it is a positional argument (`rm -- --help`);
//   - a flag with a value takes the next word, whatever it is (`--as-of --json` is a bad date);
//     a missing or empty value is a usage error;
//   - a flag may be given again: values() has each, value() the last (a command that allows one
//     only says so itself);
//   - a word starting with '-' (other than "-" itself) that is no flag of the command is a usage
//     error naming the nearest flag ("did you mean --json?");
//   - positional arguments are counted against the command's (too many, a missing one).
// Errors are usage errors (exit 2), the message ending in the command's synopsis as a hint.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace erp::app {

struct FlagSpec {
  std::string_view name;   // "--as-of"
  std::string_view value;  // what it takes, "YYYY-MM-DD"; empty: a switch
  std::string_view help;
  bool repeatable = false;  // shown as "FLAG VALUE..." in the synopsis
  bool required = false;
};

struct PositionalSpec {
  enum class Count { one, optional, many };  // many: one or more
  std::string_view name;                     // "KEY", "ID|latest"
  std::string_view help;
  Count count = Count::one;
};

// What a command's words said, checked against its specs.
class Arguments {
 public:
  const std::vector<std::string>& positionals() const { return positionals_; }
  // The i-th positional, or nullopt when not given.
  std::optional<std::string> positional(std::size_t i) const;
  bool has(std::string_view flag) const;
  std::optional<std::string> value(std::string_view flag) const;  // the last one given
  std::vector<std::string> values(std::string_view flag) const;   // each, in order

  void add_flag(std::string flag, std::string value) {
    flags_.emplace_back(std::move(flag), std::move(value));
  }
  void add_positional(std::string word) { positionals_.push_back(std::move(word)); }

 private:
  std::vector<std::pair<std::string, std::string>> flags_;  // switches have an empty value
  std::vector<std::string> positionals_;
};

// True when `words` ask for help: "--help" or "-h" before any "--".
bool wants_help(std::span<const std::string> words);

// The candidate nearest to `word` when it is close (an edit distance of at most a third of its
// length, at least 1, at most 3); "" when none is.
std::string nearest(std::string_view word, std::span<const std::string_view> candidates);

// Parses `words` (what follows the command's name). `synopsis` ends every error message as a
// hint. Errors: kind config.
Result<Arguments> parse_arguments(std::span<const std::string> words,
                                  std::span<const PositionalSpec> positionals,
                                  std::span<const FlagSpec> flags, std::string_view synopsis);

}  // namespace erp::app
