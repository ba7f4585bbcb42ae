#include "app/sets/prune.h"

#include <algorithm>

#include "app/sets/lock_promotion.h"
#include "app/sets/prune_by_version.h"
#include "retention/backup_sets.h"
#include "s3/object_lock.h"
#include "s3/xml_replies.h"

namespace erp::app {
namespace {

constexpr std::string_view kAccessDenied = "AccessDenied";

// How many keys went; nullopt when the store refused them all for want of permission (the whole
// request answered AccessDenied, or every key's <Error> did).
Result<std::optional<std::size_t>> delete_keys(s3::ObjectStore& store,
                                               const std::vector<std::string>& keys) {
  if (keys.empty()) return std::size_t{0};
  auto refused = store.delete_objects(keys);
  if (!refused) {
    if (refused.error().code == kAccessDenied) return std::nullopt;
    return std::unexpected(refused.error());
  }
  const bool all_denied =
      refused->size() == keys.size() &&
      std::ranges::all_of(*refused, [](const auto& f) { return f.code == kAccessDenied; });
  if (all_denied) return std::nullopt;
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

void log_prune_findings(Logger& log, const PruneSummary& summary) {
  log_unreadable_sets(log, summary);
  for (const LockedKeptSet& set : summary.locked_kept) {
    log.info("backup set locked, kept: retention lets it go, its Object Lock does not yet",
             {{"id", set.id}, {"retain_until", s3::format_retain_until(set.retain_until)}});
  }
  for (const OverwrittenSet& set : summary.overwritten_kept) {
    log.error(
        "backup set kept: one of its keys holds versions of different content (something wrote "
        "over the tool's object; its first version is the backup). Not deleted: look at the "
        "versions, and at who holds s3:PutObject",
        {{"id", set.id}, {"key", set.key}});
  }
  if (!summary.hidden_keys.empty()) {
    log.warn(
        "keys of backup sets hidden behind a delete marker (a plain DELETE on a versioned bucket): "
        "kept, never deleted by version; remove the marker to restore them, or delete the "
        "versions by hand",
        {{"keys", std::to_string(summary.hidden_keys.size())},
         {"first", summary.hidden_keys.front()}});
  }
  if (summary.skipped_by_permission) {
    log.warn(
        "prune skipped: no delete permission (the store refused the deletes with "
        "AccessDenied; prune needs s3:DeleteObject and s3:DeleteObjectVersion, a backup "
        "job's credentials should not have them)",
        {{"objects_deleted", std::to_string(summary.objects_deleted)}});
  }
  for (const Error& error : summary.promotion_errors) {
    log.error("extending a kept set's Object Lock failed", {{"error", error.message}});
  }
  for (const std::string& id : summary.expiring_keepers) {
    log.warn("kept backup set's Object Lock ends within 7 days and was not extended", {{"id", id}});
  }
}

PruneRun to_prune_run(const PruneSummary& summary) {
  return PruneRun{
      .dry_run = summary.dry_run,
      .sets_deleted = summary.sets_deleted,
      .objects_deleted = summary.objects_deleted,
      .bytes_deleted = summary.bytes_deleted,
      .stale_uploads_aborted = summary.stale_uploads ? summary.stale_uploads->aborted : 0,
      .expiring_keepers = summary.expiring_keepers.size(),
      .promoted_objects = summary.promoted_objects,
      .skipped_by_permission = summary.skipped_by_permission};
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
  if (!*deleted) {
    summary.skipped_by_permission = true;
    return {};
  }
  summary.objects_deleted += **deleted;
  summary.bytes_deleted += data_bytes;
  deleted = delete_keys(store, manifests);
  if (!deleted) {
    return std::unexpected(deleted.error().with_context("deleting manifests of expired sets"));
  }
  if (!*deleted) {
    summary.skipped_by_permission = true;
    return {};
  }
  summary.objects_deleted += **deleted;
  summary.bytes_deleted += manifest_bytes;
  return {};
}

Result<void> apply_prune(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                         const retention::RetentionPolicy& policy, PruneSummary& summary,
                         const PruneLocking& locking) {
  if (!locking.config.enabled()) {
    if (summary.dry_run) return {};
    return execute_prune(store, summary);
  }
  summary.locking = true;
  if (auto deleted = prune_by_version(store, layout, summary, locking.now); !deleted) {
    return deleted;
  }
  PromotionOutcome promotion = promote_locks(store, summary.catalog, summary.plan, policy,
                                             locking.config, locking.now, summary.dry_run);
  summary.promoted_objects = promotion.promoted;
  summary.promotion_failures = promotion.failures.size();
  summary.promotion_errors = std::move(promotion.failures);
  summary.expiring_keepers = std::move(promotion.expiring);
  return {};
}

Result<PruneSummary> prune(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                           const retention::RetentionPolicy& policy,
                           std::chrono::year_month_day today, bool dry_run,
                           retention::OwnBackup own_backup,
                           const std::optional<StaleUploadOptions>& stale_uploads,
                           const PruneLocking& locking) {
  auto summary = plan_prune(store, layout, policy, today, own_backup);
  if (!summary) return summary;
  summary->dry_run = dry_run;
  if (auto done = apply_prune(store, layout, policy, *summary, locking); !done) {
    return std::unexpected(done.error());
  }
  if (stale_uploads) {
    summary->stale_uploads = prune_stale_uploads(store, layout, *stale_uploads, dry_run);
  }
  return summary;
}

}  // namespace erp::app
