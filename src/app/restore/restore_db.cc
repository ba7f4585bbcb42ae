#include "app/restore/restore_db.h"

#include <unistd.h>

#include "app/restore/dump_download.h"
#include "app/restore/dump_source.h"
#include "app/restore/restore_db_counts.h"
#include "app/restore/restore_db_dump.h"
#include "app/restore/restore_db_guard.h"
#include "app/restore/restore_db_judge.h"
#include "app/restore/restore_db_read_ahead.h"
#include "app/restore/restore_db_target.h"
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
      return "what the role owned in the target was dropped (or partly, if DROP OWNED failed) "
             "and nothing was restored (hint: run the restore again once the cause is fixed)";
    case Touched::restoring:
      return std::string("the target holds an unfinished or failed restore") +
             (drop_owned ? " (what the role owned was dropped first)" : "") +
             "; do not use it (hint: run the restore again with RESTORE_DROP_OWNED=true once "
             "the cause is fixed)";
  }
  return {};
}

// A phase that did not succeed: what to log, and the error that decides the exit code.
struct Stop {
  std::string what;  // "restore refused: ...", "restore failed: ..."
  Error error;
};

// One restore of `set` into the RESTORE_PG* target, phase by phase (restore_db.h). Each phase
// returns what the next needs, or a Stop; run() logs a Stop with the state of the target.
class RestoreDbJob {
 public:
  RestoreDbJob(Context& context, const catalog::CatalogSet& set, const RestoreDbOptions& request,
               RestoreDbReport& report)
      : context_(context),
        log_(context.log),
        config_(request.target ? *request.target : *context.settings.restore_target),
        set_(set),
        dump_(*set.manifest->db),
        request_(request),
        drop_owned_(config_.drop_owned || request.force_drop_owned),
        tool_{context.settings.tools->pg_restore, context.settings.tools->child_environment},
        application_("erp-backup " + request.label + " " + std::to_string(::getpid())),
        report_(report) {
    report_.jobs = request_.jobs;
  }

  Outcome run() {
    log_.info("restore db starting", {{"id", set_.id},
                                      {"key", dump_.key},
                                      {"target", config_.target.target()},
                                      {"database", config_.target.database()}});
    auto session = pg::PgSession::connect(config_.target, kTargetPrefix);
    if (!session) {
      return stop(
          {"restore refused: cannot connect to the target", with_limit_hint(session.error())});
    }
    auto facts = inspect_target(*session);
    if (!facts) return stop(facts.error());
    auto checked = check_dump(*facts);
    if (!checked) return stop(checked.error());
    const UseList use_list = build_use_list(checked->toc.listing, config_.exclude);
    for (const std::string& item : use_list.unmatched) {
      log_.warn("RESTORE_EXCLUDE item matches no entry of the dump", {{"item", item}});
    }
    for (const std::string& line : use_list.excluded) log_.info("excluded", {{"entry", line}});

    TargetGuard guard(log_, std::move(*session), config_.require_exclusive, application_,
                      request_.jobs);
    if (auto guarded = guard_target(guard, *facts); !guarded) return stop(guarded.error());
    note_pg_restore_version();
    if (scratch_) {
      // --jobs N: the file, checked whole in phase 3, read by pg_restore -j N.
      auto run = restore_file(guard, use_list);
      scratch_->close_file();  // its space back before the judging
      if (!run) return stop(run.error());
      return judge(guard, *run, *scratch_stored_, checked->toc, use_list);
    }
    auto source = DumpSource::open(context_.s3, dump_);
    if (!source) return stop({"restore failed", source.error()});
    auto run = restore(guard, use_list, (*source)->archive());
    report_.dump_bytes = (*source)->stored().bytes();
    if (!run) return stop(run.error());
    return judge(guard, *run, (*source)->stored(), checked->toc, use_list);
  }

 private:
  std::unexpected<Failure> stop(const Stop& stop) {
    log_.error(stop.what, {{"error", stop.error.message},
                           {"target_state", target_state(touched_, drop_owned_)}});
    report_.problems.push_back(stop.what + ": " + stop.error.message);
    return std::unexpected(Failure{exit_code_for(stop.error, context_.cancellation), stop.what});
  }

  // 2. What the target holds and whether it is the source; the refusals (exit 2).
  std::expected<TargetFacts, Stop> inspect_target(pg::PgSession& session) {
    TargetFacts facts;
    auto info = pg::inspect_session(session);
    if (!info)
      return std::unexpected(Stop{"restore refused: cannot inspect the target", info.error()});
    facts.info = std::move(*info);
    auto contents = pg::target_contents(session);
    if (!contents) {
      return std::unexpected(Stop{"restore refused: cannot inspect the target", contents.error()});
    }
    facts.contents = std::move(*contents);
    const catalog::Manifest& manifest = *set_.manifest;
    facts.is_source =
        manifest.source && is_backup_source(*manifest.source, facts.info, config_.target);
    const TargetRules rules{.drop_owned = drop_owned_, .source_override = request_.source_override};
    if (auto allowed = check_target(facts, rules, config_.target); !allowed) {
      return std::unexpected(Stop{"restore refused", allowed.error()});
    }
    if (drop_owned_ && facts.is_source) {
      log_.warn("restoring over the backup's source (--i-know-this-is-the-source)");
    }
    return facts;
  }

  // 3. The dump, before anything changes. Where a failed restore costs something (what
  // drop-owned drops) every byte is checked first; into an empty target the restore's own read
  // is the one full read, hashed and judged all the same.
  std::expected<CheckedDump, Stop> check_dump(const TargetFacts& facts) {
    if (request_.jobs > 1) return download_dump();
    const bool whole = drop_owned_ || !facts.contents.empty();
    auto checked =
        app::check_dump(context_.s3, *set_.manifest, tool_, context_.cancellation, whole);
    if (!checked)
      return std::unexpected(Stop{"restore refused: the dump cannot be used", checked.error()});
    log_.info("restore db dump checked",
              {{"key", dump_.key},
               {"tables", std::to_string(checked->toc.tables)},
               {"partitions", std::to_string(checked->toc.partitions)},
               {"read", whole ? "whole dump (size, SHA-256, TOC) before anything changes"
                              : "TOC only (an empty target, nothing dropped): the restore's own "
                                "read is hashed and compared"}});
    return std::move(*checked);
  }

  // 4. Nobody else from here until judged; an empty target still empty; then drop.
  std::expected<void, Stop> guard_target(TargetGuard& guard, const TargetFacts& facts) {
    if (auto closed = guard.close(); !closed) {
      return std::unexpected(Stop{"restore refused", closed.error()});
    }
    if (!drop_owned_) {
      auto contents = pg::target_contents(guard.session());
      if (!contents) {
        return std::unexpected(
            Stop{"restore refused: cannot inspect the target", contents.error()});
      }
      if (!contents->empty()) {
        return std::unexpected(
            Stop{"restore refused",
                 Error{ErrorKind::permanent, "the target was empty when inspected and now holds " +
                                                 contents->describe() +
                                                 " (hint: something else is writing to it)"}});
      }
      return {};
    }
    const std::string role = config_.role.empty() ? facts.info.user : config_.role;
    touched_ = Touched::dropped;
    if (auto dropped = pg::drop_owned(guard.session(), role); !dropped) {
      return std::unexpected(Stop{"restore failed: DROP OWNED", dropped.error()});
    }
    log_.info("dropped everything the role owned in the target", {{"role", role}});
    return {};
  }

  // 5. pg_restore, fed the dump (its first MiB read before the door opens), watched.
  std::expected<pg::RestoreRun, Stop> restore(TargetGuard& guard, const UseList& use_list,
                                              ByteSource& dump) {
    ReadAhead archive(dump);
    if (auto filled = archive.fill(kReadAhead); !filled) {
      return std::unexpected(Stop{"restore failed", filled.error()});
    }
    if (auto watching = guard.start_watch(); !watching) {
      return std::unexpected(Stop{"restore failed: cannot let pg_restore in", watching.error()});
    }
    touched_ = Touched::restoring;
    const auto started = std::chrono::steady_clock::now();
    auto run = pg::run_pg_restore(pg_restore_options(use_list), archive, log_pg_restore(),
                                  context_.cancellation);
    report_.restore = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    watch_ = guard.stop_watch();
    if (!run) return std::unexpected(Stop{"restore failed", run.error()});
    return std::move(*run);
  }

  // 3 with --jobs N: the dump downloaded into the scratch directory, its size and SHA-256
  // matched while written: the whole dump checked before anything changes, whatever the target
  // holds; then its TOC read from the file.
  std::expected<CheckedDump, Stop> download_dump() {
    const std::string refused = "restore refused: the dump cannot be used";
    if (request_.scratch_dir.empty()) {
      return std::unexpected(
          Stop{refused, Error{ErrorKind::config,
                              "--jobs " + std::to_string(request_.jobs) +
                                  " needs RESTORE_SCRATCH_DIR (hint: a directory with room for the "
                                  "dump; or --jobs 1 to stream it)"}});
    }
    const DumpDownloadOptions options{
        .scratch_dir = request_.scratch_dir,
        .set_id = set_.id,
        .concurrency = context_.settings.s3 ? context_.settings.s3->upload_concurrency : 4};
    auto downloaded = app::download_dump(context_.s3, dump_, options, context_.cancellation);
    if (!downloaded) return std::unexpected(Stop{refused, downloaded.error()});
    scratch_ = std::move(*downloaded);
    scratch_stored_ = &scratch_->stored();
    report_.download = scratch_->elapsed;
    report_.dump_bytes = scratch_stored_->bytes();
    log_.info("restore db dump downloaded",
              {{"key", dump_.key},
               {"file", scratch_->description()},
               {"stored_bytes", std::to_string(scratch_stored_->bytes())},
               {"bytes", std::to_string(scratch_->bytes)},
               {"ranges", std::to_string(scratch_->ranges)},
               {"seconds", std::to_string(scratch_->elapsed.count() / 1000.0)}});
    ScratchReader file(*scratch_);
    auto toc = pg::list_toc(file, tool_, context_.cancellation, pg::TocExtent::toc_only);
    if (!toc) return std::unexpected(Stop{refused, toc.error().with_context(dump_.key)});
    if (set_.manifest->database) {
      if (auto problem = toc_table_problem(*toc, *set_.manifest->database, dump_.key)) {
        return std::unexpected(Stop{refused, Error{ErrorKind::corrupt, *problem}});
      }
    }
    log_.info("restore db dump checked",
              {{"key", dump_.key},
               {"tables", std::to_string(toc->tables)},
               {"partitions", std::to_string(toc->partitions)},
               {"read",
                "whole dump (size, SHA-256 while downloaded; TOC from the file) before "
                "anything changes"}});
    return CheckedDump{.toc = std::move(*toc), .whole = true};
  }

  // 5 with --jobs N: pg_restore -j N from the scratch file, watched.
  std::expected<pg::RestoreRun, Stop> restore_file(TargetGuard& guard, const UseList& use_list) {
    if (auto watching = guard.start_watch(); !watching) {
      return std::unexpected(Stop{"restore failed: cannot let pg_restore in", watching.error()});
    }
    touched_ = Touched::restoring;
    pg::PgRestoreOptions options = pg_restore_options(use_list);
    options.archive_fd = scratch_->fd();
    options.jobs = request_.jobs;
    const auto started = std::chrono::steady_clock::now();
    auto run = pg::run_pg_restore_file(options, log_pg_restore(), context_.cancellation);
    report_.restore = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    watch_ = guard.stop_watch();
    if (!run) return std::unexpected(Stop{"restore failed", run.error()});
    // -j's workers write their lines in pieces that interleave: an error line garbled beyond
    // recognition would go unjudged. pg_restore's own count, printed when it alone runs, says.
    if (run->errors_reported && *run->errors_reported > run->errors_seen) {
      return std::unexpected(
          Stop{"restore failed",
               Error{ErrorKind::permanent,
                     "pg_restore counted " + std::to_string(*run->errors_reported) + " errors, " +
                         std::to_string(run->errors_seen) +
                         " error lines could be read from the log its parallel workers share (each "
                         "is judged; the others cannot be) (hint: the lines logged as pg_restore "
                         "stderr hold them; --jobs 1 logs them one by one)"}});
    }
    return std::move(*run);
  }

  pg::PgRestoreOptions pg_restore_options(const UseList& use_list) const {
    pg::PgRestoreOptions options;
    options.program = tool_.program;
    options.base_environment = tool_.environment;
    options.target = config_.target.clone();
    options.role = config_.role;
    options.no_privileges = request_.no_privileges;
    options.use_list = use_list.text;
    options.application_name = application_;
    return options;
  }

  std::function<void(std::string_view, pg::RestoreLogReader::Line)> log_pg_restore() {
    return [&log = log_](std::string_view line, pg::RestoreLogReader::Line kind) {
      if (kind == pg::RestoreLogReader::Line::progress) {
        log.debug("pg_restore", {{"stderr", std::string(line)}});
      } else {
        log.info("pg_restore", {{"stderr", std::string(line)}});
      }
    };
  }

  // For the report and the log; a pg_restore that cannot say is no reason to stop here (one
  // that cannot run fails phase 5 with its own error).
  void note_pg_restore_version() {
    auto version = pg::pg_restore_version(tool_.program, tool_.environment);
    if (!version) {
      log_.warn("cannot read pg_restore's version", {{"error", version.error().message}});
      return;
    }
    report_.pg_restore_version = *version;
    log_.info("restore db pg_restore",
              {{"version", *version}, {"jobs", std::to_string(request_.jobs)}});
  }

  // 6, its row counts (app/restore/restore_db_counts.h), while the target is still guarded:
  // failing mismatches become problems; the report gets what was compared.
  void count_restored_rows(TargetGuard& guard, const UseList& use_list, RestoreVerdict& verdict,
                           const std::string& server_version) {
    RestoredRowCounts counts =
        check_restored_rows(guard.session(), *set_.manifest, use_list, log_, context_.cancellation);
    verdict.problems.insert(verdict.problems.end(), counts.problems.begin(), counts.problems.end());
    report_.tables_compared = counts.tables_compared;
    report_.mismatches = std::move(counts.mismatches);
    report_.target_server_version = server_version;
  }

  void report_problem(std::string problem) {
    if (report_.problems.size() < kMaxReportedProblems) {
      report_.problems.push_back(std::move(problem));
    }
  }

  // 6. What was restored decides; the target reopened either way.
  Outcome judge(TargetGuard& guard, const pg::RestoreRun& run, const codec::Sha256Source& read,
                const pg::TocSummary& toc, const UseList& use_list) {
    const auto judging = std::chrono::steady_clock::now();
    auto restored = pg::inspect_session(guard.session());
    if (!restored)
      return stop({"restore failed: cannot count the restored tables", restored.error()});
    const auto entries = pg::toc_entries_by_id(toc.listing);
    RestoreFacts facts{.dump = dump_,
                       .pg_restore = run.exit_status,
                       .errors_seen = run.errors_seen,
                       .read_bytes = read.bytes(),
                       .read_sha256 = read.hex(),
                       .restorable = pg::parse_toc(use_list.text),
                       .restored = std::move(*restored),
                       .min_tables = config_.min_tables,
                       .watch = watch_,
                       .guard = guard.mode()};
    for (const pg::RestoreError& error : run.errors) {
      facts.errors.push_back(pg::judge_restore_error(error, entries, config_.exclude));
    }
    RestoreVerdict verdict = judge_restore(facts);
    count_restored_rows(guard, use_list, verdict, facts.restored.server_version);
    for (const pg::JudgedRestoreError& error : facts.errors) {
      if (error.verdict == pg::RestoreErrorVerdict::failing) {
        log_.error("pg_restore error", {{"toc_entry", error.entry}, {"error", error.message}});
      } else {
        log_.info("pg_restore error tolerated", {{"toc_entry", error.entry},
                                                 {"error", error.message},
                                                 {"why", std::string(error.why)}});
      }
    }
    if (auto reopened = guard.reopen(); !reopened) {
      verdict.problems.push_back("the target refuses new sessions: " + reopened.error().message);
    }
    std::vector<LogField> summary = {
        {"id", set_.id},
        {"tables", std::to_string(facts.restored.table_count)},
        {"partitions", std::to_string(facts.restored.partition_count)},
        {"llx_tables", std::to_string(facts.restored.llx_table_count)},
        {"pg_restore", run.exit_status.describe()},
        {"pg_restore_errors", std::to_string(verdict.failing)},
        {"pg_restore_errors_tolerated", std::to_string(verdict.harmless + verdict.excluded)},
        {"pg_restore_warnings", std::to_string(run.warnings)},
        {"guard", std::string(to_string(guard.mode()))}};
    report_.check = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - judging);
    if (verdict.ok()) {
      log_.info("restore db done", summary);
      return {};
    }
    for (const std::string& problem : verdict.problems) {
      log_.error("restore check failed", {{"problem", problem}});
      if (!problem.starts_with(kRowCountMismatchProblem)) report_problem(problem);
    }
    for (const pg::JudgedRestoreError& error : facts.errors) {
      if (error.verdict == pg::RestoreErrorVerdict::failing) {
        report_problem("pg_restore error at " + error.entry + ": " + error.message);
      }
    }
    summary.emplace_back("target_state", target_state(touched_, drop_owned_));
    log_.error("restore db failed", summary);
    return std::unexpected(
        Failure{failed_unless_stopped(context_.cancellation), "restore db failed"});
  }

  Context& context_;
  Logger& log_;
  const config::RestoreTargetConfig& config_;
  const catalog::CatalogSet& set_;
  const catalog::StreamRecord& dump_;
  const RestoreDbOptions request_;
  const bool drop_owned_;
  const pg::PgRestoreTool tool_;
  // pg_restore's application_name: the guard tells its sessions from any other by it.
  const std::string application_;
  RestoreDbReport& report_;
  Touched touched_ = Touched::nothing;
  WatchReport watch_;
  // --jobs N: the downloaded dump (gone with this job, or once pg_restore ended), and its
  // hashing stage (kept by the file, judged in phase 6).
  std::unique_ptr<ScratchDump> scratch_;
  const codec::Sha256Source* scratch_stored_ = nullptr;
};

}  // namespace

Outcome restore_set_db(Context& context, const catalog::CatalogSet& set,
                       const RestoreDbOptions& request, RestoreDbReport* report) {
  RestoreDbReport unused;
  return RestoreDbJob(context, set, request, report ? *report : unused).run();
}

}  // namespace erp::app
