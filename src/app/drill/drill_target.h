// Where a drill restores (issue 21, DRILL_TARGET):
//   embedded  a PostgreSQL the drill starts for itself in DRILL_WORK_DIR (pg/embedded_cluster.h:
//             initdb, a Unix socket only, stopped and removed when this object goes — on every
//             path, SIGTERM included); its server must be at least the backup's major version;
//   restore   the RESTORE_PG* target, with every guard of `restore db` (a non-empty target
//             refused unless RESTORE_DROP_OWNED, other sessions refused, the source refused);
//             open() first removes a killed drill's leftovers in DRILL_WORK_DIR, as the
//             embedded start does (pg/cluster_leftovers.h).
// Either way the restore rules RESTORE_MIN_TABLES and RESTORE_EXCLUDE apply.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "catalog/manifest.h"
#include "config/restore_target_config.h"
#include "core/cancellation.h"
#include "core/error.h"
#include "core/logger.h"
#include "pg/embedded_cluster.h"

namespace erp::app {

struct DrillTargetRequest {
  bool embedded = true;            // DRILL_TARGET=embedded (default) or restore
  std::filesystem::path work_dir;  // DRILL_WORK_DIR
  std::filesystem::path bin_dir;   // DRILL_PG_BINDIR ("" = looked up)
  std::map<std::string, std::string> base_environment;  // what initdb and postgres inherit
  // restore: RESTORE_PG* and all its rules; embedded: only min_tables and exclude are read.
  const config::RestoreTargetConfig* rules = nullptr;
};

class DrillTarget {
 public:
  // Errors: config (root; no server programs; work dir unusable; a server older than the
  // backup's, naming both versions and DRILL_PG_BINDIR); permanent (initdb or postgres
  // failed); cancelled.
  static Result<std::unique_ptr<DrillTarget>> open(const DrillTargetRequest& request,
                                                   const catalog::Manifest& manifest, Logger& log,
                                                   const Cancellation& cancellation);
  ~DrillTarget();  // stops the embedded cluster and removes its directory

  const config::RestoreTargetConfig& config() const { return rules_ ? *rules_ : config_; }
  std::string kind() const { return cluster_ ? "embedded" : "restore"; }
  // Stops the embedded cluster now (idempotent; nothing for restore). Errors: its stop's.
  Result<void> stop();

 private:
  DrillTarget() = default;
  config::RestoreTargetConfig config_;                  // embedded: the cluster's
  const config::RestoreTargetConfig* rules_ = nullptr;  // restore: RESTORE_PG*'s, borrowed
  std::unique_ptr<pg::EmbeddedCluster> cluster_;
};

}  // namespace erp::app
