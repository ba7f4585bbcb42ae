// Where the PostgreSQL server programs the drill's own cluster runs are (pg/embedded_cluster.h):
// DRILL_PG_BINDIR when set, else the directory of an `initdb` on the child's PATH (symlinks
// resolved: Debian's /usr/local/bin/initdb points into /usr/lib/postgresql/15/bin), else the
// newest /usr/lib/postgresql/<major>/bin holding both initdb and postgres.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "core/error.h"

namespace erp::pg {

struct ServerPrograms {
  std::filesystem::path initdb;
  std::filesystem::path postgres;
};

// `bin_dir`: DRILL_PG_BINDIR ("" = look up); `environment`: the children's (its PATH is searched).
// Errors: config, naming where it looked and DRILL_PG_BINDIR.
Result<ServerPrograms> find_server_programs(
    const std::filesystem::path& bin_dir, const std::map<std::string, std::string>& environment,
    const std::filesystem::path& versions_root = "/usr/lib/postgresql");

}  // namespace erp::pg
