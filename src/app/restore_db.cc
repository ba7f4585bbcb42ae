#include "app/restore_db.h"

#include <unistd.h>

#include "app/dump_source.h"
#include "app/object_commands.h"
#include "app/restore_db_dump.h"
#include "app/restore_db_guard.h"
#include "app/restore_db_judge.h"
#include "app/restore_db_read_ahead.h"
#include "app/restore_db_target.h"
#include "codec/sha256_source.h"
#include "pg/pg_restore.h"
#include "pg/pg_restore_list.h"
#include "pg/restore_target.h"

namespace erp::app {
namespace {

constexpr std::string_view kTargetPrefix = "RESTORE_";
// Read before the target admits pg_restore: the header and the table of contents of most dumps
// (an ERP dump of 340 tables has a TOC of ~200 KiB).
constexpr std::size_t kReadAhead = 1 << 20;

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

// A target that refuses the session itself may be one a killed restore left closed.
Error with_limit_hint(Error error) {
  if (error.message.find("too many connections for database") != std::string::npos) {
    error.message +=
        " (hint: the target's CONNECTION LIMIT is reached; a restore killed before it could "
        "reopen the database leaves it at 0, and logged the ALTER DATABASE ... CONNECTION LIMIT "
        "statement that undoes it: run it as the database's owner from another database)";
  }
  return error;
}

// How far a restore got, for what a failure leaves behind.
enum class Touched { nothing, dropped, restoring };

std::string target_state(Touched touched, bool drop_owned) {
  switch (touched) {
    case Touched::nothing:
      return "nothing in the target was changed";
    case Touched::dropped:
      return "everything the role owned in the target was dropped and nothing restored yet "
             "(hint: run the restore again once the cause is fixed)";
    case Touched::restoring:
      return std::string("the target holds an unfinished or failed restore") +
             (drop_owned ? " (what the role owned was dropped first)" : "") +
             "; do not use it (hint: run the restore again with RESTORE_DROP_OWNED=true once "
             "the cause is fixed)";
  }
  return {};
}

// The pg_restore run of phase 5: its stderr logged (progress only at debug level).
Result<pg::RestoreRun> run_restore(Context& context, const config::RestoreTargetConfig& config,
                                   const pg::PgRestoreTool& tool, const std::string& use_list,
                                   const std::string& application, ByteSource& archive) {
  pg::PgRestoreOptions options;
  options.program = tool.program;
  options.base_environment = tool.environment;
  options.target = config.target.clone();
  options.role = config.role;
  options.use_list = use_list;
  options.application_name = application;
  Logger& log = context.log;
  return pg::run_pg_restore(
      options, archive,
      [&log](std::string_view line, pg::RestoreLogReader::Line kind) {
        if (kind == pg::RestoreLogReader::Line::progress) {
          log.debug("pg_restore", {{"stderr", std::string(line)}});
        } else {
          log.info("pg_restore", {{"stderr", std::string(line)}});
        }
      },
      context.cancellation);
}

}  // namespace

int restore_set_db(Context& context, const catalog::CatalogSet& set,
                   const RestoreDbOptions& request) {
  Logger& log = context.log;
  const config::RestoreTargetConfig& config = *context.settings.restore_target;
  const bool drop_owned = config.drop_owned || request.force_drop_owned;
  const catalog::Manifest& manifest = *set.manifest;
  const catalog::StreamRecord& dump = *manifest.db;
  Touched touched = Touched::nothing;
  auto fail = [&](std::string_view what, const Error& error) {
    log.error(std::string(what),
              {{"error", error.message}, {"target_state", target_state(touched, drop_owned)}});
    return exit_code_for(error, context.cancellation);
  };
  log.info("restore db starting", {{"id", set.id},
                                   {"key", dump.key},
                                   {"target", config.target.target()},
                                   {"database", config.target.database()}});

  // 2. The target, as it is now, on the session that guards it later.
  auto session = pg::PgSession::connect(config.target, kTargetPrefix);
  if (!session)
    return fail("restore refused: cannot connect to the target", with_limit_hint(session.error()));
  TargetFacts facts;
  if (auto info = pg::inspect_session(*session); info) {
    facts.info = std::move(*info);
  } else {
    return fail("restore refused: cannot inspect the target", info.error());
  }
  if (auto contents = pg::target_contents(*session); contents) {
    facts.contents = std::move(*contents);
  } else {
    return fail("restore refused: cannot inspect the target", contents.error());
  }
  facts.is_source =
      manifest.source && is_backup_source(*manifest.source, facts.info, config.target);
  const TargetRules rules{.drop_owned = drop_owned, .source_override = request.source_override};
  if (auto allowed = check_target(facts, rules, config.target); !allowed) {
    return fail("restore refused", allowed.error());
  }
  if (drop_owned && facts.is_source) {
    log.warn("restoring over the backup's source (--i-know-this-is-the-source)");
  }

  // 3. The dump, before anything changes. Where a failed restore costs something (what
  // drop-owned drops) every byte is checked first; into an empty target the restore's own read
  // is the one full read, hashed and judged all the same.
  const bool whole = drop_owned || !facts.contents.empty();
  const pg::PgRestoreTool tool{context.settings.tools->pg_restore,
                               context.settings.tools->child_environment};
  auto checked = check_dump(context.s3, manifest, tool, context.cancellation, whole);
  if (!checked) return fail("restore refused: the dump cannot be used", checked.error());
  log.info("restore db dump checked",
           {{"key", dump.key},
            {"tables", std::to_string(checked->toc.tables)},
            {"partitions", std::to_string(checked->toc.partitions)},
            {"read", whole ? "whole dump (size, SHA-256, TOC) before anything changes"
                           : "TOC only (an empty target, nothing dropped): the restore's own "
                             "read is hashed and compared"}});
  const UseList use_list = build_use_list(checked->toc.listing, config.exclude);
  for (const std::string& item : use_list.unmatched) {
    log.warn("RESTORE_EXCLUDE item matches no entry of the dump", {{"item", item}});
  }
  for (const std::string& line : use_list.excluded) log.info("excluded", {{"entry", line}});

  // 4. Nobody else, from here until judged; then drop.
  const std::string application = "erp-backup restore " + std::to_string(::getpid());
  TargetGuard guard(log, std::move(*session), config.require_exclusive, application);
  if (auto closed = guard.close(); !closed) return fail("restore refused", closed.error());
  if (!drop_owned) {
    auto contents = pg::target_contents(guard.session());
    if (!contents) return fail("restore refused: cannot inspect the target", contents.error());
    if (!contents->empty()) {
      return fail("restore refused",
                  Error{ErrorKind::permanent, "the target was empty when inspected and now holds " +
                                                  contents->describe() +
                                                  " (hint: something else is writing to it)"});
    }
  }
  if (drop_owned) {
    std::string role = config.role;
    if (role.empty()) role = facts.info.user;
    touched = Touched::dropped;
    if (auto dropped = pg::drop_owned(guard.session(), role); !dropped) {
      return fail("restore failed: DROP OWNED", dropped.error());
    }
    log.info("dropped everything the role owned in the target", {{"role", role}});
  }

  // 5. The restore, streamed, watched.
  auto source = DumpSource::open(context.s3, dump);
  if (!source) return fail("restore failed", source.error());
  ReadAhead archive((*source)->archive());
  if (auto filled = archive.fill(kReadAhead); !filled)
    return fail("restore failed", filled.error());
  if (auto watching = guard.start_watch(); !watching) {
    return fail("restore failed: cannot let pg_restore in", watching.error());
  }
  touched = Touched::restoring;
  auto run = run_restore(context, config, tool, use_list.text, application, archive);
  const WatchReport watch = guard.stop_watch();
  if (!run) return fail("restore failed", run.error());

  // 6. What was restored decides.
  auto restored = pg::inspect_session(guard.session());
  if (!restored) return fail("restore failed: cannot count the restored tables", restored.error());
  const auto toc = pg::toc_entries_by_id(checked->toc.listing);
  RestoreFacts judged{.key = dump.key,
                      .pg_restore = run->exit_status,
                      .errors_seen = run->errors_seen,
                      .read_bytes = (*source)->stored().bytes(),
                      .read_sha256 = (*source)->stored().hex(),
                      .manifest_bytes = dump.bytes,
                      .manifest_sha256 = dump.sha256,
                      .restorable = pg::parse_toc(use_list.text),
                      .restored = std::move(*restored),
                      .min_tables = config.min_tables,
                      .watch = watch,
                      .guard = guard.mode()};
  for (const pg::RestoreError& error : run->errors) {
    judged.errors.push_back(pg::judge_restore_error(error, toc, config.exclude));
  }
  RestoreVerdict verdict = judge_restore(judged);
  for (const pg::JudgedRestoreError& error : judged.errors) {
    if (error.verdict == pg::RestoreErrorVerdict::failing) {
      log.error("pg_restore error", {{"toc_entry", error.entry}, {"error", error.message}});
    } else {
      log.info(
          "pg_restore error tolerated",
          {{"toc_entry", error.entry}, {"error", error.message}, {"why", std::string(error.why)}});
    }
  }
  if (auto reopened = guard.reopen(); !reopened) {
    verdict.problems.push_back("the target refuses new sessions: " + reopened.error().message);
  }
  const std::vector<LogField> summary = {
      {"id", set.id},
      {"tables", std::to_string(judged.restored.table_count)},
      {"partitions", std::to_string(judged.restored.partition_count)},
      {"llx_tables", std::to_string(judged.restored.llx_table_count)},
      {"pg_restore", run->exit_status.describe()},
      {"pg_restore_errors", std::to_string(verdict.failing)},
      {"pg_restore_errors_tolerated", std::to_string(verdict.harmless + verdict.excluded)},
      {"pg_restore_warnings", std::to_string(run->warnings)},
      {"guard", std::string(to_string(guard.mode()))}};
  if (!verdict.ok()) {
    for (const std::string& problem : verdict.problems) {
      log.error("restore check failed", {{"problem", problem}});
    }
    auto failed = summary;
    failed.emplace_back("target_state", target_state(touched, drop_owned));
    log.error("restore db failed", failed);
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
