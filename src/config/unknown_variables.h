// Typos are not ignored (SPEC §3, issue 17 item 11): every set variable that carries one of the
// tool's prefixes (config/known_variables.h) but is not a setting of this version is reported,
// with the nearest known name when one is close. `BACKUP_REQUIRE_READONLY_ROLES=true` (one S too
// many) would otherwise leave the guard off and the backup would exit 0.
//
// What counts (all decided here, documented in the README's "Configuration" section):
//   - a name is checked when it starts with a tool prefix, compared ignoring case
//     (`backup_env=prod` gets "did you mean BACKUP_ENV?");
//   - Kubernetes' service links are not settings and are skipped: for a Service named `db` the
//     kubelet injects DB_SERVICE_HOST, DB_SERVICE_PORT[_NAME], DB_PORT_5432_TCP[_PROTO|_PORT|
//     _ADDR] and DB_PORT=tcp://...; `X_PORT` is skipped only with such a URL as its value;
//   - RESTORE_PG<libpq name> that the restore target does not map (RESTORE_PGOPTIONS,
//     RESTORE_PGCONNECT_TIMEOUT, ...) is unknown, and its hint lists the ones it does map;
//   - a name SPEC gives to a feature of a later version is reported as such, not as a typo.
//
// Whether a report stops the command is the caller's choice (config/settings.h): `safety` says
// whether every command must refuse it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "config/environment.h"

namespace erp::config {

struct UnknownVariable {
  std::string name;
  std::string suggestion;      // the nearest known name when it is close; "" otherwise
  bool later_version = false;  // a setting of a later version of the tool (SPEC §3)
  // The name is, or is closest to, a safety setting (KnownVariable::safety), or starts with
  // RETENTION_: a misspelt guard, retention rule or failure policy.
  bool safety = false;

  // One line for the operator, naming the variable (never its value), e.g.
  //   "unknown variable BACKUP_REQUIRE_READONLY_ROLES (hint: did you mean
  //    BACKUP_REQUIRE_READONLY_ROLE? erp-backup reads no variable of that name, so it has no
  //    effect)"
  std::string message() const;
};

// Every unknown variable of `env`, in name order. Reads names and, for `X_PORT`, the value.
std::vector<UnknownVariable> find_unknown_variables(const Environment& env);

// The known name nearest to `name` (ignoring case), when it is close: an edit distance of at
// most 1 for names up to 7 characters, 2 up to 15, else 3. "" when none is that close. Ties go
// to the first name in sorted order.
std::string nearest_known_name(std::string_view name);

// Optimal-string-alignment distance (Damerau–Levenshtein without repeated edits of one
// substring): insertions, deletions, substitutions and swaps of two adjacent characters each
// cost 1. O(|a|·|b|) time and O(|b|) memory.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace erp::config
