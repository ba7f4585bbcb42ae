// Every environment variable erp-backup reads, in one list (SPEC §3).
//
// The unknown-variable check (config/unknown_variables.h) measures each set variable that carries
// one of the tool's prefixes against this list, so a name missing here is refused as a typo the
// moment an operator sets it. Two tests keep the list true: tests/integration/test_readme.py
// compares it with every variable name the sources of src/config read and with the README's
// settings tables, both ways; tests/config/known_variables_test.cc runs the loaders and checks
// that every name they ask the Environment for is listed. A new setting therefore needs a line
// here, a README row, and its reader, or a test fails.
//
// The libpq family (PGHOST, PGPORT, ... read through pg::pg_environment_variables()) is not
// repeated here: "PG" is libpq's namespace, not one of the tool's prefixes, and libpq reads those
// variables itself too. PGPASSWORD and PGPASSWORD_FILE, which the tool reads itself, are listed.
#pragma once

#include <span>
#include <string_view>

namespace erp::config {

struct KnownVariable {
  std::string_view name;
  // A setting whose silent absence weakens a guarantee: a guard (BACKUP_REQUIRE_READONLY_ROLE,
  // RESTORE_REQUIRE_EXCLUSIVE, ...), what retention keeps, whether failures are skipped. A
  // misspelling of one is refused (exit 2) by every command, not only by those that write.
  bool safety = false;
};

// The variables this version reads, sorted by name.
std::span<const KnownVariable> known_variables();

// Variables SPEC §3 names for features this version does not have yet (OBJECT_LOCK_MODE,
// AGE_RECIPIENTS, S3_EXTRA_TARGETS, ...): still unknown here, but reported as "a setting of a
// later version" (the deployment may be newer than the image), never as a typo. Sorted by name;
// none is in known_variables() (a test checks).
std::span<const KnownVariable> later_version_variables();

// The prefixes that mark a variable as meant for erp-backup (SPEC §3, plus PRUNE_ and
// DOCUMENTS_, the first words of PRUNE_AFTER_BACKUP and DOCUMENTS_DIR). AWS_ is not among them
// (the AWS SDKs and CLI own dozens of names a pod may carry), nor PG (libpq's), nor LOG_.
std::span<const std::string_view> tool_prefixes();

// The entry for `name` in known_variables(), or nullptr.
const KnownVariable* find_known_variable(std::string_view name);

}  // namespace erp::config
