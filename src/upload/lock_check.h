// Reading a written object's Object Lock back, and applying it where the store dropped it
// (issue 20). A write carries the lock in its headers (PutObject, CreateMultipartUpload), but
// some stores accept the headers and ignore them: Ceph RGW 16 and moto complete a multipart
// upload unlocked. So a lock is never taken on the write's word: after each object is written,
// HEAD says what the current version carries, PutObjectRetention applies what is missing, and a
// HEAD of that version says whether it took.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"
#include "s3/object_lock.h"
#include "s3/object_store.h"

namespace erp::upload {

// The stronger of two modes (compliance > governance). A lock is only ever made stronger: a
// store refuses a weaker mode or an earlier date without s3:BypassGovernanceRetention, which the
// tool never asks for.
s3::LockMode stronger(s3::LockMode a, s3::LockMode b);

// Whether `lock` holds at least what `wanted` asks: a retain-until no earlier, a mode no weaker.
bool covers(const std::optional<s3::ObjectLock>& lock, const s3::ObjectLock& wanted);

// What `wanted` becomes on an object that already carries `current`: the later date and the
// stronger mode (never shortening or weakening what is there).
s3::ObjectLock extended(const std::optional<s3::ObjectLock>& current, const s3::ObjectLock& wanted);

// Makes sure the current version of `key` is locked at least as `wanted` asks: HEAD; when the
// lock is missing, shorter or weaker, put_object_retention(key, version, extended(...)) and a
// HEAD of that version. Returns what the last HEAD answered (version id and lock).
// Requests: one HEAD when the write's lock took; three otherwise.
// Errors (each naming the key, and the version once known):
//   the HEAD's, the retention's, the second HEAD's, as they came (a stop stays `cancelled`);
//   permanent — the store answered no version id (an unversioned bucket: nothing to lock);
//   permanent — the version is still not locked as wanted after the retention was applied (the
//               store ignores Object Lock), naming what it carries.
Result<s3::ObjectInfo> ensure_locked(s3::ObjectStore& store, const std::string& key,
                                     const s3::ObjectLock& wanted);

// "GOVERNANCE until 2027-01-08T02:00:00Z", or "no lock": for messages.
std::string describe(const std::optional<s3::ObjectLock>& lock);

}  // namespace erp::upload
