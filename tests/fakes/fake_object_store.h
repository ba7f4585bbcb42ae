// An in-memory ObjectStore for unit tests: every operation of the interface, with S3's
// semantics where a test could notice them (ETags as MD5 / MD5-of-MD5s "-N", parts completed in
// ascending order with matching ETags, EntityTooSmall, ListObjectsV2 pagination and delimiters,
// ranged GETs, NoSuchUpload as not_found).
//
// Test controls:
//   - calls() records every call in order (operation, key, upload id, part number, body size);
//   - inject_failure() makes a chosen operation (optionally a given part number or key) fail,
//     once, a few times or always, before or after it takes effect;
//   - hold_upload_parts() / release_upload_parts() / wait_until_held() park upload_part calls at a
//     gate, so a test can see how many are in flight without sleeping;
//   - seed_upload() / set_upload_initiated() open uploads at a chosen Initiated time, which
//     list_multipart_uploads reports (S3's <Initiated>);
//   - max_concurrent_upload_parts() reports the most upload_part calls that ran at once;
//   - conditional writes (WriteCondition::if_absent) are refused with 412 PreconditionFailed when
//     the key is taken, as AWS and MinIO do; ignore_write_conditions() makes the store replace
//     the object instead, as s3rver does (Call::if_absent still records what was asked).
//     A completed upload is gone: completing it again answers NoSuchUpload (not_found).
//
// Versions and Object Lock (issue 20), off unless a test turns them on; an unversioned store
// behaves as before:
//   - enable_versioning(): every put / complete / seed makes a new version (unique id),
//     delete_object and delete_objects add a delete marker, head_object answers the latest
//     version (not_found behind a delete marker), list_object_versions lists every version and
//     marker, delete_object_version removes one for good;
//   - enable_object_lock() (implies versioning): writes may carry a lock (without it a locked
//     write is refused with InvalidRequest 400, as S3 does); put_object_retention only extends
//     (a shorter date or compliance -> governance: AccessDenied 403); delete_object_version of a
//     version whose retain-until is after set_now() is refused with AccessDenied;
//     drop_lock_on_multipart() makes completed multipart objects unlocked (RGW 16, moto);
//     delete_object_version_bypassing_governance deletes a GOVERNANCE-locked version only after
//     grant_governance_bypass() (a credential holding s3:BypassGovernanceRetention); by default it
//     is refused with AccessDenied like any locked delete, and a COMPLIANCE lock always refuses;
//   - deny(op): that operation always answers AccessDenied, as for a credential without the
//     permission; for delete_objects each key is refused in the reply (S3's per-key <Error>).
//     deny(delete_object_version) refuses the bypassing delete too (it needs
//     s3:DeleteObjectVersion as well).
// Unversioned, list_object_versions reports each object as version "null", which
// head_object_version and delete_object_version accept.
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3/object_store.h"

namespace erp::testing {

class FakeObjectStore final : public s3::ObjectStore {
 public:
  enum class Op {
    put_object,
    create_multipart_upload,
    upload_part,
    complete_multipart_upload,
    abort_multipart_upload,
    list_multipart_uploads,
    list_objects_v2,
    head_object,
    get_object,
    delete_object,
    delete_objects,
    head_object_version,
    put_object_retention,
    list_object_versions,
    delete_object_version,
    delete_object_version_bypassing_governance,
    get_bucket_versioning,
    get_object_lock_configuration,
  };

  struct Call {
    Op op;
    std::string key;          // key, or prefix for the list operations, or "" for delete_objects
    std::string upload_id;    // multipart operations
    int part_number = 0;      // upload_part
    std::uint64_t bytes = 0;  // body size for put_object / upload_part; part count for complete
    bool if_absent = false;   // put_object / complete: asked with WriteCondition::if_absent
    std::string version_id;   // the version operations
    // put_object / create_multipart_upload with a lock, put_object_retention: the lock asked for
    std::optional<s3::ObjectLock> lock;
  };

  // One stored version or delete marker, as the inspectors report it.
  struct StoredVersion {
    std::string version_id;
    bool delete_marker = false;
    std::optional<s3::ObjectLock> lock;
    std::string data;
  };

  struct Failure {
    Op op = Op::upload_part;
    Error error{ErrorKind::transient, "injected failure"};
    int part_number = 0;       // upload_part only: 0 matches any part
    std::string key;           // "" matches any key
    int times = 1;             // how many matching calls fail; < 0 = every one
    bool after_apply = false;  // true: the call takes effect, then reports the error (a lost reply)
  };

  explicit FakeObjectStore(std::string bucket = "test-bucket");

  // --- ObjectStore ---
  const std::string& bucket() const override { return bucket_; }
  Result<std::string> put_object(std::string_view key, std::span<const char> body) override;
  Result<std::string> put_object(std::string_view key, std::span<const char> body,
                                 s3::WriteCondition condition) override;
  Result<std::string> put_object(std::string_view key, std::span<const char> body,
                                 s3::WriteCondition condition, const s3::ObjectLock& lock) override;
  Result<std::string> create_multipart_upload(std::string_view key) override;
  Result<std::string> create_multipart_upload(std::string_view key,
                                              const s3::ObjectLock& lock) override;
  Result<std::string> upload_part(std::string_view key, std::string_view upload_id, int part_number,
                                  std::span<const char> body) override;
  Result<std::string> complete_multipart_upload(
      std::string_view key, std::string_view upload_id,
      const std::vector<s3::CompletedPart>& parts) override;
  Result<std::string> complete_multipart_upload(std::string_view key, std::string_view upload_id,
                                                const std::vector<s3::CompletedPart>& parts,
                                                s3::WriteCondition condition) override;
  Result<void> abort_multipart_upload(std::string_view key, std::string_view upload_id) override;
  Result<std::vector<s3::MultipartUpload>> list_multipart_uploads(std::string_view prefix) override;
  Result<s3::ListPage> list_objects_v2(std::string_view prefix, std::string_view continuation_token,
                                       std::string_view delimiter, int max_keys) override;
  Result<s3::ObjectInfo> head_object(std::string_view key) override;
  Result<void> get_object(std::string_view key, ByteSink& sink,
                          std::optional<s3::ByteRange> range) override;
  Result<void> delete_object(std::string_view key) override;
  Result<std::vector<s3::DeleteFailure>> delete_objects(
      const std::vector<std::string>& keys) override;
  Result<s3::ObjectInfo> head_object_version(std::string_view key,
                                             std::string_view version_id) override;
  Result<void> put_object_retention(std::string_view key, std::string_view version_id,
                                    const s3::ObjectLock& lock) override;
  Result<std::vector<s3::ObjectVersion>> list_object_versions(std::string_view prefix) override;
  Result<void> delete_object_version(std::string_view key, std::string_view version_id) override;
  Result<void> delete_object_version_bypassing_governance(std::string_view key,
                                                          std::string_view version_id) override;
  Result<s3::BucketVersioning> get_bucket_versioning() override;
  Result<s3::ObjectLockConfiguration> get_object_lock_configuration() override;

  // --- Setting up ---
  // Stores an object directly (no call is recorded).
  void seed(std::string key, std::string data);
  // LastModified given to objects written from now on (ISO 8601).
  void set_last_modified(std::string iso8601);
  // Initiated time given to multipart uploads created from now on (default 2026-01-01T00:00Z).
  void set_upload_initiated(std::chrono::system_clock::time_point initiated);
  // Opens a multipart upload directly (no call is recorded), as a killed run leaves one.
  // Returns its upload id.
  std::string seed_upload(std::string key, std::chrono::system_clock::time_point initiated);
  // complete_multipart_upload refuses non-last parts smaller than this (S3: 5 MiB; default 0,
  // so tests can use tiny parts).
  void set_min_part_size(std::uint64_t bytes);
  // get_object hands the body to the sink in writes of at most this many bytes (default 64 KiB).
  void set_get_chunk_size(std::size_t bytes);
  void inject_failure(Failure failure);
  // From now on conditional writes replace an existing object, as s3rver does (default: refuse).
  void ignore_write_conditions();
  // Versions and Object Lock (see the top of this file). Turn them on before seeding.
  void enable_versioning();
  void enable_object_lock();  // implies enable_versioning()
  void drop_lock_on_multipart();
  // `op` answers AccessDenied from now on.
  void deny(Op op);
  // From now on delete_object_version_bypassing_governance overrides GOVERNANCE retentions
  // (s3:BypassGovernanceRetention granted; default: refused).
  void grant_governance_bypass();
  // The time retain-until dates are compared with (default 2026-01-01T00:00:00Z).
  void set_now(std::chrono::sys_seconds now);
  // Stores a new version directly (no call is recorded), locked when `lock` is given (needs
  // enable_object_lock()). Returns its version id ("" on an unversioned store).
  std::string seed_version(std::string key, std::string data,
                           std::optional<s3::ObjectLock> lock = std::nullopt);
  // seed_version of the key's current bytes under `lock`: what a locked write leaves, or one
  // whose lock was extended since. Returns the new version's id.
  std::string seed_lock(std::string key, s3::ObjectLock lock);
  // Adds a delete marker directly (no call is recorded; needs versioning). Returns its id.
  std::string seed_delete_marker(std::string key);

  // --- Gate for upload_part ---
  // From now on upload_part calls wait (counted as in flight) until release_upload_parts().
  void hold_upload_parts();
  // Opens the gate: held calls and later ones proceed.
  void release_upload_parts();
  // Blocks until at least `count` upload_part calls are waiting at the gate.
  void wait_until_held(int count) const;

  // --- Inspecting ---
  std::vector<Call> calls() const;
  int count(Op op) const;
  std::optional<std::string> object(std::string_view key) const;  // stored bytes
  std::optional<std::string> etag(std::string_view key) const;
  std::vector<std::string> keys() const;
  std::size_t pending_uploads() const;  // multipart uploads neither completed nor aborted
  // The pending uploads as list_multipart_uploads("") lists them (no call is recorded).
  std::vector<s3::MultipartUpload> open_uploads() const;
  int max_concurrent_upload_parts() const;
  // Every version and delete marker of `key`, oldest first (empty when unversioned).
  std::vector<StoredVersion> versions(std::string_view key) const;
  // Every key with at least one version or delete marker (unversioned: keys()).
  std::vector<std::string> versioned_keys() const;

 private:
  struct Object {
    std::string data;
    std::string etag;
    std::string last_modified;
    std::string version_id;  // "" on an unversioned store
    std::optional<s3::ObjectLock> lock;
  };
  struct Version {
    Object object;  // a delete marker's data and etag are empty
    bool delete_marker = false;
  };
  struct Part {
    std::string data;
    std::string etag;
  };
  struct Upload {
    std::string key;
    std::map<int, Part> parts;
    std::chrono::system_clock::time_point initiated;
    std::optional<s3::ObjectLock> lock;  // what the completed object is to carry
  };

  Result<std::string> put(std::string_view key, std::span<const char> body,
                          s3::WriteCondition condition, std::optional<s3::ObjectLock> lock);
  Result<std::string> create_upload(std::string_view key, std::optional<s3::ObjectLock> lock);

  // The 412 a conditional write gets when `key` is taken; nullopt when it may go ahead.
  // Caller holds mutex_.
  std::optional<Error> write_conflict(const Call& call) const;
  // Caller holds mutex_.
  std::vector<s3::MultipartUpload> uploads_under(std::string_view prefix) const;
  // Makes `object` the key's current object: a new version when versioned, else a replacement.
  // Returns the version id given. Caller holds mutex_.
  std::string store_object(std::string_view key, Object object);
  // A plain DELETE: a delete marker when versioned, else the object goes. Caller holds mutex_.
  std::string remove_current(std::string_view key);
  // objects_[key] from the newest version, or erased behind a marker. Caller holds mutex_.
  void refresh_current(const std::string& key);
  // The stored version (unversioned: the object as version "null"); nullptr when absent.
  // Caller holds mutex_.
  Version* find_version(std::string_view key, std::string_view version_id);
  // AccessDenied when deny(call.op) was set; InvalidRequest for a lock on a bucket without
  // Object Lock. Caller holds mutex_.
  std::optional<Error> refusal(const Call& call) const;
  std::string next_version_id();
  // delete_object_version and its governance-bypassing form (call.op tells which).
  Result<void> delete_version(Call call);

  // Records the call, then looks for a matching injected failure. Caller holds mutex_.
  const Failure* take_failure(const Call& call);
  static Error injected(const Failure& failure, const Call& call);

  const std::string bucket_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, Object, std::less<>> objects_;
  std::map<std::string, Upload, std::less<>> uploads_;
  std::map<std::string, std::vector<Version>, std::less<>> versions_;  // oldest first
  std::vector<Call> calls_;
  std::vector<Failure> failures_;
  std::string last_modified_ = "2026-01-01T00:00:00.000Z";
  std::chrono::system_clock::time_point upload_initiated_ =
      std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};
  std::uint64_t min_part_size_ = 0;
  std::size_t get_chunk_size_ = 64 * 1024;
  std::uint64_t next_upload_id_ = 1;
  bool ignore_conditions_ = false;
  bool versioning_ = false;
  bool object_lock_ = false;
  bool drop_lock_on_multipart_ = false;
  std::vector<Op> denied_;
  bool governance_bypass_ = false;
  std::chrono::sys_seconds now_ = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};
  std::uint64_t next_version_ = 1;
  bool holding_ = false;
  int held_ = 0;
  int active_upload_parts_ = 0;
  int max_active_upload_parts_ = 0;
};

std::string_view to_string(FakeObjectStore::Op op);

}  // namespace erp::testing
