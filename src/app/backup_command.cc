#include "app/backup_command.h"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <optional>
#include <thread>

#include "app/backup_streams.h"
#include "app/object_commands.h"
#include "app/progress_reporter.h"
#include "app/prune.h"
#include "catalog/key_layout.h"
#include "catalog/manifest.h"
#include "config/backup_config.h"
#include "config/retention_config.h"
#include "pg/database_info.h"
#include "pg/pg_dump.h"
#include "retention/backup_id.h"

namespace erp::app {
namespace {

constexpr std::chrono::seconds kProgressInterval{5};

struct Selection {
  bool db = true;
  bool docs = true;
};

Result<Selection> parse_selection(const std::vector<std::string>& args) {
  Selection selection;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--only" && i + 1 < args.size()) {
      const std::string& what = args[++i];
      if (what == "db")
        selection.docs = false;
      else if (what == "docs")
        selection.db = false;
      else
        return make_error(ErrorKind::config, "--only takes db or docs, not '" + what + "'");
    } else {
      return make_error(ErrorKind::config, "unknown argument '" + args[i] +
                                               "' (hint: erp-backup backup [--only db|docs])");
    }
  }
  return selection;
}

std::string iso_utc(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

// A run never overwrites a set: if any object of this ID exists, refuse.
Result<void> refuse_existing_set(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                                 const std::string& id) {
  for (const std::string& key : {layout.db_key(id), layout.docs_key(id), layout.manifest_key(id)}) {
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

Result<void> put_json(s3::ObjectStore& store, const std::string& key, const std::string& json) {
  auto put = store.put_object(key, json);
  if (!put) return std::unexpected(put.error());
  return {};
}

}  // namespace

int run_backup(Context& context, const std::vector<std::string>& args) {
  Logger& log = context.log;
  auto selection = parse_selection(args);
  if (!selection) {
    log.error(selection.error().message);
    return 2;
  }
  auto config = config::load_backup_config(context.environment);
  if (!config) {
    log.error(config.error().message);
    return 2;
  }
  // Checked before anything starts, although only used after a successful backup.
  auto policy = config::load_retention_config(context.environment);
  if (config->prune_after_backup && !policy) {
    log.error(policy.error().message);
    return 2;
  }

  const auto started = std::chrono::system_clock::now();
  const std::string id =
      retention::format_backup_id(std::chrono::time_point_cast<std::chrono::seconds>(started));
  const catalog::KeyLayout layout(config->prefix, config->env);
  log.info("backup starting", {{"id", id},
                               {"bucket", context.s3.bucket()},
                               {"prefix", layout.env_prefix()},
                               {"db", selection->db ? "yes" : "no"},
                               {"docs", selection->docs ? "yes" : "no"}});

  // Pre-flight, before any byte is uploaded: what the database is, and whether this
  // pg_dump can dump it (an older pg_dump is refused: configuration, exit 2).
  std::optional<pg::DatabaseInfo> database;
  std::optional<Error> db_preflight_error;
  if (selection->db) {
    auto info = pg::inspect_database(config->pg);
    if (!info) {
      db_preflight_error = info.error();
    } else {
      database = *info;
      auto version = pg::pg_dump_version(config->pg_dump, config->child_environment);
      auto major = version ? pg::pg_major_version(*version) : std::unexpected(version.error());
      auto compatible = major ? pg::check_dump_compatible(*major, info->server_version_num)
                              : std::unexpected(major.error());
      if (!compatible) {
        if (compatible.error().kind == ErrorKind::config) {
          log.error(compatible.error().message);
          return 2;
        }
        db_preflight_error = compatible.error();
      }
    }
    if (database) {
      log.info("database", {{"server_version", database->server_version},
                            {"database", database->database},
                            {"tables", std::to_string(database->table_count)},
                            {"llx_tables", std::to_string(database->llx_table_count)}});
    }
  }
  if (auto fresh = refuse_existing_set(context.s3, layout, id); !fresh) {
    log.error("backup refused", {{"id", id}, {"error", fresh.error().message}});
    return exit_code_for(fresh.error(), context.cancellation);
  }

  upload::BufferPool pool(context.s3_config.buffer_budget);
  const StreamEnvironment env{context.s3,
                              pool,
                              {.first_part_size = context.s3_config.part_size,
                               .concurrency = context.s3_config.upload_concurrency,
                               .stop = context.cancellation.token()},
                              *config,
                              log,
                              context.cancellation};
  ProgressReporter progress(log, kProgressInterval);
  progress.start();

  // The streams run concurrently, one thread each (they share the buffer budget).
  std::optional<DbStreamResult> db;
  std::optional<DocsStreamResult> docs;
  {
    std::jthread db_thread;
    if (selection->db && !db_preflight_error) {
      db_thread = std::jthread([&] { db = run_db_stream(env, layout.db_key(id), progress); });
    }
    std::jthread docs_thread;
    if (selection->docs) {
      docs_thread =
          std::jthread([&] { docs = run_docs_stream(env, layout.docs_key(id), progress); });
    }
  }  // both joined here
  if (db_preflight_error) {
    db = DbStreamResult{};
    db->record.key = layout.db_key(id);
    db->record.status = catalog::StreamStatus::failed;
    db->record.compression = "none";
    db->record.error = db_preflight_error->message;
    db->error = db_preflight_error;
  }

  catalog::Manifest manifest;
  manifest.id = id;
  manifest.env = config->env;
  manifest.started_at = iso_utc(started);
  manifest.finished_at = iso_utc(std::chrono::system_clock::now());
  manifest.tool_version = ERP_BACKUP_VERSION;
  manifest.host = host_name();
  if (database) {
    manifest.database = catalog::DatabaseRecord{
        database->server_version, db ? db->pg_dump_version : "", database->database,
        static_cast<int>(database->table_count), static_cast<int>(database->llx_table_count)};
  }
  int committed = 0;
  int failed = 0;
  if (db) {
    manifest.db = db->record;
    if (db->error) {
      ++failed;
      log.error("db stream failed", {{"key", db->record.key}, {"error", db->error->message}});
    } else {
      ++committed;
      log.info("db stream committed", {{"key", db->record.key},
                                       {"bytes", std::to_string(db->record.bytes)},
                                       {"parts", std::to_string(db->record.parts)},
                                       {"sha256", db->record.sha256}});
    }
  }
  if (docs) {
    manifest.docs = docs->record;
    manifest.documents = docs->documents;
    for (const auto& skipped : docs->documents.skipped) {
      log.warn("document skipped", {{"path", skipped.path}, {"reason", skipped.reason}});
    }
    if (docs->error) {
      ++failed;
      log.error("docs stream failed", {{"key", docs->record.key}, {"error", docs->error->message}});
    } else {
      ++committed;
      log.info("docs stream committed", {{"key", docs->record.key},
                                         {"bytes", std::to_string(docs->record.bytes)},
                                         {"files", std::to_string(docs->documents.files)},
                                         {"sha256", docs->record.sha256}});
    }
  }

  // A signal stops the job before its commit point: the uploads were aborted by the
  // streams, and no manifest makes any of it look complete.
  if (context.cancellation.cancelled()) {
    log.error("backup stopped by signal", {{"id", id}});
    return exit_code_for(Error{ErrorKind::cancelled, "stopped"}, context.cancellation);
  }
  if (committed == 0) {
    log.error("backup failed: nothing committed", {{"id", id}});
    return 1;
  }

  // The manifest is the commit point; a partial set gets one too, saying what failed.
  if (auto written = put_json(context.s3, layout.manifest_key(id), catalog::to_json(manifest));
      !written) {
    log.error("writing the manifest failed; the set is incomplete",
              {{"key", layout.manifest_key(id)}, {"error", written.error().message}});
    return 1;
  }
  if (failed > 0) {
    log.error("backup partial", {{"id", id}, {"manifest", layout.manifest_key(id)}});
    return 3;
  }
  const std::string last_success = "{\n  \"id\": \"" + id + "\",\n  \"finished_at\": \"" +
                                   manifest.finished_at + "\",\n  \"manifest\": \"" +
                                   layout.manifest_key(id) + "\"\n}\n";
  if (auto written = put_json(context.s3, layout.last_success_key(), last_success); !written) {
    log.error("updating last-success.json failed", {{"error", written.error().message}});
    return 1;
  }
  log.info("backup complete",
           {{"id", id},
            {"manifest", layout.manifest_key(id)},
            {"seconds", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now() - started)
                                           .count())}});
  if (config->prune_after_backup) {
    // Reached only when every stream committed: the new set is the newest complete set,
    // which the plan never deletes.
    auto pruned = prune(context.s3, layout, *policy, utc_today(), /*dry_run=*/false,
                        retention::OwnBackup::succeeded);
    if (!pruned) {
      log.error("prune after backup failed", {{"id", id}, {"error", pruned.error().message}});
      return 1;
    }
    log.info("prune after backup done",
             {{"kept", std::to_string(pruned->sets_kept)},
              {"deleted_sets", std::to_string(pruned->sets_deleted)},
              {"objects_deleted", std::to_string(pruned->objects_deleted)},
              {"foreign", std::to_string(pruned->catalog.foreign.size())}});
  }
  return 0;
}

}  // namespace erp::app
