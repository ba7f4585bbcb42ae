// Two read-only bucket settings (issue 18: `doctor`; issue 20's Object Lock pre-flight reads the
// second): whether the bucket keeps versions, and its Object Lock configuration. The types, and
// the pure parsers of their XML replies; S3Client::get_bucket_versioning and
// S3Client::get_object_lock_configuration (s3_client.h) fetch them.
//
// Replies seen in the wild that the parsers accept or name:
//   - AWS, MinIO, Ceph RGW: <VersioningConfiguration> with <Status> Enabled or Suspended, or
//     empty (`<VersioningConfiguration/>`) for a bucket that never had versioning;
//   - moto: an empty <GetBucketVersioningResponse/> for a bucket that never had versioning
//     (accepted as the same document);
//   - s3rver 3.7: ignores `?versioning` and answers the bucket listing (<ListBucketResult>):
//     corrupt, naming what came back, so a store that did not answer is never read as "off";
//   - <ObjectLockConfiguration> with <ObjectLockEnabled>Enabled</ObjectLockEnabled> and an
//     optional <Rule><DefaultRetention> (Mode, Days or Years).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace erp::s3 {

enum class VersioningStatus {
  unversioned,  // never enabled: one object per key, a delete frees the bytes
  enabled,      // every overwrite and delete keeps the old version
  suspended,    // was enabled: old versions stay, new writes make no new ones
};

// "unversioned", "enabled", "suspended".
std::string_view to_string(VersioningStatus status);

struct BucketVersioning {
  VersioningStatus status = VersioningStatus::unversioned;
  bool mfa_delete = false;  // <MfaDelete>Enabled</MfaDelete>
};

struct ObjectLockConfiguration {
  bool enabled = false;  // <ObjectLockEnabled>Enabled</ObjectLockEnabled>
  // The default retention new objects get without headers of their own; empty mode: none.
  std::string default_mode;  // "GOVERNANCE" or "COMPLIANCE"
  std::optional<int> default_days;
  std::optional<int> default_years;
};

// GetBucketVersioning's reply. Errors: corrupt for anything but a VersioningConfiguration (or
// moto's GetBucketVersioningResponse) document, or a <Status> other than Enabled/Suspended.
Result<BucketVersioning> parse_bucket_versioning(std::string_view body);

// GetObjectLockConfiguration's reply. Errors: corrupt for anything but an
// ObjectLockConfiguration document, or a Days/Years that is not a positive number.
Result<ObjectLockConfiguration> parse_object_lock_configuration(std::string_view body);

}  // namespace erp::s3
