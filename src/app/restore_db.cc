#include "app/restore_db.h"

#include <sstream>

#include "app/dump_source.h"
#include "app/object_commands.h"
#include "codec/sha256_source.h"
#include "pg/pg_restore.h"
#include "pg/pg_restore_list.h"
#include "pg/restore_target.h"
#include "s3/object_source.h"

namespace erp::app {
namespace {

constexpr std::string_view kTargetPrefix = "RESTORE_";

struct RestoreArgs {
  std::string which = "latest";
  bool source_override = false;
};

Result<RestoreArgs> parse_args(const std::vector<std::string>& args) {
  RestoreArgs parsed;
  bool chosen = false;
  for (const std::string& arg : args) {
    if (arg == "--i-know-this-is-the-source") {
      parsed.source_override = true;
    } else if (!chosen && !arg.starts_with("-")) {
      parsed.which = arg;
      chosen = true;
    } else {
      return make_error(ErrorKind::config, "unexpected argument '" + arg +
                                               "' (hint: erp-backup restore db [ID|latest] "
                                               "[--i-know-this-is-the-source])");
    }
  }
  return parsed;
}

std::string param_or(const pg::PgSettings& settings, const char* keyword,
                     const std::string& fallback) {
  const auto found = settings.params.find(keyword);
  return found == settings.params.end() ? fallback : found->second;
}

// The text after "ID; TABLEOID OID " of a TOC entry line, or "" for comments and others.
std::string_view entry_description(std::string_view line) {
  if (line.empty() || line.front() == ';') return {};
  const auto separator = line.find("; ");
  if (separator == std::string_view::npos) return {};
  std::string_view rest = line.substr(separator + 2);
  for (int field = 0; field < 2; ++field) {  // tableoid, oid
    const auto space = rest.find(' ');
    if (space == std::string_view::npos) return {};
    rest = rest.substr(space + 1);
  }
  return rest;
}

bool matches(std::string_view description, std::string_view item) {
  if (!description.starts_with(item)) return false;
  if (description.size() == item.size()) return true;
  const char next = description[item.size()];
  return next == ' ' || next == '(';
}

// The forms in which an excluded object's grants and comment appear in the TOC: the item
// "FUNCTION pgbouncer user_lookup" (description, schema, name) has its privileges in
// "ACL pgbouncer FUNCTION user_lookup(...)" and its comment in "COMMENT pgbouncer FUNCTION ...".
std::vector<std::string> dependent_forms(const std::string& item) {
  const auto name_at = item.rfind(' ');
  if (name_at == std::string::npos) return {};
  const auto schema_at = item.rfind(' ', name_at - 1);
  if (schema_at == std::string::npos) return {};
  const std::string description = item.substr(0, schema_at);
  const std::string schema = item.substr(schema_at + 1, name_at - schema_at - 1);
  const std::string name = item.substr(name_at + 1);
  return {"ACL " + schema + " " + description + " " + name,
          "COMMENT " + schema + " " + description + " " + name};
}

}  // namespace

UseList build_use_list(std::string_view listing, const std::vector<std::string>& exclude) {
  UseList list;
  std::vector<std::vector<std::string>> dependents;
  for (const std::string& item : exclude) dependents.push_back(dependent_forms(item));
  std::vector<bool> used(exclude.size(), false);
  std::istringstream lines{std::string(listing)};
  for (std::string line; std::getline(lines, line);) {
    const std::string_view description = entry_description(line);
    bool excluded = false;
    for (std::size_t i = 0; i < exclude.size() && !description.empty(); ++i) {
      if (matches(description, exclude[i])) {
        used[i] = true;
        excluded = true;
      }
      for (const std::string& dependent : dependents[i]) {
        if (matches(description, dependent)) excluded = true;
      }
    }
    if (excluded) {
      list.excluded.push_back(line);
      list.text += ';' + line + '\n';
    } else {
      list.text += line + '\n';
    }
  }
  for (std::size_t i = 0; i < exclude.size(); ++i) {
    if (!used[i]) list.unmatched.push_back(exclude[i]);
  }
  return list;
}

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

int restore_set_db(Context& context, const catalog::CatalogSet& set,
                   const RestoreDbOptions& request) {
  Logger& log = context.log;
  const config::RestoreTargetConfig& config = *context.settings.restore_target;
  const bool drop_owned = config.drop_owned || request.force_drop_owned;
  auto fail = [&](std::string_view what, const Error& error) {
    log.error(std::string(what), {{"error", error.message}});
    return exit_code_for(error, context.cancellation);
  };
  const catalog::Manifest& manifest = *set.manifest;
  const catalog::StreamRecord& dump = *manifest.db;
  log.info("restore db starting", {{"id", set.id},
                                   {"key", dump.key},
                                   {"target", config.target.target()},
                                   {"database", config.target.database()}});

  // The target, as it is now.
  auto target = pg::inspect_database(config.target, kTargetPrefix);
  if (!target) return fail("restore refused: cannot inspect the target", target.error());
  if (drop_owned && manifest.source && is_backup_source(*manifest.source, *target, config.target)) {
    if (!request.source_override) {
      return fail("restore refused",
                  Error{ErrorKind::config,
                        "the target " + config.target.target() + "/" + target->database +
                            " is the backup's source and RESTORE_DROP_OWNED=true would empty it "
                            "(hint: point RESTORE_PGHOST/RESTORE_PGDATABASE at the restore "
                            "target; --i-know-this-is-the-source overrides)"});
    }
    log.warn("restoring over the backup's source (--i-know-this-is-the-source)");
  }

  // 2. The whole dump read once, before anything is dropped. The check protects what a failed
  // restore would cost: with drop-owned, everything the role owned; in a target that holds
  // tables, a half-restored mix. A target without tables, from which nothing is dropped, has
  // nothing to lose, so there only the table of contents is read first (the use list needs it)
  // and the one full read is the restore's own, hashed and compared all the same (step 5).
  const bool check_whole_dump = drop_owned || target->table_count > 0;
  const pg::PgRestoreTool tool{context.settings.tools->pg_restore,
                               context.settings.tools->child_environment};
  std::string listing;
  {
    auto source = DumpSource::open(context.s3, dump);
    if (!source) return fail("restore refused: the dump cannot be read", source.error());
    auto toc =
        pg::list_toc((*source)->archive(), tool, context.cancellation,
                     check_whole_dump ? pg::TocExtent::whole_archive : pg::TocExtent::toc_only);
    if (!toc)
      return fail("restore refused: the dump cannot be read", toc.error().with_context(dump.key));
    const codec::Sha256Source& hashed = (*source)->stored();
    if (check_whole_dump && (hashed.bytes() != dump.bytes || hashed.hex() != dump.sha256)) {
      return fail("restore refused",
                  Error{ErrorKind::corrupt,
                        dump.key + ": " + std::to_string(hashed.bytes()) + " bytes with SHA-256 " +
                            hashed.hex() + ", the manifest says " + std::to_string(dump.bytes) +
                            " bytes with " + dump.sha256});
    }
    listing = std::move(toc->listing);
  }
  log.info("restore db dump checked",
           {{"key", dump.key},
            {"read", check_whole_dump ? "whole dump (size, SHA-256, TOC) before anything changes"
                                      : "TOC only (an empty target, nothing dropped): the "
                                        "restore's own read is hashed and compared"}});
  const UseList use_list = build_use_list(listing, config.exclude);
  for (const std::string& item : use_list.unmatched) {
    log.warn("RESTORE_EXCLUDE item matches no entry of the dump", {{"item", item}});
  }
  for (const std::string& line : use_list.excluded) log.info("excluded", {{"entry", line}});

  // 3. Nobody else connected, then drop.
  {
    auto session = pg::PgSession::connect(config.target, kTargetPrefix);
    if (!session) return fail("restore refused: cannot connect to the target", session.error());
    auto others = pg::other_sessions(*session);
    if (!others) return fail("restore refused", others.error());
    if (!others->empty()) {
      for (const pg::OtherSession& other : *others) {
        log.warn("another session is connected to the target",
                 {{"pid", other.pid},
                  {"user", other.user},
                  {"application_name", other.application_name},
                  {"client_address", other.client_address}});
      }
      if (config.require_exclusive) {
        return fail("restore refused",
                    Error{ErrorKind::permanent,
                          std::to_string(others->size()) + " other session(s) are connected to " +
                              target->database +
                              "; nothing was dropped (hint: stop the application, e.g. scale it "
                              "to zero and pause the GitOps controller's self-heal; or set "
                              "RESTORE_REQUIRE_EXCLUSIVE=false)"});
      }
    }
    if (drop_owned) {
      std::string role = config.role;
      if (role.empty()) {
        auto user = pg::current_user(*session);
        if (!user) return fail("restore failed", user.error());
        role = *user;
      }
      if (auto dropped = pg::drop_owned(*session, role); !dropped) {
        return fail("restore failed: DROP OWNED", dropped.error());
      }
      log.info("dropped everything the role owned in the target", {{"role", role}});
    }
  }

  // 4. The restore, streamed.
  pg::PgRestoreOptions options;
  options.program = tool.program;
  options.base_environment = tool.environment;
  options.target = config.target.clone();
  options.role = config.role;
  options.use_list = use_list.text;
  auto source = DumpSource::open(context.s3, dump);
  if (!source) return fail("restore failed", source.error());
  const codec::Sha256Source& hashed = (*source)->stored();
  auto run = pg::run_pg_restore(
      options, (*source)->archive(),
      [&log](std::string_view line, bool error) {
        if (error) {
          log.error("pg_restore", {{"stderr", std::string(line)}});
        } else {
          log.info("pg_restore", {{"stderr", std::string(line)}});
        }
      },
      context.cancellation);
  if (!run) return fail("restore failed", run.error());

  // 5. What was restored decides.
  auto restored = pg::inspect_database(config.target, kTargetPrefix);
  if (!restored) return fail("restore failed: cannot count the restored tables", restored.error());
  std::vector<std::string> problems;
  if (run->exit_status.signal != 0) {
    problems.push_back("pg_restore " + run->exit_status.describe());
  }
  if (hashed.bytes() != dump.bytes || hashed.hex() != dump.sha256) {
    problems.push_back(dump.key + " read during the restore does not match the manifest (" +
                       std::to_string(hashed.bytes()) + " bytes with SHA-256 " + hashed.hex() +
                       ", the manifest says " + std::to_string(dump.bytes) + " bytes with " +
                       dump.sha256 + ")");
  }
  if (restored->llx_table_count < config.min_tables) {
    problems.push_back(
        "the target holds " + std::to_string(restored->llx_table_count) +
        " llx_ tables, fewer than RESTORE_MIN_TABLES=" + std::to_string(config.min_tables));
  }
  if (manifest.database && restored->table_count != manifest.database->tables) {
    problems.push_back("the target holds " + std::to_string(restored->table_count) +
                       " tables, the manifest recorded " +
                       std::to_string(manifest.database->tables) + " in the source");
  }
  const std::vector<LogField> summary = {{"id", set.id},
                                         {"tables", std::to_string(restored->table_count)},
                                         {"llx_tables", std::to_string(restored->llx_table_count)},
                                         {"pg_restore", run->exit_status.describe()},
                                         {"pg_restore_errors", std::to_string(run->errors)},
                                         {"pg_restore_warnings", std::to_string(run->warnings)}};
  for (const std::string& line : run->error_lines) log.warn("pg_restore error", {{"line", line}});
  if (!problems.empty()) {
    for (const std::string& problem : problems)
      log.error("restore check failed", {{"problem", problem}});
    log.error("restore db failed", summary);
    return context.cancellation.cancelled() ? 128 + context.cancellation.signal_number() : 1;
  }
  log.info("restore db done", summary);
  return 0;
}

int run_restore_db(Context& context, const std::vector<std::string>& args) {
  auto parsed = parse_args(args);
  if (!parsed) {
    context.log.error(parsed.error().message);
    return 2;
  }
  const catalog::KeyLayout layout(context.settings.layout->prefix, context.settings.layout->env);
  auto catalog = catalog::load_catalog(context.s3, layout);
  if (!catalog) {
    context.log.error("restore refused: cannot list the sets",
                      {{"error", catalog.error().message}});
    return exit_code_for(catalog.error(), context.cancellation);
  }
  auto chosen = erp::catalog::find_set(*catalog, parsed->which, erp::catalog::Stream::db);
  if (!chosen) {
    context.log.error("restore refused", {{"error", chosen.error().message}});
    return exit_code_for(chosen.error(), context.cancellation);
  }
  return restore_set_db(context, **chosen, {.source_override = parsed->source_override});
}

}  // namespace erp::app
