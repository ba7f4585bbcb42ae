#include "upload/lock_check.h"

#include <algorithm>

namespace erp::upload {

s3::LockMode stronger(s3::LockMode a, s3::LockMode b) {
  return a == s3::LockMode::compliance || b == s3::LockMode::compliance ? s3::LockMode::compliance
                                                                        : s3::LockMode::governance;
}

bool covers(const std::optional<s3::ObjectLock>& lock, const s3::ObjectLock& wanted) {
  return lock && lock->retain_until >= wanted.retain_until &&
         stronger(lock->mode, wanted.mode) == lock->mode;
}

s3::ObjectLock extended(const std::optional<s3::ObjectLock>& current,
                        const s3::ObjectLock& wanted) {
  if (!current) return wanted;
  return s3::ObjectLock{stronger(current->mode, wanted.mode),
                        std::max(current->retain_until, wanted.retain_until)};
}

std::string describe(const std::optional<s3::ObjectLock>& lock) {
  if (!lock) return "no lock";
  return std::string(s3::wire_name(lock->mode)) + " until " +
         s3::format_retain_until(lock->retain_until);
}

Result<s3::ObjectInfo> ensure_locked(s3::ObjectStore& store, const std::string& key,
                                     const s3::ObjectLock& wanted) {
  const std::string wanted_text = describe(wanted);
  auto head = store.head_object(key);
  if (!head) {
    return std::unexpected(head.error().with_context("reading back the lock of " + key +
                                                     " (wanted " + wanted_text + ")"));
  }
  if (covers(head->lock, wanted)) return head;
  if (head->version_id.empty()) {
    return make_error(ErrorKind::permanent,
                      key + " has " + describe(head->lock) + " and the store names no version " +
                          "of it, so none can be locked (wanted " + wanted_text +
                          "; hint: Object Lock needs a versioned bucket with Object Lock enabled)");
  }
  // The store dropped the write's lock headers (RGW 16, moto on multipart) or kept less: apply
  // the lock to this very version, never weakening what it has.
  const std::string version = key + " version " + head->version_id;
  const s3::ObjectLock applied = extended(head->lock, wanted);
  if (auto put = store.put_object_retention(key, head->version_id, applied); !put) {
    return std::unexpected(put.error().with_context("locking " + version + " (it has " +
                                                    describe(head->lock) + ", wanted " +
                                                    wanted_text + ")"));
  }
  auto again = store.head_object_version(key, head->version_id);
  if (!again) {
    return std::unexpected(
        again.error().with_context("reading back the lock just applied to " + version));
  }
  if (!covers(again->lock, wanted)) {
    return make_error(ErrorKind::permanent,
                      version + " still has " + describe(again->lock) +
                          " after PutObjectRetention with " + describe(applied) +
                          " (hint: the store does not keep Object Lock; use one that does, or "
                          "set OBJECT_LOCK_MODE=off)");
  }
  if (again->key.empty()) again->key = key;
  return again;
}

}  // namespace erp::upload
