// The bucket pre-flight of every job that writes (issue 7): before pg_dump starts or the
// documents tree is walked, one ListObjectsV2 of the env prefix with max-keys=1 proves that
// the endpoint answers, the bucket exists, the credentials are known and sign correctly for
// this region, and this host's clock is close enough to the server's. A transient failure is
// retried like any request (the S3 client's policy).
#pragma once

#include "catalog/key_layout.h"
#include "config/object_lock_config.h"
#include "core/error.h"
#include "s3/object_store.h"

namespace erp::app {

// Errors: the classic misconfigurations become ErrorKind::config (exit 2, nothing touched),
// keeping the S3 client's message, which names the bucket, the code and the setting to fix:
//   NoSuchBucket                                   S3_BUCKET (and the endpoint)
//   InvalidAccessKeyId, SignatureDoesNotMatch      AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
//   (_FILE) AuthorizationHeaderMalformed, PermanentRedirect  the region the server expects
//   (AWS_REGION) RequestTimeTooSkewed                           the clock offset, in seconds
//   AccessDenied, InvalidBucketName                the credentials' policy / S3_BUCKET
//   InvalidToken, ExpiredToken                     AWS_SESSION_TOKEN (_FILE)
// Anything else (unreachable after retries, 5xx, cancelled) is returned as it is.
Result<void> check_bucket(s3::ObjectStore& store, const catalog::KeyLayout& layout);

// The Object Lock pre-flight of `backup` and `prune` (issue 20), when config.enabled(): before
// anything is written, GetObjectLockConfiguration must say Enabled and GetBucketVersioning
// Enabled (Object Lock implies it; a lock on an unversioned bucket would protect nothing a
// plain overwrite could not replace). Does nothing with the mode off. Two requests.
// Errors, ErrorKind::config (exit 2, nothing touched), each naming OBJECT_LOCK_MODE and the
// bucket:
//   Object Lock not enabled      how to fix: a bucket gets it only when created
//                                (`aws s3api create-bucket --object-lock-enabled-for-bucket`,
//                                `mc mb --with-lock`), or OBJECT_LOCK_MODE=off
//   the configuration unreadable the store's refusal (NotImplemented, AccessDenied, an unreadable
//                                reply) naming the permission s3:GetBucketObjectLockConfiguration
//   versioning not Enabled       its status; unreadable: s3:GetBucketVersioning
// A transient failure that outlived the retries, and a stop, are returned as they came (exit 1,
// 130/143: not the operator's settings).
Result<void> check_object_lock(s3::ObjectStore& store, const config::ObjectLockConfig& config);

}  // namespace erp::app
