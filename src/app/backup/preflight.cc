#include "app/backup/preflight.h"

#include "http/curl_transport.h"

#include <array>
#include <string_view>

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

}  // namespace erp::app
