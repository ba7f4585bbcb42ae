// The command table: every command's name, what it does, its arguments and flags with their
// help, the settings it needs (config::Needs) and its runner. The global usage, each command's
// `--help`, `restore`'s list of subcommands and the argument parsing (app/commands/
// command_line.h) all come from it, so they cannot disagree.
//
// read_command_line() decides what the words ask for before anything is read: help and usage
// never load a setting or contact anything.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands/command_line.h"
#include "app/commands/context.h"
#include "app/commands/exit_code.h"
#include "config/settings.h"

namespace erp::app {

// A command's entry point: the settings it declared are loaded, its arguments parsed.
using Runner = ExitCode (*)(Context&, const Arguments&);

struct Command {
  std::string_view name;     // "prune", "restore db"
  std::string_view group;    // the heading it is listed under in the global usage
  std::string_view summary;  // what it does, lines separated by '\n' (global usage and --help)
  std::vector<PositionalSpec> positionals;
  std::vector<FlagSpec> flags;
  config::Needs needs;
  Runner run = nullptr;
  std::string_view details = {};  // more for `--help` only, lines separated by '\n'
  std::string_view exits = {};    // its exit codes; empty: the common ones

  // "erp-backup prune [--dry-run] [--as-of YYYY-MM-DD] [--json]".
  std::string synopsis() const;
  // `erp-backup NAME --help`.
  std::string help() const;
  Result<Arguments> parse(std::span<const std::string> words) const;
};

const std::vector<Command>& command_table();
// nullptr when there is no such command.
const Command* find_command(std::string_view name);

// `erp-backup --help`.
std::string global_usage();

// What the command line asks for.
struct Invocation {
  enum class Kind {
    run,    // run `command` with `words`
    print,  // print `text` to stdout and exit with `code` (help, version)
    refuse  // print `text` to stderr and exit with `code` (a usage error)
  };
  Kind kind = Kind::refuse;
  const Command* command = nullptr;
  std::vector<std::string> words;  // what follows the command's name
  std::string text;
  ExitCode code = ExitCode::usage;
};

// `argv` without the program name. Reads nothing else.
Invocation read_command_line(std::span<const std::string> argv);

}  // namespace erp::app
