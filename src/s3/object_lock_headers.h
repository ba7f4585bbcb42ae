// Object Lock and versions in HTTP headers (object_lock.h), as S3Client writes and reads them.
// Pure.
//
// Two spellings of the same thing:
//   S3 (AWS, MinIO, Ceph RGW, moto)   x-amz-object-lock-mode, x-amz-object-lock-retain-until-date,
//                                      x-amz-version-id, ?versionId=
//   Google Cloud Storage's XML API    x-goog-object-lock-mode,
//   x-goog-object-lock-retain-until-date,
//                                      x-goog-generation, ?generation=
// GCS's names are the ones its XML API documents (its IAM page for XML requests names them for
// PUT/POST of an object; Google's own client sends them on CreateMultipartUpload); no GCS page
// documents the x-amz-* lock headers (docs/s3-stores.md, "Object Lock", has the sources).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "http/transport.h"
#include "s3/object_lock.h"

namespace erp::s3 {

enum class LockDialect { s3, gcs };

// The two request headers that make a write (PutObject, CreateMultipartUpload) carry `lock`.
std::vector<http::Header> object_lock_headers(const ObjectLock& lock, LockDialect dialect);

// The request header that asks a DELETE of a version to override a GOVERNANCE retention:
// x-amz-bypass-governance-retention: true (S3), x-goog-bypass-governance-retention: true (GCS's
// XML API spelling of it).
http::Header governance_bypass_header(LockDialect dialect);

// The query parameter naming one version: "versionId" (S3) or "generation" (GCS).
std::string_view version_parameter(LockDialect dialect);

// The lock a HEAD reply reports, in either spelling: nullopt unless it names both a mode and a
// retain-until date (an object without a retention; a store that sends neither). Errors: corrupt
// for a mode other than GOVERNANCE/COMPLIANCE or a date parse_retain_until refuses, naming the
// text (the caller adds the key).
Result<std::optional<ObjectLock>> object_lock_in(const std::vector<http::Header>& headers);

// The version a HEAD reply names: x-amz-version-id, else x-goog-generation; "" when neither
// (an unversioned bucket).
std::string version_id_in(const std::vector<http::Header>& headers);

}  // namespace erp::s3
