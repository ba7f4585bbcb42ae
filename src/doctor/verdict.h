// From the checks to what doctor concludes: can a backup run with this store and these
// credentials? Pure.
//
// A backup can run when every check it needs (CheckSpec::needed_for_backup) is ok or degraded:
// degraded means it works through a fallback the tool already has (one DELETE per key, a HEAD
// after an empty ETag, the run lease where conditional writes are ignored). A needed check that
// failed, or that was never tried because an earlier one failed or the run was stopped, means it
// cannot (or that doctor cannot vouch for it): exit 1. The other checks never change the exit
// code; their failures are named in the report and the metrics all the same.
#pragma once

#include <vector>

#include "doctor/check.h"

namespace erp::doctor {

struct Verdict {
  bool backup_can_run = false;     // blocking and unchecked are empty
  std::vector<CheckId> blocking;   // needed checks that failed
  std::vector<CheckId> unchecked;  // needed checks that were skipped (or are missing)
  std::vector<CheckId> degraded;   // any check, degraded
  std::vector<CheckId> failed;     // checks not needed by a backup that failed
  // SPEC §2: 0 when a backup can run, else 1. (A stop, 130/143, is the command's to decide.)
  int exit_code() const { return backup_can_run ? 0 : 1; }
};

Verdict judge(const std::vector<Check>& checks);

}  // namespace erp::doctor
