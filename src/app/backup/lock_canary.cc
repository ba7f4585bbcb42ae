#include "app/backup/lock_canary.h"

#include <algorithm>
#include <vector>

#include "core/time_format.h"
#include "upload/lock_check.h"

namespace erp::app {
namespace {

// The canary's locked version at `now`, written or extended as needed (step 1).
Result<s3::ObjectInfo> ensure_canary(s3::ObjectStore& store, const std::string& key,
                                     s3::LockMode mode, std::chrono::seconds margin,
                                     std::chrono::sys_seconds now) {
  const s3::ObjectLock wanted{mode, now + margin};
  auto head = store.head_object(key);
  if (!head) {
    if (head.error().kind != ErrorKind::not_found) return std::unexpected(head.error());
    const std::string body =
        "{\"purpose\": \"erp-backup's Object Lock canary: each backup tries to delete this "
        "locked version with its own credentials, and reports whether it could\", "
        "\"written_at\": \"" +
        format_iso8601_utc(now) + "\"}\n";
    auto put = store.put_object(key, body, s3::WriteCondition::none, wanted);
    if (!put) return std::unexpected(put.error().with_context("writing the canary " + key));
  } else {
    // Enough lock left for the delete attempt to meet it: keep the version as it is, so a run a
    // day does not rewrite its retention every time.
    const s3::ObjectLock enough{mode,
                                now + std::min<std::chrono::seconds>(std::chrono::days{1}, margin)};
    if (upload::covers(head->lock, enough)) return head;
  }
  return upload::ensure_locked(store, key, wanted);
}

}  // namespace

bool is_delete_refused(const Error& error) {
  return error.kind == ErrorKind::permanent &&
         (error.code == "AccessDenied" || error.code == "ObjectLocked");
}

CanaryResult check_lock_canary(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                               s3::LockMode mode, std::chrono::seconds margin,
                               std::chrono::sys_seconds now) {
  CanaryResult result{.key = layout.lock_canary_key()};
  auto canary = ensure_canary(store, result.key, mode, margin, now);
  if (!canary) {
    result.problem = canary.error();
    return result;
  }
  result.version_id = canary->version_id;
  if (result.version_id.empty()) {
    result.problem =
        Error{ErrorKind::permanent, result.key +
                                        ": the store names no version of the canary, so no "
                                        "locked version can be tried"};
    return result;
  }
  // Governance: as an attacker with these credentials would (see the header).
  auto deleted =
      mode == s3::LockMode::governance
          ? store.delete_object_version_bypassing_governance(result.key, result.version_id)
          : store.delete_object_version(result.key, result.version_id);
  if (deleted) {
    result.enforced = false;
    // Locked again for the next run's check.
    if (auto again = ensure_canary(store, result.key, mode, margin, now); !again) {
      result.problem = again.error();
    }
    return result;
  }
  if (is_delete_refused(deleted.error())) {
    result.enforced = true;
    return result;
  }
  result.problem =
      deleted.error().with_context("deleting the canary's locked version " + result.version_id);
  return result;
}

void log_canary(Logger& log, const CanaryResult& canary) {
  const std::vector<LogField> where = {{"key", canary.key}, {"version_id", canary.version_id}};
  if (!canary.enforced) {
    std::vector<LogField> fields = where;
    fields.emplace_back("error", canary.problem ? canary.problem->message : "unknown");
    log.warn("could not tell whether Object Lock is enforced (the canary check failed)", fields);
    return;
  }
  if (*canary.enforced) {
    log.info(
        "Object Lock is enforced: these credentials were refused the delete of a locked "
        "version",
        where);
    return;
  }
  std::vector<LogField> fields = where;
  fields.emplace_back("hint",
                      "the store ignores Object Lock, or these credentials may bypass it "
                      "(s3:BypassGovernanceRetention): whoever holds them can destroy the "
                      "backups; use a store that enforces it, or credentials without that right");
  log.error(
      "Object Lock is NOT enforced: these credentials deleted a locked version of the "
      "canary",
      fields);
  if (canary.problem) {
    log.warn("writing the canary again failed; the next run writes it",
             {{"key", canary.key}, {"error", canary.problem->message}});
  }
}

}  // namespace erp::app
