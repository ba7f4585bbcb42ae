#include "config/settings.h"

#include "config/unknown_variables.h"

namespace erp::config {

Result<Settings> load_settings(const Environment& env, Needs needs) {
  Settings settings;
  Problems problems;
  if (needs.s3) settings.s3 = load_s3_config(env, problems);
  if (needs.layout) {
    settings.layout = load_layout_config(env, problems);
  } else if (needs.prefix) {
    settings.layout = load_prefix_config(env, problems);
  }
  if (needs.backup) settings.backup = load_backup_config(env, problems);
  if (needs.object_lock) settings.object_lock = load_object_lock_config(env, problems);
  // A backup that will not prune does not read the retention settings, so they cannot stop it;
  // unless it locks its objects: their retain-until is RETENTION_DAILY_DAYS ahead
  // (retention/lock_plan.h).
  const bool reads_retention = !settings.backup || settings.backup->prune_after_backup ||
                               (settings.object_lock && settings.object_lock->enabled());
  if (needs.retention && reads_retention) {
    settings.retention = load_retention_config(env, problems);
    settings.stale_upload_age = load_stale_upload_age(env, problems);
  }
  if (needs.tools) settings.tools = load_tools_config(env, problems);
  if (needs.drill) settings.drill = load_drill_config(env, problems);
  // A drill into RESTORE_PG* needs that target's settings; the embedded one reads only the
  // rules every restore follows (a drill must not be stopped by a target it will not use).
  const bool drill_restores = settings.drill && settings.drill->target == DrillTarget::restore;
  if (needs.restore_target || drill_restores) {
    settings.restore_target = load_restore_target_config(env, problems);
  } else if (settings.drill) {
    // Into its own cluster the drill still follows the restore rules (RESTORE_MIN_TABLES,
    // RESTORE_EXCLUDE, RESTORE_SCRATCH_DIR); the target in this group is then empty, unused.
    settings.restore_target = load_restore_rules(env, problems);
  }
  if (needs.restore_docs) settings.restore_docs = load_restore_docs_config(env, problems);
  for (const UnknownVariable& unknown : find_unknown_variables(env)) {
    if (needs.writes || unknown.safety)
      problems.add(unknown.message());
    else
      settings.warnings.push_back(unknown.message());
  }
  if (!problems.empty()) {
    for (std::string& warning : settings.warnings) problems.add(std::move(warning));
    return std::unexpected(problems.error());
  }
  return settings;
}

}  // namespace erp::config
