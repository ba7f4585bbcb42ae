#include "app/sets/prune.h"

#include "retention/backup_sets.h"
#include "s3/xml_replies.h"

namespace erp::app {
namespace {

Result<std::size_t> delete_keys(s3::ObjectStore& store, const std::vector<std::string>& keys) {
  if (keys.empty()) return std::size_t{0};
  auto refused = store.delete_objects(keys);
  if (!refused) return std::unexpected(refused.error());
  if (!refused->empty()) {
    std::string message =
        "the store refused to delete " + std::to_string(refused->size()) + " object(s):";
    for (const s3::DeleteFailure& failure : *refused) {
      message += " " + s3::describe_delete_failure(failure);
    }
    return make_error(ErrorKind::permanent, message, refused->front().code);
  }
  return keys.size();
}

}  // namespace

void log_unreadable_sets(Logger& log, const PruneSummary& summary) {
  for (const catalog::CatalogSet& set : summary.catalog.sets) {
    if (set.state != catalog::SetState::unreadable) continue;
    log.warn(
        "backup set kept: its manifest cannot be trusted (never deleted)",
        {{"id", set.id}, {"manifest", set.manifest_key().value_or("")}, {"problem", set.problem}});
  }
}

PruneRun to_prune_run(const PruneSummary& summary) {
  return PruneRun{
      .dry_run = summary.dry_run,
      .sets_deleted = summary.sets_deleted,
      .objects_deleted = summary.objects_deleted,
      .bytes_deleted = summary.bytes_deleted,
      .stale_uploads_aborted = summary.stale_uploads ? summary.stale_uploads->aborted : 0};
}

std::chrono::year_month_day utc_today(const Clock& clock) {
  return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(clock.now())};
}

Result<PruneSummary> plan_prune(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                                const retention::RetentionPolicy& policy,
                                std::chrono::year_month_day today,
                                retention::OwnBackup own_backup) {
  if (auto valid = retention::validate_policy(policy); !valid) {
    return std::unexpected(valid.error());
  }
  auto catalog = catalog::load_catalog(store, layout);
  if (!catalog) return std::unexpected(catalog.error());
  const auto sets = retention::backup_sets(*catalog);
  auto plan = retention::plan_retention(sets, policy, today, own_backup);
  if (!plan) return std::unexpected(plan.error());
  PruneSummary summary{std::move(*catalog), std::move(*plan)};
  for (std::size_t i = 0; i < summary.catalog.sets.size(); ++i) {
    const retention::Decision& decision = summary.plan.decisions[i];
    if (decision.keep())
      ++summary.sets_kept;
    else
      ++summary.sets_deleted;
    if (decision.deletes_leftovers())
      summary.leftovers_expired += summary.catalog.sets[i].leftovers().size();
    if (summary.catalog.sets[i].state == catalog::SetState::unreadable) ++summary.sets_unreadable;
  }
  return summary;
}

Result<void> execute_prune(s3::ObjectStore& store, PruneSummary& summary) {
  std::vector<std::string> data;
  std::vector<std::string> manifests;
  std::uint64_t data_bytes = 0;
  std::uint64_t manifest_bytes = 0;
  for (std::size_t i = 0; i < summary.catalog.sets.size(); ++i) {
    const catalog::CatalogSet& set = summary.catalog.sets[i];
    const retention::Decision& decision = summary.plan.decisions[i];
    if (decision.deletes_leftovers()) {
      // Never the manifest or a held stream's object: leftovers() leaves those out.
      for (const catalog::CatalogObject* object : set.leftovers()) {
        data.push_back(object->key);
        data_bytes += object->size;
      }
    }
    if (decision.keep()) continue;
    for (const catalog::CatalogObject& object : set.objects) {
      const bool manifest = object.kind == catalog::ObjectKind::manifest;
      (manifest ? manifests : data).push_back(object.key);
      (manifest ? manifest_bytes : data_bytes) += object.size;
    }
  }
  // Data first: if this fails, no manifest has been touched and every half-deleted set
  // still has its manifest naming a missing object, i.e. it is visibly incomplete.
  auto deleted = delete_keys(store, data);
  if (!deleted) return std::unexpected(deleted.error().with_context("deleting expired sets"));
  summary.objects_deleted += *deleted;
  summary.bytes_deleted += data_bytes;
  deleted = delete_keys(store, manifests);
  if (!deleted) {
    return std::unexpected(deleted.error().with_context("deleting manifests of expired sets"));
  }
  summary.objects_deleted += *deleted;
  summary.bytes_deleted += manifest_bytes;
  return {};
}

Result<PruneSummary> prune(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                           const retention::RetentionPolicy& policy,
                           std::chrono::year_month_day today, bool dry_run,
                           retention::OwnBackup own_backup,
                           const std::optional<StaleUploadOptions>& stale_uploads) {
  auto summary = plan_prune(store, layout, policy, today, own_backup);
  if (!summary) return summary;
  summary->dry_run = dry_run;
  if (!dry_run) {
    if (auto done = execute_prune(store, *summary); !done) return std::unexpected(done.error());
  }
  if (stale_uploads) {
    summary->stale_uploads = prune_stale_uploads(store, layout, *stale_uploads, dry_run);
  }
  return summary;
}

}  // namespace erp::app
