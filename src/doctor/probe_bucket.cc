// The probes that list and remove: open uploads, DeleteObjects, a single DeleteObject (can these
// credentials delete?), and the bucket's versioning and Object Lock settings (read only).
#include <algorithm>

#include "doctor/probe_steps.h"
#include "s3/xml_replies.h"

namespace erp::doctor {
namespace {

bool listed(const std::vector<s3::MultipartUpload>& uploads, const std::string& upload_id) {
  return std::ranges::any_of(
      uploads, [&](const s3::MultipartUpload& u) { return u.upload_id == upload_id; });
}

// For the read-only settings: a store that does not implement the request, or answers
// something else, cannot tell; a refusal names the permission.
Check unreadable_setting(CheckId id, const Error& error, std::string_view action,
                         std::string_view consequence) {
  if (error.kind == ErrorKind::cancelled) return stopped(id);
  if (s3::is_unsupported_operation_code(error.code) || error.kind == ErrorKind::corrupt) {
    return degraded(id, "not reported by the store: " + error.message, std::string(consequence));
  }
  if (error.code == "AccessDenied") {
    return failed(id, error.message,
                  "grant the credentials " + std::string(action) + " on the bucket to check it");
  }
  return failed(id, error.message, "see the error above");
}

}  // namespace

Check probe_uploads(ProbeEnvironment& env) {
  const CheckId id = CheckId::uploads;
  const std::string key = env.ledger.key("abandoned");
  env.ledger.writing(key);
  auto upload_id = env.store.create_multipart_upload(key);
  if (!upload_id) {
    if (upload_id.error().kind == ErrorKind::cancelled) return stopped(id);
    return failed(id, "could not start an upload to list: " + upload_id.error().message,
                  fix_for(upload_id.error(), "s3:PutObject", env.ledger));
  }
  env.ledger.upload_created(key, *upload_id);
  constexpr std::string_view kLifecycleFix =
      "a bucket lifecycle rule AbortIncompleteMultipartUpload (README, Abandoned multipart "
      "uploads)";

  // Listed first, then aborted: both answers are seen even when one is missing.
  auto before = env.store.list_multipart_uploads(env.ledger.prefix());
  if (!before && before.error().kind == ErrorKind::cancelled) return stopped(id);
  const bool listable = before || !s3::is_unsupported_operation_code(before.error().code);
  if (!before && listable) {
    return failed(id, "ListMultipartUploads failed: " + before.error().message,
                  fix_for(before.error(), "s3:ListBucketMultipartUploads", env.ledger));
  }
  if (before && !listed(*before, *upload_id)) {
    return failed(id,
                  "ListMultipartUploads of " + env.ledger.prefix() +
                      " did not show the open upload " + *upload_id,
                  std::string(kLifecycleFix) + ": prune cannot see the uploads of killed runs");
  }

  auto aborted = env.store.abort_multipart_upload(key, *upload_id);
  if (!aborted && aborted.error().kind == ErrorKind::cancelled) return stopped(id);
  const bool abortable = aborted || aborted.error().kind == ErrorKind::not_found ||
                         !s3::is_unsupported_operation_code(aborted.error().code);
  if (aborted || aborted.error().kind == ErrorKind::not_found) {
    env.ledger.upload_closed(*upload_id);
  } else if (abortable) {
    return failed(id, "AbortMultipartUpload failed: " + aborted.error().message,
                  aborted.error().code == "AccessDenied"
                      ? fix_for(aborted.error(), "s3:AbortMultipartUpload", env.ledger)
                      : std::string(kLifecycleFix) +
                            ": a stopped or failed backup's parts would stay, billed");
  }

  if (!listable || !abortable) {
    // s3rver: neither. The upload stays for the cleanup, which closes it another way.
    std::string missing;
    if (!listable) missing = "ListMultipartUploads (" + before.error().code + ")";
    if (!abortable) {
      missing += (missing.empty() ? "" : " and ") + std::string("AbortMultipartUpload (") +
                 aborted.error().code + ")";
    }
    return degraded(id,
                    "not implemented: " + missing +
                        (abortable ? "; Abort works: prune cannot find the uploads of killed runs"
                                   : "; the parts of a stopped or failed backup stay in the "
                                     "store"),
                    std::string(kLifecycleFix));
  }
  auto after = env.store.list_multipart_uploads(env.ledger.prefix());
  if (!after) {
    if (after.error().kind == ErrorKind::cancelled) return stopped(id);
    return failed(id, "ListMultipartUploads after the abort failed: " + after.error().message,
                  "see the error above");
  }
  if (listed(*after, *upload_id)) {
    return failed(
        id, "upload " + *upload_id + " is still listed after its abort",
        std::string(kLifecycleFix) + ": a stopped or failed backup's parts would stay, billed");
  }
  const auto& upload = *std::ranges::find(*before, *upload_id, &s3::MultipartUpload::upload_id);
  if (!upload.initiated) {
    return degraded(id,
                    "the open upload was listed without an <Initiated> time, and aborted: prune "
                    "never aborts an upload of unknown age",
                    std::string(kLifecycleFix));
  }
  return ok(id, "the open upload was listed (with its Initiated time) and aborted");
}

Check probe_versioning(ProbeEnvironment& env) {
  const CheckId id = CheckId::versioning;
  auto versioning = env.store.get_bucket_versioning();
  if (!versioning) {
    return unreadable_setting(id, versioning.error(), "s3:GetBucketVersioning",
                              "none needed by a backup; check the bucket's versioning in the "
                              "store's console");
  }
  switch (versioning->status) {
    case s3::VersioningStatus::unversioned:
      return ok(id, "unversioned: a delete frees the bytes");
    case s3::VersioningStatus::enabled:
      return ok(id, std::string("enabled") + (versioning->mfa_delete ? " (MFA delete)" : "") +
                        ": deleted and replaced objects stay as noncurrent versions, billed "
                        "until a lifecycle rule expires them (NoncurrentVersionExpiration)");
    case s3::VersioningStatus::suspended:
      return ok(id, "suspended: versions made while it was enabled stay until deleted");
  }
  return ok(id, std::string(s3::to_string(versioning->status)));
}

Check probe_object_lock(ProbeEnvironment& env) {
  const CheckId id = CheckId::object_lock;
  auto lock = env.store.get_object_lock_configuration();
  if (!lock) {
    return unreadable_setting(id, lock.error(), "s3:GetBucketObjectLockConfiguration",
                              "none needed unless OBJECT_LOCK_MODE is on");
  }
  if (!lock->enabled) {
    return ok(id,
              "off: the bucket has no Object Lock (it can only be enabled on a versioned "
              "bucket; OBJECT_LOCK_MODE needs it)");
  }
  std::string detail = "enabled";
  if (lock->default_mode.empty()) {
    detail += ", no default retention";
  } else {
    detail += ", default retention " + lock->default_mode + " " +
              (lock->default_days ? std::to_string(*lock->default_days) + " days"
                                  : std::to_string(lock->default_years.value_or(0)) + " years");
  }
  return ok(id, std::move(detail));
}

Check probe_delete_objects(ProbeEnvironment& env) {
  const CheckId id = CheckId::delete_objects;
  std::vector<std::string> keys;
  for (int n = 1; n <= kListObjects; ++n) {
    keys.push_back(env.ledger.key(std::string(kListPrefix) + std::to_string(n)));
  }
  const std::size_t mark = env.replies.size();
  auto refused = env.store.delete_objects(keys);
  const bool fell_back = batch_delete_refused(env.replies.since(mark));
  if (!refused) {
    if (refused.error().kind == ErrorKind::cancelled) return stopped(id);
    return failed(id, refused.error().message,
                  fix_for(refused.error(), "s3:DeleteObject", env.ledger));
  }
  if (!refused->empty()) {
    const s3::DeleteFailure& first = refused->front();
    return failed(id,
                  std::to_string(refused->size()) + " of " + std::to_string(keys.size()) +
                      " keys refused, e.g. " + first.key + ": " + first.code + " " + first.message,
                  first.code == "AccessDenied" ? "grant s3:DeleteObject on " + env.ledger.prefix() +
                                                     "* to the credentials prune runs with"
                                               : "see the error above");
  }
  auto left = env.store.list_objects_v2(env.ledger.key(kListPrefix), "", "", 0);
  if (!left) {
    if (left.error().kind == ErrorKind::cancelled) return stopped(id);
    return failed(id, "listing after the delete failed: " + left.error().message,
                  "see the error above");
  }
  if (!left->objects.empty()) {
    return failed(
        id, "the store accepted the delete, but " + left->objects.front().key + " is still listed",
        "a store whose deletes take effect (prune relies on it)");
  }
  if (fell_back) {
    return degraded(id,
                    "DeleteObjects is not implemented (NotImplemented): " +
                        std::to_string(keys.size()) + " keys deleted with one DELETE each",
                    "none needed: the tool falls back to one DELETE per key (slower prunes)");
  }
  return ok(id, std::to_string(keys.size()) + " keys deleted in one DeleteObjects request");
}

Check probe_delete_permission(ProbeEnvironment& env) {
  const CheckId id = CheckId::delete_permission;
  const std::string key = env.ledger.key(kProbeObject);
  auto deleted = env.store.delete_object(key);
  if (!deleted) {
    if (deleted.error().kind == ErrorKind::cancelled) return stopped(id);
    if (deleted.error().code == "AccessDenied") {
      return ok(id,
                "no: these credentials cannot delete (AccessDenied), as a backup-only key should "
                "not; prune (and PRUNE_AFTER_BACKUP=true) needs credentials that can");
    }
    return failed(id, deleted.error().message, "see the error above");
  }
  auto head = env.store.head_object(key);
  if (head) {
    return failed(id, "the store accepted DeleteObject, but " + key + " is still there",
                  "a store whose deletes take effect");
  }
  if (head.error().kind == ErrorKind::cancelled) return stopped(id);
  if (head.error().kind != ErrorKind::not_found) {
    return failed(id, "HEAD after the delete failed: " + head.error().message,
                  "see the error above");
  }
  return ok(id,
            "yes: these credentials can delete objects; without Object Lock they can delete "
            "backups too (README, doctor)");
}

}  // namespace erp::doctor
