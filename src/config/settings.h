// The settings a command declares it needs, loaded once by the composition root.
//
// Each command names the groups it reads (S3, layout, backup job, retention) and nothing
// else is read: a broken PGPASSWORD_FILE must not stop `list`. Every problem of every group
// a command needs is reported at once, so an operator fixes the configuration in one go
// (BACKUP_ENV=Prod and a missing key are both named in one run).
//
// Unknown variables carrying the tool's prefixes (config/unknown_variables.h) are checked for
// every command: a command that writes (Needs::writes) refuses any of them, every command refuses
// one that is close to a safety setting, and the rest are warnings for the command to log.
//
// Outside these groups, main.cc loads two for every command before the command's own: the log
// settings (config/log_config.h) and the metrics settings (config/metrics_config.h), so that a
// run stopped by a broken setting here still logs it and reports its exit code 2.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/backup_config.h"
#include "config/drill_config.h"
#include "config/environment.h"
#include "config/layout_config.h"
#include "config/object_lock_config.h"
#include "config/restore_docs_config.h"
#include "config/restore_target_config.h"
#include "config/retention_config.h"
#include "config/s3_config.h"
#include "config/stale_upload_config.h"
#include "config/tools_config.h"
#include "core/error.h"

namespace erp::config {

struct Needs {
  bool s3 = false;              // S3_*, AWS_*: every command that talks to the bucket
  bool layout = false;          // S3_PREFIX, BACKUP_ENV: commands that read or write backup sets
  bool prefix = false;          // S3_PREFIX alone (the env comes from the command line)
  bool backup = false;          // DOCUMENTS_DIR, DOCS_*, PG_DUMP, PG*, PRUNE_AFTER_BACKUP
  bool retention = false;       // RETENTION_*, STALE_UPLOAD_AGE (for backup: only while
                                // PRUNE_AFTER_BACKUP is true or OBJECT_LOCK_MODE is on: a new
                                // set's lock reaches RETENTION_DAILY_DAYS ahead)
  bool object_lock = false;     // OBJECT_LOCK_MODE, OBJECT_LOCK_MARGIN (backup, prune, status)
  bool tools = false;           // PG_RESTORE and what children inherit (verify, restore)
  bool restore_target = false;  // RESTORE_PG*, RESTORE_ROLE, RESTORE_* options (restore db)
  bool restore_docs = false;    // RESTORE_DOCUMENTS_DIR (restore docs)
  // DRILL_TARGET, DRILL_WORK_DIR, DRILL_PG_BINDIR (drill), and `restore_target`: with
  // DRILL_TARGET=restore the whole group, as if restore_target were set; with the embedded
  // target only the rules (RESTORE_MIN_TABLES, RESTORE_EXCLUDE, RESTORE_SCRATCH_DIR).
  bool drill = false;
  // The command changes the bucket or a database (backup, prune, restore, put, rm, ...): every
  // unknown prefixed variable is a problem (exit 2), not a warning.
  bool writes = false;
};

// What was loaded: a group is set exactly when it was needed.
struct Settings {
  std::optional<S3Config> s3;
  std::optional<LayoutConfig> layout;
  std::optional<BackupConfig> backup;
  std::optional<retention::RetentionPolicy> retention;
  std::optional<ToolsConfig> tools;
  std::optional<RestoreTargetConfig> restore_target;
  std::optional<RestoreDocsConfig> restore_docs;
  std::optional<DrillConfig> drill;
  std::optional<std::chrono::milliseconds> stale_upload_age;  // with `retention`
  std::optional<ObjectLockConfig> object_lock;
  // Unknown variables that do not stop this command, one message each, for it to log.
  std::vector<std::string> warnings;
};

// Loads the groups in `needs` and checks for unknown variables. Errors: kind config, listing
// every problem of every group and every unknown variable (a warning too: "missing S3_BUCKET" is
// best read beside "unknown variable S3_BUKET (hint: did you mean S3_BUCKET? ...)").
Result<Settings> load_settings(const Environment& env, Needs needs);

}  // namespace erp::config
