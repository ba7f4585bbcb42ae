// S3Client's version and Object Lock operations (s3_client.h, "Versions and Object Lock"), kept
// out of s3_client.cc: they share only the Call machinery (s3_call.h) with the object operations.
#include "codec/digest.h"
#include "s3/object_lock_headers.h"
#include "s3/s3_call.h"
#include "s3/s3_client.h"
#include "s3/xml_replies.h"

namespace erp::s3 {

Result<ObjectInfo> S3Client::head_object_version(std::string_view key,
                                                 std::string_view version_id) {
  auto info = head(key, version_id);
  // A delete marker has no object to describe: AWS and moto answer its HEAD with 405 (a HEAD has
  // no body, so the code is the status), which for this call means "no such version".
  if (!info && info.error().code == "HTTP405") {
    return make_error(ErrorKind::not_found, info.error().message + " (a delete marker)",
                      info.error().code);
  }
  return info;
}

Result<void> S3Client::put_object_retention(std::string_view key, std::string_view version_id,
                                            const ObjectLock& lock) {
  const std::string xml = build_retention(lock);
  Call call{
      .operation = "PutObjectRetention", .method = "PUT", .key = key, .version_id = version_id};
  call.query = {{"retention", ""}};
  if (!version_id.empty()) {
    call.query.emplace_back(std::string(version_parameter(lock_dialect())),
                            std::string(version_id));
  }
  // S3 requires a checksum on PutObjectRetention; Content-MD5 is the one every store takes.
  call.headers.push_back({"Content-MD5", codec::md5_base64(xml)});
  call.headers.push_back({"Content-Type", "application/xml"});
  call.body = xml;
  call.has_body = true;
  auto response = execute(call);
  if (!response) return std::unexpected(response.error());
  return {};
}

Result<std::vector<ObjectVersion>> S3Client::list_object_versions(std::string_view prefix) {
  Call call{.operation = "ListObjectVersions", .method = "GET", .bucket_level = true};
  // encoding-type=url as for ListObjectsV2: XML 1.0 cannot carry every byte a key may hold.
  call.query = {{"versions", ""}, {"encoding-type", "url"}};
  if (!prefix.empty()) call.query.emplace_back("prefix", std::string(prefix));
  return list_by_markers(std::move(call), "version-id-marker", &ObjectVersionPage::versions,
                         &ObjectVersionPage::next_version_id_marker, parse_list_object_versions);
}

Result<void> S3Client::delete_version(std::string_view key, std::string_view version_id,
                                      bool bypass_governance) {
  Call call{
      .operation = "DeleteObjectVersion", .method = "DELETE", .key = key, .version_id = version_id};
  call.query = {{std::string(version_parameter(lock_dialect())), std::string(version_id)}};
  if (bypass_governance) call.headers.push_back(governance_bypass_header(lock_dialect()));
  auto response = execute(call);
  if (!response && response.error().kind != ErrorKind::not_found) {
    return std::unexpected(response.error());
  }
  return {};
}

Result<void> S3Client::delete_object_version(std::string_view key, std::string_view version_id) {
  return delete_version(key, version_id, false);
}

Result<void> S3Client::delete_object_version_bypassing_governance(std::string_view key,
                                                                  std::string_view version_id) {
  return delete_version(key, version_id, true);
}

}  // namespace erp::s3
