#include "pg/server_programs.h"

#include <unistd.h>

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>

#include "process/program_lookup.h"

namespace erp::pg {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHint =
    "install the PostgreSQL server package (postgresql-15 or newer), or set DRILL_PG_BINDIR to "
    "the directory holding initdb and postgres, or DRILL_TARGET=restore";

bool executable(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error) && ::access(path.c_str(), X_OK) == 0;
}

std::optional<ServerPrograms> programs_in(const fs::path& dir) {
  ServerPrograms programs{dir / "initdb", dir / "postgres"};
  if (executable(programs.initdb) && executable(programs.postgres)) return programs;
  return std::nullopt;
}

// The directory of the first initdb on PATH that has a postgres beside it (its own directory
// after resolving symlinks, or the PATH entry itself).
std::optional<ServerPrograms> from_path(std::string_view path) {
  while (!path.empty()) {
    const auto colon = path.find(':');
    const std::string_view entry = path.substr(0, colon);
    path = colon == std::string_view::npos ? std::string_view() : path.substr(colon + 1);
    if (entry.empty() || entry.front() != '/') continue;  // never the current directory
    const fs::path initdb = fs::path(entry) / "initdb";
    if (!executable(initdb)) continue;
    std::error_code error;
    const fs::path real = fs::canonical(initdb, error);
    if (!error) {
      if (auto programs = programs_in(real.parent_path())) return programs;
    }
    if (auto programs = programs_in(entry)) return programs;
  }
  return std::nullopt;
}

// The highest numbered <root>/<major>/bin holding both programs.
std::optional<ServerPrograms> newest_installed(const fs::path& root) {
  std::optional<ServerPrograms> best;
  int best_major = -1;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root, error)) {
    const std::string name = entry.path().filename().string();
    int major = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), major);
    if (ec != std::errc() || end != name.data() + name.size() || major <= best_major) continue;
    if (auto programs = programs_in(entry.path() / "bin")) {
      best = programs;
      best_major = major;
    }
  }
  return best;
}

}  // namespace

Result<ServerPrograms> find_server_programs(const fs::path& bin_dir,
                                            const std::map<std::string, std::string>& environment,
                                            const fs::path& versions_root) {
  if (!bin_dir.empty()) {
    if (auto programs = programs_in(bin_dir)) return *programs;
    return make_error(ErrorKind::config,
                      "DRILL_PG_BINDIR=" + bin_dir.string() +
                          " does not hold both initdb and postgres as executable files (hint: "
                          "the server's bin directory, e.g. /usr/lib/postgresql/15/bin)");
  }
  const auto path_entry = environment.find("PATH");
  const std::string path =
      path_entry == environment.end() ? std::string(process::kDefaultPath) : path_entry->second;
  if (auto programs = from_path(path)) return *programs;
  if (auto programs = newest_installed(versions_root)) return *programs;
  return make_error(ErrorKind::config,
                    "the drill's own PostgreSQL needs initdb and postgres: DRILL_PG_BINDIR is "
                    "unset, no initdb with a postgres beside it on PATH=" +
                        path + ", none in " + versions_root.string() +
                        "/<major>/bin (hint: " + std::string(kHint) + ")");
}

}  // namespace erp::pg
