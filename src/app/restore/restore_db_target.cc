#include "app/restore/restore_db_target.h"

namespace erp::app {
namespace {

std::string param_or(const pg::PgSettings& settings, const char* keyword,
                     const std::string& fallback) {
  const auto found = settings.params.find(keyword);
  return found == settings.params.end() ? fallback : found->second;
}

}  // namespace

bool is_backup_source(const catalog::SourceRecord& source, const pg::DatabaseInfo& target,
                      const pg::PgSettings& target_settings) {
  if (source.database != target.database) return false;
  if (!source.system_identifier.empty() && !target.system_identifier.empty()) {
    return source.system_identifier == target.system_identifier;
  }
  // Without both identities, the address as configured decides; the same name on another
  // host:port is another database.
  return source.host == param_or(target_settings, "host", "") &&
         source.port == param_or(target_settings, "port", "5432");
}

Result<void> check_target(const TargetFacts& target, const TargetRules& rules,
                          const pg::PgSettings& target_settings) {
  const std::string where = target_settings.target() + "/" + target.info.database;
  if (rules.drop_owned && target.is_source && !rules.source_override) {
    return make_error(ErrorKind::config,
                      "the target " + where +
                          " is the backup's source and RESTORE_DROP_OWNED=true would empty it "
                          "(hint: point RESTORE_PGHOST/RESTORE_PGDATABASE at the restore "
                          "target; --i-know-this-is-the-source overrides)");
  }
  if (!rules.drop_owned && !target.contents.empty()) {
    return make_error(ErrorKind::config,
                      "the target " + where + " is not empty: it holds " +
                          target.contents.describe() +
                          "; a restore into it would mix the backup with what is there, so "
                          "nothing was touched (hint: RESTORE_DROP_OWNED=true drops what the "
                          "restoring role owns first; or restore into a fresh database, e.g. "
                          "CREATE DATABASE ... OWNER the restoring role)");
  }
  return {};
}

}  // namespace erp::app
