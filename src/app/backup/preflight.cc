#include "app/backup/preflight.h"

#include <array>
#include <string>
#include <string_view>

#include "http/curl_transport.h"

namespace erp::app {
namespace {

// Refusals that no retry or later run can cure: the operator must change a setting.
constexpr std::array<std::string_view, 12> kConfigurationCodes = {
    "NoSuchBucket",
    "InvalidAccessKeyId",
    "InvalidToken",  // AWS_SESSION_TOKEN does not belong to the keys, or is malformed
    "ExpiredToken",
    "SignatureDoesNotMatch",
    "AuthorizationHeaderMalformed",
    "PermanentRedirect",
    "IllegalLocationConstraintException",
    "RequestTimeTooSkewed",
    "AccessDenied",
    "InvalidBucketName",
    http::kTlsCertificateCode,  // an untrusted certificate: AWS_CA_BUNDLE or the endpoint
};

}  // namespace

Result<void> check_bucket(s3::ObjectStore& store, const catalog::KeyLayout& layout) {
  auto page = store.list_objects_v2(layout.env_prefix(), "", "", 1);
  if (page) return {};
  Error error = page.error();
  for (std::string_view code : kConfigurationCodes) {
    if (error.code == code) {
      error.kind = ErrorKind::config;
      break;
    }
  }
  return std::unexpected(error.with_context("bucket pre-flight"));
}

namespace {

// A refusal of one of the lock pre-flight's reads: the operator's to fix (the store, or the
// credentials' policy), unless only time or a stop stood in the way.
Error unreadable(const Error& error, const std::string& what, std::string_view permission) {
  Error refused = error.with_context(what);
  if (error.kind == ErrorKind::transient || error.kind == ErrorKind::cancelled) return refused;
  refused.kind = ErrorKind::config;
  refused.message +=
      " (hint: OBJECT_LOCK_MODE needs a store that answers it and credentials "
      "allowed " +
      std::string(permission) + "; or set OBJECT_LOCK_MODE=off)";
  return refused;
}

}  // namespace

Result<void> check_object_lock(s3::ObjectStore& store, const config::ObjectLockConfig& config) {
  if (!config.enabled()) return {};
  const std::string mode(s3::wire_name(*config.mode));
  const std::string bucket = "bucket " + store.bucket();
  const std::string what = "Object Lock pre-flight (OBJECT_LOCK_MODE=" + mode + "): " + bucket;
  auto lock = store.get_object_lock_configuration();
  if (!lock) {
    return std::unexpected(unreadable(lock.error(),
                                      what + ": reading its Object Lock configuration",
                                      "s3:GetBucketObjectLockConfiguration"));
  }
  if (!lock->enabled) {
    return make_error(ErrorKind::config,
                      what +
                          " does not have Object Lock enabled, so nothing written there can be "
                          "locked (hint: a bucket gets Object Lock only when it is created: "
                          "`aws s3api create-bucket --bucket NAME "
                          "--object-lock-enabled-for-bucket`, `mc mb --with-lock ALIAS/NAME`; "
                          "point S3_BUCKET at such a bucket, or set OBJECT_LOCK_MODE=off)");
  }
  auto versioning = store.get_bucket_versioning();
  if (!versioning) {
    return std::unexpected(unreadable(versioning.error(), what + ": reading its versioning",
                                      "s3:GetBucketVersioning"));
  }
  if (versioning->status != s3::VersioningStatus::enabled) {
    return make_error(ErrorKind::config,
                      what + " has Object Lock but its versioning is " +
                          std::string(s3::to_string(versioning->status)) +
                          ", not enabled (hint: Object Lock needs versioning Enabled: `aws s3api "
                          "put-bucket-versioning --versioning-configuration Status=Enabled`)");
  }
  return {};
}

}  // namespace erp::app
