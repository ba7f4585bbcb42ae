#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/backup/lock_canary.h"
#include "app/backup/preflight.h"
#include "app/commands/common_flags.h"
#include "app/commands/retention_commands.h"
#include "app/commands/set_prologue.h"
#include "app/sets/dates.h"
#include "app/sets/prune.h"
#include "s3/object_lock.h"

namespace erp::app {
namespace {

// {"db": "monthly 2026-03", "docs": "expired"}: the reason per stream the set holds.
nlohmann::ordered_json stream_reasons_json(const retention::Decision& decision) {
  auto reasons = nlohmann::ordered_json::object();
  for (catalog::Stream stream : catalog::kStreams) {
    if (const auto& reason = decision.of(stream))
      reasons[std::string(catalog::to_string(stream))] = retention::to_string(*reason);
  }
  return reasons;
}

void print_text(const PruneSummary& summary, std::chrono::year_month_day today) {
  std::cout << "retention plan as of " << date_text(today)
            << (summary.dry_run ? " (dry run: nothing is deleted)" : "") << '\n';
  for (std::size_t i = summary.catalog.sets.size(); i-- > 0;) {
    const catalog::CatalogSet& set = summary.catalog.sets[i];
    const retention::Decision& decision = summary.plan.decisions[i];
    std::cout << set.id << '\t' << (decision.keep() ? "keep" : "delete") << '\t'
              << retention::to_string(decision.reason);
    // Per stream held ("db: monthly 2026-03, docs: expired", then the leftovers' reason), and
    // why the set is not complete.
    std::string detail = retention::stream_reasons_text(decision);
    if (!set.problem.empty()) detail += (detail.empty() ? "" : "; ") + set.problem;
    std::cout << "\t(" << detail << ')';
    std::cout << '\n';
  }
  for (const s3::ObjectInfo& object : summary.catalog.foreign) {
    std::cout << object.key << "\tforeign (never deleted)\n";
  }
}

// What Object Lock made of the run: locked sets kept, locks extended, keepers about to lose
// theirs, and a skip for want of delete permission (either mode).
void print_lock_text(const PruneSummary& summary, std::optional<bool> enforced) {
  if (summary.locking && !summary.dry_run) {
    std::cout << "object lock: "
              << (!enforced   ? "could not tell whether it is enforced (the canary check failed)"
                  : *enforced ? "enforced (these credentials were refused the canary's delete)"
                              : "NOT enforced: these credentials deleted a locked version")
              << '\n';
  }
  for (const LockedKeptSet& set : summary.locked_kept) {
    std::cout << set.id << "\tlocked, kept (retain-until "
              << s3::format_retain_until(set.retain_until) << "; deletable after that)\n";
  }
  for (const OverwrittenSet& set : summary.overwritten_kept) {
    std::cout << set.id << "\toverwritten, kept (" << set.key
              << " holds versions of different content)\n";
  }
  if (!summary.hidden_keys.empty()) {
    std::cout << "hidden behind delete markers (kept): " << summary.hidden_keys.size()
              << " key(s), e.g. " << summary.hidden_keys.front() << '\n';
  }
  if (summary.locking) {
    std::cout << (summary.dry_run ? "object lock: would extend " : "object lock: extended ")
              << summary.promoted_objects << " object lock(s)";
    if (summary.promotion_failures > 0)
      std::cout << ", " << summary.promotion_failures << " failed";
    std::cout << '\n';
  }
  for (const std::string& id : summary.expiring_keepers) {
    std::cout << id << "\texpiring keeper: its lock ends within 7 days, short of its tier\n";
  }
  if (summary.skipped_by_permission) {
    std::cout << "prune skipped: no delete permission (s3:DeleteObject / s3:DeleteObjectVersion)\n";
  }
}

// `enforced`: the canary's verdict; null on a dry run (no canary) or when it could not tell.
nlohmann::ordered_json lock_json(const PruneSummary& summary, std::optional<bool> enforced) {
  auto locked = nlohmann::ordered_json::array();
  for (const LockedKeptSet& set : summary.locked_kept) {
    locked.push_back({{"id", set.id}, {"retain_until", s3::format_retain_until(set.retain_until)}});
  }
  auto overwritten = nlohmann::ordered_json::array();
  for (const OverwrittenSet& set : summary.overwritten_kept) {
    overwritten.push_back({{"id", set.id}, {"key", set.key}});
  }
  return {{"locked_kept", std::move(locked)},
          {"overwritten_kept", std::move(overwritten)},
          {"hidden_keys", summary.hidden_keys},
          {"versions_deleted", summary.versions_deleted},
          {"promoted_objects", summary.promoted_objects},
          {"promotion_failures", summary.promotion_failures},
          {"expiring_keepers", summary.expiring_keepers},
          {"enforced", enforced ? nlohmann::ordered_json(*enforced) : nullptr}};
}

void print_json(const PruneSummary& summary, std::chrono::year_month_day today,
                const retention::RetentionPolicy& policy, std::optional<bool> enforced,
                std::optional<std::string> error) {
  nlohmann::ordered_json doc;
  doc["as_of"] = date_text(today);
  doc["dry_run"] = summary.dry_run;
  doc["policy"] = {{"daily_days", policy.daily_days},
                   {"monthly_months", policy.monthly_months},
                   {"yearly_years", policy.yearly_years},
                   {"min_keep", policy.min_keep}};
  auto sets = nlohmann::ordered_json::array();
  for (std::size_t i = summary.catalog.sets.size(); i-- > 0;) {
    const catalog::CatalogSet& set = summary.catalog.sets[i];
    const retention::Decision& decision = summary.plan.decisions[i];
    nlohmann::ordered_json entry;
    entry["id"] = set.id;
    entry["action"] = decision.keep() ? "keep" : "delete";
    entry["reason"] = retention::to_string(decision.reason);
    entry["complete"] = set.complete;
    entry["status"] = catalog::to_string(set.state);
    if (!set.complete) entry["problem"] = set.problem;
    entry["streams"] = stream_reasons_json(decision);
    auto keys = nlohmann::ordered_json::array();
    for (const auto& object : set.objects) keys.push_back(object.key);
    entry["objects"] = std::move(keys);
    if (decision.leftovers) {  // a kept set's objects no held stream accounts for
      auto leftovers = nlohmann::ordered_json::array();
      for (const catalog::CatalogObject* object : set.leftovers()) leftovers.push_back(object->key);
      entry["leftovers"] = {{"action", decision.deletes_leftovers() ? "delete" : "keep"},
                            {"reason", retention::to_string(*decision.leftovers)},
                            {"objects", std::move(leftovers)}};
    }
    sets.push_back(std::move(entry));
  }
  doc["sets"] = std::move(sets);
  auto foreign = nlohmann::ordered_json::array();
  for (const s3::ObjectInfo& object : summary.catalog.foreign) foreign.push_back(object.key);
  doc["foreign"] = std::move(foreign);
  doc["kept"] = summary.sets_kept;
  doc["unreadable"] = summary.sets_unreadable;
  doc["leftovers_expired"] = summary.leftovers_expired;
  doc["deleted_sets"] = summary.dry_run ? 0 : summary.sets_deleted;
  doc["planned_deletions"] = summary.sets_deleted;
  doc["objects_deleted"] = summary.objects_deleted;
  doc["skipped_by_permission"] = summary.skipped_by_permission;
  if (summary.locking) doc["object_lock"] = lock_json(summary, enforced);
  if (summary.stale_uploads) doc["uploads"] = uploads_json(*summary.stale_uploads);
  doc["error"] = error ? nlohmann::ordered_json(*error) : nlohmann::ordered_json(nullptr);
  std::cout << doc.dump(2) << '\n';
}

}  // namespace

ExitCode run_prune(Context& context, const Arguments& args) {
  Logger& log = context.log;
  const auto as_of = or_usage(context, as_of_flag(args));
  if (!as_of) return as_of.error();
  const bool dry_run = args.has("--dry-run");
  const bool json = args.has("--json");
  const auto& policy = context.settings.retention;
  const catalog::KeyLayout layout = env_layout(context);
  const auto today = as_of->value_or(utc_today(context.clock));
  const PruneLocking locking{context.settings.object_lock.value_or(config::ObjectLockConfig{}),
                             now_seconds(context.clock)};
  // With the mode on, a bucket without Object Lock (or versioning) is refused before anything
  // is read or deleted: exit 2, naming OBJECT_LOCK_MODE and how to fix it.
  if (auto lock = check_object_lock(context.s3, locking.config); !lock) {
    log.error("prune failed", {{"prefix", layout.env_prefix()}, {"error", lock.error().message}});
    return exit_code_for(lock.error(), context.cancellation);
  }
  // The enforcement canary (lock_canary.h) with prune's credentials, the ones that CAN delete:
  // before anything is deleted, so an operator learns of a store that ignores locks even when
  // this run deletes nothing. A dry run writes and deletes nothing, so it has no canary.
  std::optional<bool> enforced;
  if (locking.config.enabled() && !dry_run) {
    const CanaryResult canary = check_lock_canary(context.s3, layout, *locking.config.mode,
                                                  locking.config.margin, locking.now);
    enforced = canary.enforced;
    context.report.object_lock_enforced = canary.enforced;
    log_canary(log, canary);
  }
  auto summary = plan_prune(context.s3, layout, *policy, today, retention::OwnBackup::succeeded);
  if (!summary) {
    log.error("prune failed",
              {{"prefix", layout.env_prefix()}, {"error", summary.error().message}});
    return exit_code_for(summary.error(), context.cancellation);
  }
  summary->dry_run = dry_run;
  if (!json) {
    print_text(*summary, today);
    std::cout.flush();
  }
  std::optional<Error> failure;
  // A dry run deletes and writes nothing; with locking it still reads the locks (HEAD) to say
  // which expired sets stay locked and which locks it would extend.
  if (auto done = apply_prune(context.s3, layout, *policy, *summary, locking); !done) {
    failure = done.error();
  }
  if (!json && !failure) print_lock_text(*summary, enforced);
  if (!failure) {  // stale uploads: ages are real time, not --as-of
    summary->stale_uploads = prune_stale_uploads(
        context.s3, layout,
        {.max_age = *context.settings.stale_upload_age, .now = context.clock.now()}, dry_run);
    if (!json) print_uploads_text(std::cout, *summary->stale_uploads);
    log_stale_uploads(log, *summary->stale_uploads);
  }
  context.report.prune = to_prune_run(*summary);
  if (json) {
    print_json(*summary, today, *policy, enforced,
               failure ? std::optional<std::string>(failure->message) : std::nullopt);
  }
  std::cout.flush();
  if (failure) {
    log.error("prune failed", {{"prefix", layout.env_prefix()},
                               {"objects_deleted", std::to_string(summary->objects_deleted)},
                               {"error", failure->message}});
    return exit_code_for(*failure, context.cancellation);
  }
  log.info(dry_run ? "prune dry run" : "prune done",
           {{"prefix", layout.env_prefix()},
            {"as_of", date_text(today)},
            {"kept", std::to_string(summary->sets_kept)},
            {"deleted_sets", std::to_string(dry_run ? 0 : summary->sets_deleted)},
            {"planned_deletions", std::to_string(summary->sets_deleted)},
            {"leftovers_expired", std::to_string(summary->leftovers_expired)},
            {"objects_deleted", std::to_string(summary->objects_deleted)},
            {"unreadable", std::to_string(summary->sets_unreadable)},
            {"foreign", std::to_string(summary->catalog.foreign.size())},
            {"locked_kept", std::to_string(summary->sets_locked_kept)},
            {"versions_deleted", std::to_string(summary->versions_deleted)},
            {"promoted_objects", std::to_string(summary->promoted_objects)}});
  log_prune_findings(log, *summary);
  for (const s3::ObjectInfo& object : summary->catalog.foreign) {
    log.warn("foreign object under the env prefix (never deleted)", {{"key", object.key}});
  }
  // A prune that could not delete for want of permission, or left a keeper's lock short, did
  // not do its job: exit 1 (a backup's own prune reports the same and exits 0). So does one
  // whose canary found the lock NOT enforced: its credentials can destroy locked backups, and an
  // operator must act (undecided is only the warning).
  const bool done = summary->stale_uploads->ok() && !summary->skipped_by_permission &&
                    summary->promotion_failures == 0 && summary->overwritten_kept.empty() &&
                    enforced != false;
  return done ? ExitCode::ok : ExitCode::failed;
}

}  // namespace erp::app
