#include "s3/object_lock_headers.h"

namespace erp::s3 {
namespace {

// The value of the first of `names` the reply carries.
std::optional<std::string_view> either(const std::vector<http::Header>& headers,
                                       std::string_view s3_name, std::string_view gcs_name) {
  if (auto value = http::find_header(headers, s3_name)) return value;
  return http::find_header(headers, gcs_name);
}

}  // namespace

std::vector<http::Header> object_lock_headers(const ObjectLock& lock, LockDialect dialect) {
  const std::string prefix = dialect == LockDialect::gcs ? "x-goog-" : "x-amz-";
  return {{prefix + "object-lock-mode", std::string(wire_name(lock.mode))},
          {prefix + "object-lock-retain-until-date", format_retain_until(lock.retain_until)}};
}

http::Header governance_bypass_header(LockDialect dialect) {
  return {dialect == LockDialect::gcs ? "x-goog-bypass-governance-retention"
                                      : "x-amz-bypass-governance-retention",
          "true"};
}

std::string_view version_parameter(LockDialect dialect) {
  return dialect == LockDialect::gcs ? "generation" : "versionId";
}

Result<std::optional<ObjectLock>> object_lock_in(const std::vector<http::Header>& headers) {
  const auto mode = either(headers, "x-amz-object-lock-mode", "x-goog-object-lock-mode");
  const auto until = either(headers, "x-amz-object-lock-retain-until-date",
                            "x-goog-object-lock-retain-until-date");
  if (!mode || !until) return std::optional<ObjectLock>{};
  const auto parsed_mode = lock_mode_from_wire(*mode);
  if (!parsed_mode) {
    return make_error(ErrorKind::corrupt,
                      "unknown Object Lock mode \"" + std::string(*mode) +
                          "\" (expected GOVERNANCE or COMPLIANCE): the object's lock is unknown");
  }
  auto parsed_until = parse_retain_until(*until);
  if (!parsed_until) return std::unexpected(parsed_until.error());
  return std::optional<ObjectLock>{ObjectLock{*parsed_mode, *parsed_until}};
}

std::string version_id_in(const std::vector<http::Header>& headers) {
  return std::string(either(headers, "x-amz-version-id", "x-goog-generation").value_or(""));
}

}  // namespace erp::s3
