// What `drill` reads (issue 21, SPEC §2 `drill`): where its own PostgreSQL lives and whether it
// restores into that one or into the RESTORE_PG* target.
//   DRILL_TARGET    embedded (default: initdb + postgres of its own, pg/embedded_cluster.h) or
//                   restore (the RESTORE_PG* target, with every guard of `restore db`)
//   DRILL_WORK_DIR  the directory the embedded cluster (and the drill's documents and --jobs
//                   download) go into: default $TMPDIR, else /tmp; absolute, without ".."
//   DRILL_PG_BINDIR where initdb and postgres are; default: looked up (embedded_cluster.h)
// Whether the directories exist is checked when they are used (a missing work dir is the
// drill's config error naming DRILL_WORK_DIR), not here.
#pragma once

#include <filesystem>

#include "config/environment.h"
#include "config/problems.h"

namespace erp::config {

enum class DrillTarget { embedded, restore };

struct DrillConfig {
  DrillTarget target = DrillTarget::embedded;
  std::filesystem::path work_dir = "/tmp";
  std::filesystem::path bin_dir;  // empty: looked up
};

// Problems: a DRILL_TARGET other than embedded|restore; a DRILL_WORK_DIR (or the $TMPDIR it
// defaults to) or DRILL_PG_BINDIR that is not absolute or holds "..".
DrillConfig load_drill_config(const Environment& env, Problems& problems);

}  // namespace erp::config
