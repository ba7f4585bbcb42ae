#include "app/backup/backup_job.h"

#include <unistd.h>

#include <thread>
#include <tuple>

#include "app/backup/lock_canary.h"
#include "app/backup/preflight.h"
#include "app/backup/progress_reporter.h"
#include "app/backup/run_lease.h"
#include "app/sets/prune.h"
#include "catalog/backup_id.h"
#include "catalog/catalog.h"
#include "catalog/key_layout.h"
#include "catalog/last_success.h"
#include "core/time_format.h"
#include "pg/pg_dump.h"
#include "retention/lock_plan.h"
#include "upload/confirm_write.h"
#include "upload/lock_check.h"
#include "upload/part_schedule.h"

namespace erp::app {
namespace {

constexpr std::chrono::seconds kProgressInterval{5};

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

// A run never overwrites a set: if any object of this ID exists, refuse. Called once the run
// holds its lease (run_lease.h, step 3): a run of the same second that has already ended left
// its objects here.
Result<void> refuse_existing_set(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                                 const std::string& id) {
  // Both db spellings: a set holds one dump, whichever DB_COMPRESSION wrote it.
  for (const std::string& key : {layout.db_key(id, catalog::DbCompression::pg_dump),
                                 layout.db_key(id, catalog::DbCompression::zstd),
                                 layout.docs_key(id), layout.manifest_key(id)}) {
    auto head = store.head_object(key);
    if (head) {
      return make_error(ErrorKind::permanent, "backup set " + id + " already has " + key +
                                                  " (hint: another run started in the same "
                                                  "second; nothing was touched)");
    }
    if (head.error().kind != ErrorKind::not_found) return std::unexpected(head.error());
  }
  return {};
}

Result<void> put_text(s3::ObjectStore& store, const std::string& key, const std::string& text) {
  auto put = store.put_object(key, text);
  if (!put) return std::unexpected(put.error());
  return {};
}

class BackupJob {
 public:
  BackupJob(Context& context, BackupSelection selection)
      : context_(context),
        log_(context.log),
        config_(*context.settings.backup),
        layout_(context.settings.layout->prefix, context.settings.layout->env),
        selection_(selection),
        schedule_(context.s3_config.part_size, context.s3_config.buffer_budget),
        lock_config_(context.settings.object_lock.value_or(config::ObjectLockConfig{})) {}

  Outcome run() {
    Outcome outcome = run_phases();
    release_lease();
    return outcome;
  }

 private:
  Outcome run_phases() {
    if (auto stop = preflight()) return std::unexpected(std::move(*stop));
    if (auto stop = claim_set()) return std::unexpected(std::move(*stop));
    run_streams();
    return commit();
  }

  // Phase 1. Returns the failure to stop with (logged), or nullopt to go on. A failure that only
  // concerns the database (unreachable, wrong password) fails the db stream and lets docs run:
  // an outage of the database should not also cost the day's documents.
  std::optional<Failure> preflight() {
    facts_.started = context_.clock.now();
    facts_.id = catalog::format_backup_id(
        std::chrono::time_point_cast<std::chrono::seconds>(facts_.started));
    facts_.env = context_.settings.layout->env;
    facts_.tool_version = ERP_BACKUP_VERSION;
    facts_.host = host_name();
    log_.info("backup starting",
              {{"id", facts_.id},
               {"bucket", context_.s3.bucket()},
               {"prefix", layout_.env_prefix()},
               {"db", selection_.db ? "yes" : "no"},
               {"docs", selection_.docs ? "yes" : "no"},
               {"largest_stream_bytes", std::to_string(schedule_.max_stream_bytes())}});

    if (auto bucket = check_bucket(context_.s3, layout_); !bucket) {
      return refuse("backup refused before anything started", bucket.error());
    }
    if (auto lock = check_object_lock(context_.s3, lock_config_); !lock) {
      return refuse("backup refused before anything started", lock.error());
    }
    if (lock_config_.enabled()) {
      // settings.h loads the retention settings whenever the mode is on.
      lock_ = s3::ObjectLock{*lock_config_.mode,
                             retention::initial_retain_until(
                                 std::chrono::time_point_cast<std::chrono::seconds>(facts_.started),
                                 *context_.settings.retention, lock_config_.margin)};
      log_.info("every object of the set is written locked",
                {{"mode", std::string(s3::wire_name(lock_->mode))},
                 {"retain_until", s3::format_retain_until(lock_->retain_until)}});
    }
    if (!selection_.db) return std::nullopt;

    auto inspection = pg::inspect_source(config_.pg);
    if (!inspection) {
      const Error& error = inspection.error();
      if (error.kind == ErrorKind::config) return refuse("backup refused", error);
      db_preflight_error_ = error;
      return std::nullopt;
    }
    log_read_only(*inspection);
    if (inspection->sharing.sharing == pg::SessionSharing::unknown) {
      log_.warn(
          "could not tell whether the source's server session is pg_dump's own "
          "(transaction pooling breaks pg_dump; see the README)",
          {{"probe", inspection->sharing.detail}});
    }
    read_only_default_ = inspection->belt != pg::ReadOnlyBelt::refused;
    const pg::DatabaseInfo* info = &inspection->info;
    facts_.database = *info;
    facts_.source = catalog::SourceRecord{
        config_.pg.params.contains("host") ? config_.pg.params.at("host") : "",
        config_.pg.params.contains("port") ? config_.pg.params.at("port") : "5432", info->database,
        info->system_identifier};
    log_.info("database", {{"server_version", info->server_version},
                           {"database", info->database},
                           {"tables", std::to_string(info->table_count)},
                           {"llx_tables", std::to_string(info->llx_table_count)},
                           {"database_bytes", std::to_string(info->database_bytes)}});
    if (auto role = check_source_role(*info); !role) return refuse("backup refused", role.error());
    auto version = pg::pg_dump_version(config_.pg_dump, config_.child_environment);
    auto major = version ? pg::pg_major_version(*version) : std::unexpected(version.error());
    auto compatible = major ? pg::check_dump_compatible(*major, info->server_version_num)
                            : std::unexpected(major.error());
    if (!compatible) {
      if (compatible.error().kind == ErrorKind::config) {
        return refuse("backup refused", compatible.error());
      }
      db_preflight_error_ = compatible.error();
      return std::nullopt;
    }
    if (auto fits = check_database_fits(*info, schedule_); !fits) {
      return refuse("backup refused", fits.error());
    }
    return std::nullopt;
  }

  // Phase 1, last step, after everything that only reads (so that a configuration refusal,
  // exit 2, has touched nothing): the lease on the set (run_lease.h), then the set's keys
  // must all be free. Returns the failure to stop with (logged), or nullopt to go on.
  std::optional<Failure> claim_set() {
    auto token = new_run_token();
    if (!token) return refuse("backup refused", token.error());
    auto lease = RunLease::acquire(
        context_.s3, layout_, facts_.id, *token,
        LeaseHolder{.env = facts_.env,
                    .host = facts_.host,
                    .pid = static_cast<long>(getpid()),
                    .started = facts_.started},
        context_.clock,
        {.heartbeat = kLeaseHeartbeat,
         .on_renewed = [this](const Result<void>& renewed) { on_lease_renewed(renewed); }});
    if (!lease) return refuse("backup refused", lease.error());
    lease_ = std::move(*lease);
    log_.info("lease acquired", {{"id", facts_.id}, {"lease", lease_->key()}});
    if (auto fresh = refuse_existing_set(context_.s3, layout_, facts_.id); !fresh) {
      return refuse("backup refused", fresh.error());
    }
    lease_->start_heartbeat();
    return std::nullopt;
  }

  // The heartbeat's thread reports each renewal here. A failure is worth a warning: a lease left
  // unrenewed for kLeaseStaleAfter no longer keeps prune from aborting this run's uploads.
  void on_lease_renewed(const Result<void>& renewed) {
    if (renewed || renewed.error().kind == ErrorKind::cancelled) return;  // stopping anyway
    log_.warn(
        "renewing the lease failed; if it stays unrenewed for 10 min, prune may abort this "
        "run's uploads (the run then fails)",
        {{"id", facts_.id}, {"error", renewed.error().message}});
  }

  // Deletes the lease, on every path run() returns by (after the run's last write to the set).
  void release_lease() {
    if (!lease_) return;
    if (auto released = lease_->release(); !released) {
      log_.warn(
          "deleting the lease failed; it refuses only backups of its own second, goes stale "
          "in 10 min and is removed by a later prune",
          {{"id", facts_.id}, {"lease", lease_->key()}, {"error", released.error().message}});
    }
    lease_.reset();
  }

  // Logs what the source role could do besides reading; with BACKUP_REQUIRE_READONLY_ROLE a
  // role that could write is a configuration error (exit 2, nothing started).
  Result<void> check_source_role(const pg::DatabaseInfo& info) {
    const std::vector<std::string> writes = pg::write_capabilities(info.role);
    std::string list;
    for (const std::string& item : writes) list += (list.empty() ? "" : "; ") + item;
    if (writes.empty()) {
      log_.info(
          "source role cannot write",
          {{"user", info.user}, {"pg_read_all_data", info.role.read_all_data ? "yes" : "no"}});
    } else if (!config_.require_readonly_role) {
      log_.warn("source role could write to the database it backs up",
                {{"user", info.user},
                 {"capabilities", list},
                 {"hint", "use a dedicated dump role and BACKUP_REQUIRE_READONLY_ROLE=true"}});
    }
    if (!config_.require_readonly_role) return {};
    return pg::require_read_only_role(info.user, info.role);
  }

  // How production is kept read-only on this run (pg/read_only_belt.h): pg_dump's READ ONLY
  // transaction always; the session default when the server (or pooler) took the belt, or when
  // the role or database sets it themselves (session_default=on).
  void log_read_only(const pg::SourceInspection& inspection) {
    std::vector<LogField> fields = {
        {"belt", std::string(pg::to_string(inspection.belt))},
        {"session_default", inspection.session_default_read_only ? "on" : "off"}};
    const std::string rests_on =
        inspection.session_default_read_only
            ? "read-only rests on pg_dump's READ ONLY transaction and the role's or database's "
              "own default_transaction_read_only=on"
            : "read-only rests on pg_dump's READ ONLY transaction";
    switch (inspection.belt) {
      case pg::ReadOnlyBelt::in_effect:
        log_.info(
            "read-only enforced by default_transaction_read_only=on for the session and "
            "pg_dump's READ ONLY transaction",
            std::move(fields));
        return;
      case pg::ReadOnlyBelt::refused:
        fields.emplace_back("refusal", inspection.refusal);
        log_.warn(
            "the server or a pooler refused the options startup parameter: pg_dump runs "
            "without it; " +
                rests_on,
            std::move(fields));
        return;
      case pg::ReadOnlyBelt::not_in_effect:
        log_.warn(
            "the options startup parameter was accepted but default_transaction_read_only "
            "is off (a pooler dropped it): " +
                rests_on,
            std::move(fields));
        return;
    }
  }

  Failure refuse(std::string_view what, const Error& error) {
    log_.error(std::string(what), {{"id", facts_.id}, {"error", error.message}});
    return Failure{exit_code_for(error, context_.cancellation), std::string(what)};
  }

  // Phase 2.
  void run_streams() {
    upload::BufferPool pool(context_.s3_config.buffer_budget);
    const StreamEnvironment env{context_.s3,
                                pool,
                                {.first_part_size = context_.s3_config.part_size,
                                 .concurrency = context_.s3_config.upload_concurrency,
                                 .stop = context_.cancellation.token(),
                                 // Where the store honours it, never replace an object.
                                 .condition = s3::WriteCondition::if_absent,
                                 .lock = lock_}};
    std::optional<StreamSpec> db_spec;
    std::optional<StreamSpec> docs_spec;
    if (selection_.db) {
      db_spec = db_stream_spec(config_, log_, context_.cancellation,
                               layout_.db_key(facts_.id, config_.db_compression),
                               facts_.pg_dump_version, read_only_default_, &facts_.row_counts);
    }
    if (selection_.docs) {
      documents_.emplace();
      docs_spec = docs_stream_spec(config_, context_.cancellation, layout_.docs_key(facts_.id),
                                   *documents_);
    }
    ProgressReporter progress(log_, kProgressInterval);
    progress.start();
    {
      std::jthread db_thread;
      if (db_spec && !db_preflight_error_) {
        db_thread = std::jthread([&] {
          const auto started = context_.clock.now();
          db_ = run_stream(env, *db_spec, progress);
          db_duration_ = context_.clock.now() - started;
        });
      }
      std::jthread docs_thread;
      if (docs_spec) {
        docs_thread = std::jthread([&] {
          const auto started = context_.clock.now();
          docs_ = run_stream(env, *docs_spec, progress);
          docs_duration_ = context_.clock.now() - started;
        });
      }
    }  // both joined here
    if (db_spec && db_preflight_error_) db_ = not_started(*db_spec, *db_preflight_error_);
    // What the metrics report per stream (app/report/run_metrics.h).
    const std::tuple<catalog::Stream, const std::optional<StreamOutcome>*,
                     std::chrono::duration<double>>
        ran[] = {{catalog::Stream::db, &db_, db_duration_},
                 {catalog::Stream::docs, &docs_, docs_duration_}};
    for (const auto& [stream, outcome, duration] : ran) {
      if (!*outcome) continue;
      const catalog::StreamRecord& record = (*outcome)->record;
      context_.report.streams.push_back(StreamRun{.stream = stream,
                                                  .committed = (*outcome)->committed(),
                                                  .bytes = record.bytes,
                                                  .parts = static_cast<std::uint64_t>(record.parts),
                                                  .duration = duration});
    }
    facts_.documents = documents_;
    facts_.finished = context_.clock.now();
    report_stream("db", db_);
    report_stream("docs", docs_);
  }

  void report_stream(const std::string& name, const std::optional<StreamOutcome>& outcome) {
    if (!outcome) return;
    const catalog::StreamRecord& record = outcome->record;
    if (outcome->error) {
      log_.error(name + " stream failed",
                 {{"key", record.key}, {"error", outcome->error->message}});
    } else {
      log_.info(name + " stream committed", {{"key", record.key},
                                             {"bytes", std::to_string(record.bytes)},
                                             {"parts", std::to_string(record.parts)},
                                             {"sha256", record.sha256}});
    }
    if (outcome->confirmed_by_reading) {
      log_.warn(
          "the store's answer to the stream's last write was ambiguous; reading the key "
          "showed this stream's object",
          {{"key", record.key}, {"answer", outcome->confirmed_by_reading->message}});
    }
    if (outcome->abort_error) {
      ++failed_aborts_;
      log_.error(
          "abort of the multipart upload failed; it may linger until a prune or a bucket "
          "lifecycle rule removes it",
          {{"key", record.key}, {"error", outcome->abort_error->message}});
    }
  }

  // Phases 3 to 5.
  Outcome commit() {
    if (documents_) {
      for (const auto& skipped : documents_->skipped) {
        log_.warn("document skipped", {{"path", skipped.path}, {"reason", skipped.reason}});
      }
      // Archived, but a restore refuses them unless --keep-links-outside (README: restore docs).
      for (const auto& link : documents_->links_outside) {
        log_.warn("document link leaves the tree", {{"path", link.path}, {"target", link.target}});
      }
      if (documents_->links_outside_total.value_or(0) > documents_->links_outside.size()) {
        log_.warn("more document links leave the tree than the manifest lists",
                  {{"total", std::to_string(*documents_->links_outside_total)},
                   {"listed", std::to_string(documents_->links_outside.size())}});
      }
    }
    // A signal stops the job before its commit point: the streams aborted their uploads, and no
    // manifest makes any of it look complete.
    if (context_.cancellation.cancelled()) {
      return finish(exit_code_for(Error{ErrorKind::cancelled, "stopped"}, context_.cancellation),
                    "backup stopped by signal");
    }
    const SetOutcome outcome = outcome_of(db_, docs_);
    if (outcome == SetOutcome::nothing)
      return finish(ExitCode::failed, "backup failed: nothing committed");

    // The commit point certifies what is in the store, so it is checked first: every object
    // this run committed is still the one it wrote (no other writer replaced it).
    for (const auto* stream : {&db_, &docs_}) {
      if (!*stream || !(*stream)->committed()) continue;
      if (auto same = recheck_committed_object(context_.s3, (*stream)->record); !same) {
        log_.error(
            "a committed object changed before the manifest was written; the set is "
            "not committed",
            {{"key", (*stream)->record.key}, {"error", same.error().message}});
        return finish(ExitCode::failed, "backup failed");
      }
    }
    if (lock_) check_canary();
    const catalog::Manifest manifest = assemble_manifest(facts_, db_, docs_);
    const std::string manifest_key = layout_.manifest_key(facts_.id);
    // Never replaces a manifest (If-None-Match: * where the store honours it); an ambiguous
    // answer is resolved by reading the key (upload/confirm_write.h).
    const std::string manifest_text = catalog::to_json(manifest);
    if (auto written = upload::put_new_object(context_.s3, manifest_key, manifest_text, lock_);
        !written) {
      log_.error("writing the manifest failed; the set is incomplete",
                 {{"key", manifest_key}, {"error", written.error().message}});
      return finish(ExitCode::failed, "backup failed");
    }
    if (lock_) {
      if (auto locked = upload::ensure_locked(context_.s3, manifest_key, *lock_); !locked) {
        // The set is committed but not protected: the run fails, and last-success.json keeps
        // its older entries so that `status` reports the streams stale until a run locks.
        log_.error("the manifest could not be locked; the set is committed but not protected",
                   {{"key", manifest_key}, {"error", locked.error().message}});
        return finish(ExitCode::failed, "backup failed: the manifest is not locked");
      }
    }
    // A partial set's committed stream is real, restorable data (retention keeps it as a
    // candidate of its stream's tiers), so it is recorded too; the failed stream keeps its
    // older entry and `status` goes on reporting it stale.
    if (auto updated = update_last_success(manifest, manifest_key); !updated) {
      log_.error("updating last-success.json failed", {{"error", updated.error().message}});
      return finish(ExitCode::failed, "backup failed");
    }
    if (outcome == SetOutcome::partial) return finish(ExitCode::partial, "backup partial");
    log_.info("backup complete",
              {{"id", facts_.id},
               {"manifest", manifest_key},
               {"seconds", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                              facts_.finished - facts_.started)
                                              .count())}});
    if (!config_.prune_after_backup) return finish(ExitCode::ok, "backup done");
    // Reached only when every stream committed: the new set is the newest complete set, which
    // the plan never deletes.
    auto pruned =
        prune(context_.s3, layout_, *context_.settings.retention, utc_today(context_.clock),
              /*dry_run=*/false, retention::OwnBackup::succeeded,
              StaleUploadOptions{.max_age = *context_.settings.stale_upload_age,
                                 .now = context_.clock.now()},
              PruneLocking{.config = lock_config_, .now = now_seconds(context_.clock)});
    if (!pruned) {
      log_.error("prune after backup failed",
                 {{"id", facts_.id}, {"error", pruned.error().message}});
      return finish(ExitCode::failed, "backup done, prune failed");
    }
    context_.report.prune = to_prune_run(*pruned);
    log_.info("prune after backup done",
              {{"kept", std::to_string(pruned->sets_kept)},
               {"deleted_sets", std::to_string(pruned->sets_deleted)},
               {"objects_deleted", std::to_string(pruned->objects_deleted)},
               {"locked_kept", std::to_string(pruned->sets_locked_kept)},
               {"promoted_objects", std::to_string(pruned->promoted_objects)},
               {"foreign", std::to_string(pruned->catalog.foreign.size())}});
    // Another set's bad manifest, locked sets kept, promotion failures, expiring keepers:
    // reported, not fatal (the backup itself is done).
    log_prune_findings(log_, *pruned);
    // Stale uploads whose abort failed linger like the streams' own: counted in the summary,
    // logged with key and upload id; the exit code stays the streams'.
    if (pruned->stale_uploads) {
      log_stale_uploads(log_, *pruned->stale_uploads);
      failed_aborts_ += static_cast<int>(pruned->stale_uploads->failures().size());
    }
    // Credentials without delete permission (least privilege: a prune job of its own deletes)
    // are not a failed backup.
    if (pruned->skipped_by_permission) {
      return finish(ExitCode::ok, "backup done, prune skipped: no delete permission");
    }
    return finish(ExitCode::ok, "backup done");
  }

  // The enforcement canary (lock_canary.h), before the manifest that records its verdict: logged
  // (an error when a locked version could be deleted), into the facts and the metrics.
  void check_canary() {
    const auto now = now_seconds(context_.clock);
    const CanaryResult canary =
        check_lock_canary(context_.s3, layout_, lock_->mode, lock_config_.margin, now);
    catalog::ObjectLockRecord record{.mode = std::string(config::mode_setting(lock_->mode)),
                                     .retain_until = s3::format_retain_until(lock_->retain_until),
                                     .enforced = canary.enforced};
    if (canary.enforced) record.checked_at = format_iso8601_utc(now);
    facts_.object_lock = record;
    context_.report.object_lock_enforced = canary.enforced;
    log_canary(log_, canary);
  }

  // Records each stream this run committed in last-success.json, keeping the other stream's
  // entry: a docs-only run never makes the database look backed up, nor a partial run the
  // stream that failed.
  Result<void> update_last_success(const catalog::Manifest& manifest,
                                   const std::string& manifest_key) {
    const std::string key = layout_.last_success_key();
    catalog::LastSuccess last;
    if (auto current = catalog::read_small_object(context_.s3, key); current) {
      if (auto parsed = catalog::parse_last_success(*current); parsed) {
        last = std::move(*parsed);
      } else {
        log_.warn("last-success.json is unreadable and is rewritten",
                  {{"key", key}, {"error", parsed.error().message}});
      }
    } else if (current.error().kind != ErrorKind::not_found) {
      return std::unexpected(current.error());
    }
    for (const auto& [stream, record] : {std::pair{catalog::Stream::db, &manifest.db},
                                         std::pair{catalog::Stream::docs, &manifest.docs}}) {
      if (*record && (*record)->status == catalog::StreamStatus::committed) {
        last = catalog::record(std::move(last), stream, manifest.id, manifest.finished_at,
                               manifest_key);
      }
    }
    return put_text(context_.s3, key, catalog::to_json(last));
  }

  // The summary line every run ends with.
  Outcome finish(ExitCode exit_code, std::string_view what) {
    std::vector<LogField> fields = {{"id", facts_.id},
                                    {"exit_code", std::to_string(to_int(exit_code))}};
    if (db_) fields.emplace_back("db", std::string(catalog::to_string(db_->record.status)));
    if (docs_) fields.emplace_back("docs", std::string(catalog::to_string(docs_->record.status)));
    fields.emplace_back("failed_aborts", std::to_string(failed_aborts_));
    if (exit_code == ExitCode::ok) {
      log_.info(std::string(what), fields);
    } else {
      log_.error(std::string(what), fields);
    }
    if (exit_code == ExitCode::ok) return {};
    return std::unexpected(Failure{exit_code, std::string(what)});
  }

  Context& context_;
  Logger& log_;
  const config::BackupConfig& config_;
  const catalog::KeyLayout layout_;
  const BackupSelection selection_;
  const upload::PartSchedule schedule_;  // what the sinks will use: the budget caps every part
  const config::ObjectLockConfig lock_config_;
  std::optional<s3::ObjectLock> lock_;  // every object of the set is written so (mode on)

  BackupFacts facts_;
  std::unique_ptr<RunLease> lease_;  // held from claim_set() until run() returns
  std::optional<Error> db_preflight_error_;
  bool read_only_default_ = true;  // pg_dump gets the belt (the pre-flight's decision)
  std::optional<catalog::DocumentsRecord> documents_;
  std::optional<StreamOutcome> db_;
  std::optional<StreamOutcome> docs_;
  std::chrono::duration<double> db_duration_{0};  // each stream's wall time (metrics)
  std::chrono::duration<double> docs_duration_{0};
  int failed_aborts_ = 0;  // uploads that may linger (reported in the summary)
};

}  // namespace

Result<void> check_database_fits(const pg::DatabaseInfo& database,
                                 const upload::PartSchedule& schedule) {
  // The dump is smaller than the database on disk (no indexes, compressed), so a database that
  // fits is a dump that fits; one that does not would fail hours in, before part 10,001.
  if (database.database_bytes <= 0 ||
      static_cast<std::uint64_t>(database.database_bytes) <= schedule.max_stream_bytes()) {
    return {};
  }
  return make_error(ErrorKind::config,
                    "database " + database.database + " occupies " +
                        std::to_string(database.database_bytes) + " bytes, more than the " +
                        std::to_string(schedule.max_stream_bytes()) +
                        " bytes one stream can hold in 10,000 parts of at most " +
                        std::to_string(schedule.largest_part_size()) +
                        " bytes (hint: raise S3_PART_SIZE or S3_BUFFER_BUDGET)");
}

Result<void> recheck_committed_object(s3::ObjectStore& store, const catalog::StreamRecord& record) {
  auto head = store.head_object(record.key);
  if (!head) {
    return std::unexpected(
        head.error().with_context("re-reading " + record.key + " before the manifest is written"));
  }
  const bool same_size = head->size == record.bytes;
  const bool same_etag = record.etag.empty() || head->etag == record.etag;
  if (same_size && same_etag) return {};
  return make_error(ErrorKind::corrupt,
                    record.key + " is no longer the object this run wrote: it has " +
                        std::to_string(head->size) + " bytes, ETag " +
                        (head->etag.empty() ? "none" : head->etag) + "; this run wrote " +
                        std::to_string(record.bytes) + " bytes, ETag " +
                        (record.etag.empty() ? "none" : record.etag) +
                        " (hint: another writer replaced it; the manifest is not written and "
                        "nothing is deleted)");
}

catalog::Manifest assemble_manifest(const BackupFacts& facts,
                                    const std::optional<StreamOutcome>& db,
                                    const std::optional<StreamOutcome>& docs) {
  catalog::Manifest manifest;
  manifest.id = facts.id;
  manifest.env = facts.env;
  manifest.started_at = format_iso8601_utc(facts.started);
  manifest.finished_at = format_iso8601_utc(facts.finished);
  manifest.tool_version = facts.tool_version;
  manifest.host = facts.host;
  if (facts.database) {
    manifest.database = catalog::DatabaseRecord{facts.database->server_version,
                                                facts.pg_dump_version,
                                                facts.database->database,
                                                static_cast<int>(facts.database->table_count),
                                                static_cast<int>(facts.database->llx_table_count),
                                                facts.row_counts};
  }
  manifest.source = facts.source;
  if (db) manifest.db = db->record;
  if (docs) {
    manifest.docs = docs->record;
    if (facts.documents) manifest.documents = facts.documents;
  }
  manifest.object_lock = facts.object_lock;
  return manifest;
}

SetOutcome outcome_of(const std::optional<StreamOutcome>& db,
                      const std::optional<StreamOutcome>& docs) {
  int committed = 0;
  int failed = 0;
  for (const auto* outcome : {&db, &docs}) {
    if (!*outcome) continue;
    ((*outcome)->committed() ? committed : failed) += 1;
  }
  if (committed == 0) return SetOutcome::nothing;
  return failed == 0 ? SetOutcome::complete : SetOutcome::partial;
}

Outcome run_backup_job(Context& context, BackupSelection selection) {
  BackupJob job(context, selection);
  return job.run();
}

}  // namespace erp::app
