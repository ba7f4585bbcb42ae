// The database a restore writes to (SPEC §3, §6): RESTORE_PG* only, never the source's PG*
// (a restore that fell back to PGHOST would empty production), plus how to restore into it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/environment.h"
#include "config/problems.h"
#include "pg/pg_settings.h"

namespace erp::config {

struct RestoreTargetConfig {
  // RESTORE_PGHOST, RESTORE_PGPORT, RESTORE_PGDATABASE, RESTORE_PGUSER (all required),
  // RESTORE_PGPASSWORD / RESTORE_PGPASSWORD_FILE, RESTORE_PGSSLMODE, RESTORE_PGSSLROOTCERT,
  // RESTORE_PGSSLCERT, RESTORE_PGSSLKEY (optional).
  pg::PgSettings target;
  // RESTORE_ROLE: pg_restore --role, and whose objects RESTORE_DROP_OWNED drops ("" = the user).
  std::string role;
  // RESTORE_MIN_TABLES: a restore holding fewer llx_ tables failed, whatever pg_restore said.
  int min_tables = 250;
  // RESTORE_DROP_OWNED: DROP OWNED BY the role (or user) CASCADE before restoring. Refused
  // when the target is the backup's source.
  bool drop_owned = false;
  // RESTORE_EXCLUDE: TOC entries left out, each "DESCRIPTION SCHEMA NAME" as pg_restore --list
  // prints it, comma-separated, e.g. "FUNCTION pgbouncer user_lookup".
  std::vector<std::string> exclude;
  // RESTORE_REQUIRE_EXCLUSIVE: refuse while other sessions are connected to the target.
  bool require_exclusive = true;
  // RESTORE_SCRATCH_DIR: where `restore db --jobs N` (N > 1) downloads the dump for pg_restore
  // -j (app/restore/dump_download.h); no default, required only then. Must be an absolute path.
  std::filesystem::path scratch_dir;
};

RestoreTargetConfig load_restore_target_config(const Environment& env, Problems& problems);

// RESTORE_SCRATCH_DIR alone (empty when unset; a relative path is a problem): for a command
// that restores elsewhere than the RESTORE_PG* target and so does not load the group above (the
// drill into its embedded cluster).
std::filesystem::path load_restore_scratch_dir(const Environment& env, Problems& problems);

}  // namespace erp::config
