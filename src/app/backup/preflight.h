// The bucket pre-flight of every job that writes (issue 7): before pg_dump starts or the
// documents tree is walked, one ListObjectsV2 of the env prefix with max-keys=1 proves that
// the endpoint answers, the bucket exists, the credentials are known and sign correctly for
// this region, and this host's clock is close enough to the server's. A transient failure is
// retried like any request (the S3 client's policy).
#pragma once

#include "catalog/key_layout.h"
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

}  // namespace erp::app
