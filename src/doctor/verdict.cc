#include "doctor/verdict.h"

#include <algorithm>

namespace erp::doctor {

Verdict judge(const std::vector<Check>& checks) {
  Verdict verdict;
  for (const CheckSpec& spec : check_specs()) {
    const auto check = std::ranges::find(checks, spec.id, &Check::id);
    // A check missing from the list was never tried: like skipped.
    const CheckResult result = check == checks.end() ? CheckResult::skipped : check->result;
    switch (result) {
      case CheckResult::ok:
        break;
      case CheckResult::degraded:
        verdict.degraded.push_back(spec.id);
        break;
      case CheckResult::failed:
        (spec.needed_for_backup ? verdict.blocking : verdict.failed).push_back(spec.id);
        break;
      case CheckResult::skipped:
        if (spec.needed_for_backup) verdict.unchecked.push_back(spec.id);
        break;
    }
  }
  verdict.backup_can_run = verdict.blocking.empty() && verdict.unchecked.empty();
  return verdict;
}

}  // namespace erp::doctor
