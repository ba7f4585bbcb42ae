// The settings of the `backup` job beyond S3 (SPEC §3): where the sets go, what to dump
// and archive, and how. Validated before anything starts; errors name the variable.
#pragma once

#include <map>
#include <string>

#include "config/environment.h"
#include "config/secret.h"
#include "core/error.h"

namespace erp::config {

enum class DocsOnError { fail, skip };

struct BackupConfig {
  std::string prefix = "erp";  // S3_PREFIX: top-level key prefix, no leading/trailing '/'
  std::string env;             // BACKUP_ENV (required): [a-z0-9-]+
  std::string documents_dir = "/var/www/documents";  // DOCUMENTS_DIR
  DocsOnError docs_on_error = DocsOnError::fail;     // DOCS_ON_ERROR: fail | skip
  // DOCS_ZSTD_LEVEL: 3 is zstd's default: ~3x on office documents at hundreds of MiB/s per
  // core; PDFs and images are already compressed, so higher levels buy little.
  int zstd_level = 3;
  // DOCS_ZSTD_THREADS: compression workers; 0 = one per CPU.
  int zstd_threads = 0;
  std::string pg_dump = "pg_dump";  // PG_DUMP: the program (PATH lookup when no '/')
  // libpq settings of the source database, by libpq keyword (host, port, dbname, user,
  // sslmode, ...), from the PG* variables. The password is separate, as a Secret.
  std::map<std::string, std::string> pg_params;
  Secret pg_password;              // PGPASSWORD / PGPASSWORD_FILE
  std::string pg_options;          // PGOPTIONS as given (the dump appends read-only to it)
  bool prune_after_backup = true;  // PRUNE_AFTER_BACKUP
};

// Errors: kind config, every problem listed by variable name with a hint.
Result<BackupConfig> load_backup_config(const Environment& env);

// The libpq environment variables the tool forwards, with their conninfo keywords.
struct PgVariable {
  const char* variable;
  const char* keyword;
};
inline constexpr PgVariable kPgVariables[] = {
    {"PGHOST", "host"},
    {"PGHOSTADDR", "hostaddr"},
    {"PGPORT", "port"},
    {"PGDATABASE", "dbname"},
    {"PGUSER", "user"},
    {"PGSSLMODE", "sslmode"},
    {"PGSSLROOTCERT", "sslrootcert"},
    {"PGSSLCERT", "sslcert"},
    {"PGSSLKEY", "sslkey"},
    {"PGCONNECT_TIMEOUT", "connect_timeout"},
    {"PGAPPNAME", "application_name"},
    {"PGTARGETSESSIONATTRS", "target_session_attrs"},
};

}  // namespace erp::config
