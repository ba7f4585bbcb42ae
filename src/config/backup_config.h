// The settings of the `backup` job beyond S3 (SPEC §3): where the sets go, what to dump
// and archive, and how. Validated before anything starts; errors name the variable.
#pragma once

#include <map>
#include <string>

#include "catalog/key_layout.h"
#include "config/environment.h"
#include "config/problems.h"
#include "core/error.h"
#include "core/secret.h"
#include "pg/pg_settings.h"
#include "pg/row_counts.h"

namespace erp::config {

enum class DocsOnError { fail, skip };

// Where the set goes (S3_PREFIX, BACKUP_ENV) is config/layout_config.h.
struct BackupConfig {
  std::string documents_dir = "/var/www/documents";  // DOCUMENTS_DIR
  DocsOnError docs_on_error = DocsOnError::fail;     // DOCS_ON_ERROR: fail | skip
  // DOCS_ZSTD_LEVEL: 3 is zstd's default: ~3x on office documents at hundreds of MiB/s per
  // core; PDFs and images are already compressed, so higher levels buy little.
  int zstd_level = 3;
  // DOCS_ZSTD_THREADS: extra compression workers; 0 = compress on the docs stream's own
  // thread. Measured on 2 cores: workers cost ~20% more CPU and ~27 MiB each (outside
  // S3_BUFFER_BUDGET) for no wall-time gain while pg_dump runs beside it.
  int zstd_threads = 0;
  // DB_COMPRESSION: pg_dump (default: the custom format's own compression, zlib level 6, in
  // pg_dump's process) or zstd (pg_dump --compress=0, compressed by this process with
  // db_zstd_level into db/<ID>.dump.zst). zstd moves the compression out of pg_dump, so it runs
  // beside pg_dump instead of inside it: less CPU in total and a faster dump on 2 cores; the
  // README's "Which DB_COMPRESSION to pick" has the measurements.
  catalog::DbCompression db_compression = catalog::DbCompression::pg_dump;
  // DB_ZSTD_LEVEL: the zstd level with DB_COMPRESSION=zstd, 1 to 19. Default 3 (zstd's own):
  // smaller than pg_dump's zlib at a fraction of its CPU. Each level up buys little size for
  // noticeably more CPU on the db stream's thread, which then paces pg_dump.
  int db_zstd_level = 3;
  std::string pg_dump = "pg_dump";  // PG_DUMP: the program (PATH lookup when no '/')
  // The source database: libpq keywords from the PG* variables (PGOPTIONS included, the
  // dump appends read-only to it) and the password (PGPASSWORD / PGPASSWORD_FILE).
  pg::PgSettings pg;
  // What children (pg_dump) inherit besides the database settings: PATH, HOME (for
  // ~/.postgresql certificates), LANG, LC_ALL, TZ. Nothing else of ours leaks into them.
  std::map<std::string, std::string> child_environment;
  bool prune_after_backup = true;  // PRUNE_AFTER_BACKUP
  // BACKUP_REQUIRE_READONLY_ROLE: refuse (exit 2, before anything starts) a source role that
  // could write to the database (pg/role_capabilities.h). Default false so that existing
  // deployments keep running; recommended true with a dedicated dump role.
  bool require_readonly_role = false;
  // BACKUP_ROW_COUNTS (issue 21): exact (count(*) of every table in the dump's own snapshot,
  // beside pg_dump), estimate (pg_class.reltuples: free, approximate, for very large databases)
  // or off (no snapshot export, no counts in the manifest; restores then compare none).
  pg::RowCountMethod row_counts = pg::RowCountMethod::exact;
};

// Adds every missing or malformed variable to `problems`, by name with a hint; the value is
// only meaningful when nothing was added.
BackupConfig load_backup_config(const Environment& env, Problems& problems);
// The same on its own. Errors: kind config, every problem listed.
Result<BackupConfig> load_backup_config(const Environment& env);

// Whether DOCUMENTS_DIR names a directory this process can open for reading. Checked by `backup`
// before anything starts, and only when the docs stream is selected: a `--only db` job need not
// mount the documents volume, so the settings alone cannot decide it. Reads nothing but the
// directory's entry. Errors: config, naming the variable, the path and the system's reason, e.g.
//   "DOCUMENTS_DIR '/nonexistent': No such file or directory (hint: the directory to archive,
//    ...; a job that backs up only the database runs `backup --only db`)"
Result<void> check_documents_dir(const BackupConfig& config);

}  // namespace erp::config
