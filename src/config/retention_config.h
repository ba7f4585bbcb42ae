// The retention policy (SPEC §3, §5) from RETENTION_DAILY_DAYS, RETENTION_MONTHLY_MONTHS,
// RETENTION_YEARLY_YEARS and RETENTION_MIN_KEEP (defaults 30/12/10/3).
#pragma once

#include "config/environment.h"
#include "config/problems.h"
#include "core/error.h"
#include "retention/retention_plan.h"

namespace erp::config {

// Adds every malformed variable to `problems`, named with a hint; a policy that keeps
// nothing is refused too (retention::validate_policy). The value is only meaningful when
// nothing was added.
retention::RetentionPolicy load_retention_config(const Environment& env, Problems& problems);
// The same on its own. Errors: kind config, every problem listed.
Result<retention::RetentionPolicy> load_retention_config(const Environment& env);

}  // namespace erp::config
