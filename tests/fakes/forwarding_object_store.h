// ForwardingObjectStore: an ObjectStore that hands every call to another one. Test decorators
// derive from it and override only the calls they watch or change (a store that records
// deletes, one whose part uploads stall), instead of repeating the whole interface. A decorator
// of upload_part overrides both overloads: the sink calls the one with the stop token (and so
// for put_object and complete_multipart_upload: backups call the WriteCondition overloads).
#pragma once

#include "s3/object_store.h"

namespace erp::testing {

class ForwardingObjectStore : public s3::ObjectStore {
 public:
  // `inner` is borrowed and must outlive this store.
  explicit ForwardingObjectStore(s3::ObjectStore& inner) : inner_(inner) {}

  const std::string& bucket() const override { return inner_.bucket(); }
  Result<std::string> put_object(std::string_view key, std::span<const char> body) override {
    return inner_.put_object(key, body);
  }
  Result<std::string> put_object(std::string_view key, std::span<const char> body,
                                 s3::WriteCondition condition) override {
    return inner_.put_object(key, body, condition);
  }
  Result<std::string> create_multipart_upload(std::string_view key) override {
    return inner_.create_multipart_upload(key);
  }
  Result<std::string> upload_part(std::string_view key, std::string_view upload_id, int part_number,
                                  std::span<const char> body) override {
    return inner_.upload_part(key, upload_id, part_number, body);
  }
  Result<std::string> upload_part(std::string_view key, std::string_view upload_id, int part_number,
                                  std::span<const char> body, std::stop_token stop) override {
    return inner_.upload_part(key, upload_id, part_number, body, stop);
  }
  Result<std::string> complete_multipart_upload(
      std::string_view key, std::string_view upload_id,
      const std::vector<s3::CompletedPart>& parts) override {
    return inner_.complete_multipart_upload(key, upload_id, parts);
  }
  Result<std::string> complete_multipart_upload(std::string_view key, std::string_view upload_id,
                                                const std::vector<s3::CompletedPart>& parts,
                                                s3::WriteCondition condition) override {
    return inner_.complete_multipart_upload(key, upload_id, parts, condition);
  }
  Result<void> abort_multipart_upload(std::string_view key, std::string_view upload_id) override {
    return inner_.abort_multipart_upload(key, upload_id);
  }
  Result<std::vector<s3::MultipartUpload>> list_multipart_uploads(
      std::string_view prefix) override {
    return inner_.list_multipart_uploads(prefix);
  }
  Result<s3::ListPage> list_objects_v2(std::string_view prefix, std::string_view token,
                                       std::string_view delimiter, int max_keys) override {
    return inner_.list_objects_v2(prefix, token, delimiter, max_keys);
  }
  Result<s3::ObjectInfo> head_object(std::string_view key) override {
    return inner_.head_object(key);
  }
  Result<void> get_object(std::string_view key, ByteSink& sink,
                          std::optional<s3::ByteRange> range) override {
    return inner_.get_object(key, sink, range);
  }
  Result<void> delete_object(std::string_view key) override { return inner_.delete_object(key); }
  Result<void> delete_object_after_stop(std::string_view key) override {
    return inner_.delete_object_after_stop(key);
  }
  Result<std::vector<s3::DeleteFailure>> delete_objects(
      const std::vector<std::string>& keys) override {
    return inner_.delete_objects(keys);
  }
  Result<std::string> put_object(std::string_view key, std::span<const char> body,
                                 s3::WriteCondition condition,
                                 const s3::ObjectLock& lock) override {
    return inner_.put_object(key, body, condition, lock);
  }
  Result<std::string> create_multipart_upload(std::string_view key,
                                              const s3::ObjectLock& lock) override {
    return inner_.create_multipart_upload(key, lock);
  }
  Result<s3::ObjectInfo> head_object_version(std::string_view key,
                                             std::string_view version_id) override {
    return inner_.head_object_version(key, version_id);
  }
  Result<void> put_object_retention(std::string_view key, std::string_view version_id,
                                    const s3::ObjectLock& lock) override {
    return inner_.put_object_retention(key, version_id, lock);
  }
  Result<std::vector<s3::ObjectVersion>> list_object_versions(std::string_view prefix) override {
    return inner_.list_object_versions(prefix);
  }
  Result<void> delete_object_version(std::string_view key, std::string_view version_id) override {
    return inner_.delete_object_version(key, version_id);
  }
  Result<void> delete_object_version_bypassing_governance(std::string_view key,
                                                          std::string_view version_id) override {
    return inner_.delete_object_version_bypassing_governance(key, version_id);
  }
  Result<s3::BucketVersioning> get_bucket_versioning() override {
    return inner_.get_bucket_versioning();
  }
  Result<s3::ObjectLockConfiguration> get_object_lock_configuration() override {
    return inner_.get_object_lock_configuration();
  }

 protected:
  s3::ObjectStore& inner_;
};

}  // namespace erp::testing
