// The defaults of ObjectStore's optional operations (object_store.h): a store that lacks them.
#include "s3/object_store.h"

namespace erp::s3 {

std::unexpected<Error> unsupported_error(std::string_view operation) {
  return make_error(ErrorKind::permanent,
                    std::string(operation) + " is not supported by this object store",
                    "NotImplemented");
}

Result<std::string> ObjectStore::put_object(std::string_view, std::span<const char>, WriteCondition,
                                            const ObjectLock&) {
  return unsupported_error("PutObject with Object Lock");
}

Result<std::string> ObjectStore::create_multipart_upload(std::string_view, const ObjectLock&) {
  return unsupported_error("CreateMultipartUpload with Object Lock");
}

Result<ObjectInfo> ObjectStore::head_object_version(std::string_view, std::string_view) {
  return unsupported_error("HeadObject of a version");
}

Result<void> ObjectStore::put_object_retention(std::string_view, std::string_view,
                                               const ObjectLock&) {
  return unsupported_error("PutObjectRetention");
}

Result<std::vector<ObjectVersion>> ObjectStore::list_object_versions(std::string_view) {
  return unsupported_error("ListObjectVersions");
}

Result<void> ObjectStore::delete_object_version(std::string_view, std::string_view) {
  return unsupported_error("DeleteObject of a version");
}

Result<void> ObjectStore::delete_object_version_bypassing_governance(std::string_view,
                                                                     std::string_view) {
  return unsupported_error("DeleteObject of a version bypassing governance retention");
}

Result<BucketVersioning> ObjectStore::get_bucket_versioning() {
  return unsupported_error("GetBucketVersioning");
}

Result<ObjectLockConfiguration> ObjectStore::get_object_lock_configuration() {
  return unsupported_error("GetObjectLockConfiguration");
}

}  // namespace erp::s3
