// `erp-backup drill [ID|latest] [--jobs N] [--json]` (issue 21, SPEC §2): proof that a set
// restores. In order:
//   1. the set (app/drill/drill_set.h);
//   2. the target (app/drill/drill_target.h): a PostgreSQL of its own in DRILL_WORK_DIR, or
//      RESTORE_PG* with DRILL_TARGET=restore;
//   3. the database restored by restore db's own job (app/restore/restore_db.h, label "drill",
//      --jobs with a scratch directory: RESTORE_SCRATCH_DIR, else a private directory in the
//      work directory), which judges pg_restore and compares every table's row count and the
//      large objects with the manifest's;
//   4. the documents, when the set has them (app/drill/drill_docs.h);
//   5. the PostgreSQL stopped and removed, the work directory left as it was found;
//   6. the evidence written (app/drill/evidence_write.h), also for a failed drill — not for
//      one stopped by a signal, nor for a configuration error found before anything ran;
//   7. RunReport::drill filled for the metrics, the summary (or --json: the evidence) printed.
// Exit: 0 passed; 1 any failing mismatch or problem (each named in the log and the evidence),
// or the evidence could not be written; 2 configuration (root with the embedded target, no
// server programs, a missing work directory); 128+N stopped by signal N.
#pragma once

#include <filesystem>
#include <string>

#include "app/commands/context.h"
#include "app/drill/drill_target.h"

namespace erp::app {

struct DrillRequest {
  std::string which = "latest";  // ID|latest
  int jobs = 1;                  // --jobs N
  bool json = false;             // --json
  DrillTargetRequest target;
  std::filesystem::path scratch_dir;  // RESTORE_SCRATCH_DIR ("" = a directory of the work dir)
};

ExitCode run_drill_job(Context& context, const DrillRequest& request);

}  // namespace erp::app
