#include "config/drill_config.h"

#include <string>

#include "config/choice_setting.h"

namespace erp::config {
namespace {

// An absolute path without "..": the drill removes what it creates under it, so the path must
// mean one place whatever the current directory or a symlinked parent.
bool plain_absolute(const std::filesystem::path& path) {
  if (!path.is_absolute()) return false;
  for (const auto& part : path) {
    if (part == "..") return false;
  }
  return true;
}

}  // namespace

DrillConfig load_drill_config(const Environment& env, Problems& problems) {
  DrillConfig config;
  read_choice<DrillTarget>(env, "DRILL_TARGET",
                           {{"embedded", DrillTarget::embedded}, {"restore", DrillTarget::restore}},
                           "embedded (a PostgreSQL of the drill's own, the default) or restore "
                           "(the RESTORE_PG* target)",
                           config.target, problems);
  if (auto dir = env.get("DRILL_WORK_DIR")) {
    if (plain_absolute(*dir)) {
      config.work_dir = std::filesystem::path(*dir).lexically_normal();
    } else {
      problems.add("malformed DRILL_WORK_DIR '" + *dir +
                   "' (hint: an absolute path without '..' to a directory with room for the "
                   "restored database, e.g. /tmp or an emptyDir mount)");
    }
  } else if (auto tmp = env.get("TMPDIR"); tmp && !tmp->empty()) {
    if (plain_absolute(*tmp)) {
      config.work_dir = std::filesystem::path(*tmp).lexically_normal();
    } else {
      problems.add("malformed TMPDIR '" + *tmp +
                   "' (the default of DRILL_WORK_DIR; hint: an absolute path, or set "
                   "DRILL_WORK_DIR)");
    }
  }
  if (auto dir = env.get("DRILL_PG_BINDIR")) {
    if (plain_absolute(*dir)) {
      config.bin_dir = std::filesystem::path(*dir).lexically_normal();
    } else {
      problems.add("malformed DRILL_PG_BINDIR '" + *dir +
                   "' (hint: the absolute path of the directory holding initdb and postgres, "
                   "e.g. /usr/lib/postgresql/15/bin)");
    }
  }
  return config;
}

}  // namespace erp::config
