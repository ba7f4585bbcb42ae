#include "config/drill_config.h"

#include <string>

#include "config/choice_setting.h"
#include "config/path_setting.h"

namespace erp::config {

DrillConfig load_drill_config(const Environment& env, Problems& problems) {
  DrillConfig config;
  read_choice<DrillTarget>(env, "DRILL_TARGET",
                           {{"embedded", DrillTarget::embedded}, {"restore", DrillTarget::restore}},
                           "embedded (a PostgreSQL of the drill's own, the default) or restore "
                           "(the RESTORE_PG* target)",
                           config.target, problems);
  if (env.get("DRILL_WORK_DIR")) {
    config.work_dir = read_plain_absolute_path(
                          env, "DRILL_WORK_DIR",
                          "hint: an absolute path without '..' to a directory with room for the "
                          "restored database, e.g. /tmp or an emptyDir mount",
                          problems)
                          .value_or(config.work_dir);
  } else if (env.get("TMPDIR")) {
    config.work_dir = read_plain_absolute_path(env, "TMPDIR",
                                               "the default of DRILL_WORK_DIR; hint: an absolute "
                                               "path, or set DRILL_WORK_DIR",
                                               problems)
                          .value_or(config.work_dir);
  }
  config.bin_dir = read_plain_absolute_path(env, "DRILL_PG_BINDIR",
                                            "hint: the absolute path of the directory holding "
                                            "initdb and postgres, e.g. /usr/lib/postgresql/15/bin",
                                            problems)
                       .value_or(config.bin_dir);
  return config;
}

}  // namespace erp::config
