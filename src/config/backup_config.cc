#include "config/backup_config.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "config/choice_setting.h"
#include "config/libpq_values.h"
#include "config/problems.h"
#include "config/s3_config.h"
#include "config/tools_config.h"

namespace erp::config {
namespace {

bool parse_int(std::string_view text, int low, int high, int& value) {
  int parsed = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (ec != std::errc() || ptr != text.data() + text.size() || parsed < low || parsed > high) {
    return false;
  }
  value = parsed;
  return true;
}

}  // namespace

BackupConfig load_backup_config(const Environment& env, Problems& problems) {
  BackupConfig config;
  if (auto dir = env.get("DOCUMENTS_DIR")) config.documents_dir = *dir;
  read_choice<DocsOnError>(env, "DOCS_ON_ERROR",
                           {{"fail", DocsOnError::fail}, {"skip", DocsOnError::skip}},
                           "fail or skip", config.docs_on_error, problems);
  if (auto level = env.get("DOCS_ZSTD_LEVEL");
      level && !parse_int(*level, 1, 19, config.zstd_level)) {
    problems.add("malformed DOCS_ZSTD_LEVEL '" + *level + "' (hint: 1 to 19, default 3)");
  }
  if (auto threads = env.get("DOCS_ZSTD_THREADS");
      threads && !parse_int(*threads, 0, 64, config.zstd_threads)) {
    problems.add("malformed DOCS_ZSTD_THREADS '" + *threads +
                 "' (hint: extra zstd workers, 0 = none, up to 64)");
  }
  if (auto compression = env.get("DB_COMPRESSION")) {
    if (*compression == "pg_dump")
      config.db_compression = catalog::DbCompression::pg_dump;
    else if (*compression == "zstd")
      config.db_compression = catalog::DbCompression::zstd;
    else
      problems.add("malformed DB_COMPRESSION '" + *compression +
                   "' (hint: pg_dump (its own compression, the default) or zstd (pg_dump "
                   "-Z0, compressed in-process into db/<ID>.dump.zst))");
  }
  if (auto level = env.get("DB_ZSTD_LEVEL");
      level && !parse_int(*level, 1, 19, config.db_zstd_level)) {
    problems.add("malformed DB_ZSTD_LEVEL '" + *level +
                 "' (hint: 1 to 19, default 3; used with DB_COMPRESSION=zstd)");
  }
  if (auto program = env.get("PG_DUMP")) config.pg_dump = *program;
  for (const pg::PgKeywordVariable& variable : pg::pg_environment_variables()) {
    if (auto value = env.get(variable.variable)) {
      if (auto hint = libpq_value_hint(variable.keyword, *value)) {
        problems.add("malformed " + std::string(variable.variable) + " '" + *value +
                     "' (hint: " + *hint + ")");
      }
      config.pg.params[std::string(variable.keyword)] = *value;
    }
  }
  if (auto password = read_value_or_file(env, "PGPASSWORD"); !password) {
    problems.add(password.error().message);
  } else if (*password) {
    config.pg.password = Secret(std::move(**password));
  }
  config.child_environment = inherited_child_environment(env);
  read_switch(env, "PRUNE_AFTER_BACKUP", "true or false", config.prune_after_backup, problems);
  read_switch(env, "BACKUP_REQUIRE_READONLY_ROLE",
              "true to refuse a database role that could write, or false",
              config.require_readonly_role, problems);
  read_choice<pg::RowCountMethod>(env, "BACKUP_ROW_COUNTS",
                                  {{"exact", pg::RowCountMethod::exact},
                                   {"estimate", pg::RowCountMethod::estimate},
                                   {"off", pg::RowCountMethod::off}},
                                  "exact (the default), estimate or off", config.row_counts,
                                  problems);
  return config;
}

Result<void> check_documents_dir(const BackupConfig& config) {
  // Opening it is what the tar walk does first; doing it now turns a wrong mount into exit 2
  // before pg_dump starts, instead of a failed docs stream beside a committed dump (exit 3).
  const int fd = ::open(config.documents_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  const int error = errno;
  return make_error(ErrorKind::config,
                    "DOCUMENTS_DIR '" + config.documents_dir + "': " + std::strerror(error) +
                        " (hint: the directory to archive, readable by this process: the "
                        "documents volume's mount path, default /var/www/documents; a job that "
                        "backs up only the database runs `backup --only db`)");
}

Result<BackupConfig> load_backup_config(const Environment& env) {
  Problems problems;
  return unless_problems(load_backup_config(env, problems), problems);
}

}  // namespace erp::config
