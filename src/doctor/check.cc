#include "doctor/check.h"

#include <algorithm>

#include "core/enum_names.h"

namespace erp::doctor {

constexpr EnumName<CheckResult> kResultNames[] = {{CheckResult::ok, "ok"},
                                                  {CheckResult::degraded, "degraded"},
                                                  {CheckResult::failed, "failed"},
                                                  {CheckResult::skipped, "skipped"}};

std::string_view to_string(CheckResult result) {
  return name_of(kResultNames, result);
}

const std::vector<CheckSpec>& check_specs() {
  static const std::vector<CheckSpec> kSpecs = {
      {CheckId::endpoint, "endpoint", "endpoint and TLS", true},
      {CheckId::credentials, "credentials", "credentials provider", true},
      {CheckId::region_clock, "region_clock", "region and clock skew", true},
      {CheckId::bucket, "bucket", "bucket exists and lists", true},
      {CheckId::put_object, "put_object", "PutObject", true},
      {CheckId::list_pagination, "list_pagination", "ListObjectsV2 pagination", true},
      {CheckId::get_range, "get_range", "GET with Range", true},
      {CheckId::multipart, "multipart", "multipart upload and Complete ETag", true},
      {CheckId::conditional_put, "conditional_put", "conditional PUT", true},
      {CheckId::uploads, "uploads", "ListMultipartUploads and Abort", false},
      {CheckId::delete_objects, "delete_objects", "DeleteObjects", false},
      {CheckId::delete_permission, "delete_permission", "credentials can delete", false},
      {CheckId::versioning, "versioning", "bucket versioning", false},
      {CheckId::object_lock, "object_lock", "Object Lock configuration", false},
      {CheckId::store, "store", "store detected", false},
      {CheckId::cleanup, "cleanup", "doctor's objects removed", false},
  };
  return kSpecs;
}

const CheckSpec& spec_of(CheckId id) {
  const auto& specs = check_specs();
  return *std::ranges::find(specs, id, &CheckSpec::id);
}

std::vector<Check> all_skipped() {
  std::vector<Check> checks;
  for (const CheckSpec& spec : check_specs()) checks.push_back(Check{.id = spec.id});
  return checks;
}

}  // namespace erp::doctor
