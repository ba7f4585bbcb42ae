// The bucket-level S3 operations the rest of the program uses, as an interface so
// the multipart sink, the catalog and the commands can be tested with an in-memory
// fake. S3Client (s3_client.h) is the real implementation over HTTP.
//
// Thread safety: implementations must allow concurrent calls from several threads
// (the multipart uploader sends parts in parallel through one store).
// Retries: the implementation retries transient failures itself (one policy, see
// http/retry.h); a returned error is final for that call.
// Stopping: an implementation may be bound to a stop signal (S3Client: the job's); once it is
// requested, calls end promptly with `cancelled`, which is never retried.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_stream.h"
#include "core/error.h"
#include "s3/bucket_configuration.h"
#include "s3/object_lock.h"

namespace erp::s3 {

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;           // as the server sent it, quotes removed
  std::string last_modified;  // ISO 8601 as the server sent it
  // Filled by head_object / head_object_version only (listings carry neither):
  std::string version_id;          // x-amz-version-id; "" on an unversioned bucket
  std::optional<ObjectLock> lock;  // x-amz-object-lock-mode + -retain-until-date, when both sent
};

// One entry of ListObjectVersions: an object version or a delete marker.
struct ObjectVersion {
  std::string key;
  std::string version_id;  // "null" for a version written while versioning was off
  bool delete_marker = false;
  bool is_latest = false;
  std::uint64_t size = 0;     // 0 for a delete marker
  std::string last_modified;  // ISO 8601 as the server sent it
};

struct ListPage {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  std::optional<std::string> next_continuation_token;  // set when more pages follow
};

struct CompletedPart {
  int part_number = 0;  // 1..10000
  std::string etag;
};

struct MultipartUpload {
  std::string key;
  std::string upload_id;
  // When the upload was created (<Initiated>, UTC); nullopt when the server sent none.
  std::optional<std::chrono::system_clock::time_point> initiated;
};

struct ByteRange {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> last;  // inclusive; nullopt = to the end
};

// How a write treats an object that is already at its key.
enum class WriteCondition {
  none,       // replace it (last-success.json, a lease's renewal)
  if_absent,  // only when no object is there: `If-None-Match: *` (AWS S3, MinIO), or
              // `x-goog-if-generation-match: 0` on Google Cloud Storage. A store that honours it
              // answers 412 PreconditionFailed (is_write_conflict() in xml_replies.h) when an
              // object exists; moto on versioned buckets, s3rver and Ceph RGW 16 (on
              // CompleteMultipartUpload) ignore it and replace the object: a caller that must
              // never replace one makes that impossible by other means too
              // (app/backup/run_lease.h).
};

struct DeleteFailure {
  std::string key;
  std::string code;
  std::string message;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // The bucket this store addresses (for messages).
  virtual const std::string& bucket() const = 0;

  // Single PUT of a whole object. Returns the ETag (empty when the reply carried none).
  virtual Result<std::string> put_object(std::string_view key, std::span<const char> body) = 0;
  // The same under `condition`. A retried request can meet its own earlier success (the first
  // answer was lost): a conflict is then not proof of another writer, only that the key is
  // taken; the caller resolves it by reading (upload/confirm_write.h), never by deleting. The
  // default ignores `condition` and calls the overload above, as stores without conditional
  // writes do (the in-memory fakes that do not model them).
  virtual Result<std::string> put_object(std::string_view key, std::span<const char> body,
                                         WriteCondition /*condition*/) {
    return put_object(key, body);
  }

  // The same, writing the new object with `lock` (x-amz-object-lock-mode and
  // x-amz-object-lock-retain-until-date, on GCS x-goog-object-lock-*; Content-MD5 is sent, as S3
  // requires for a write that carries a retention). The default fails with `unsupported_error`
  // (below).
  virtual Result<std::string> put_object(std::string_view key, std::span<const char> body,
                                         WriteCondition condition, const ObjectLock& lock);

  // Returns the upload id.
  virtual Result<std::string> create_multipart_upload(std::string_view key) = 0;
  // The same, the completed object to carry `lock` (headers as for put_object above). Some
  // stores accept the headers and drop them (Ceph RGW 16, moto): a caller that needs the lock
  // reads it back with head_object_version and applies put_object_retention. The default fails
  // with `unsupported_error`.
  virtual Result<std::string> create_multipart_upload(std::string_view key, const ObjectLock& lock);
  // Returns the part's ETag. `body` is borrowed until the call returns; retries re-send it.
  virtual Result<std::string> upload_part(std::string_view key, std::string_view upload_id,
                                          int part_number, std::span<const char> body) = 0;
  // The same, also ended promptly with `cancelled` once `stop` is requested: the caller's own
  // stop for this part (its upload is being aborted), on top of the store's stop signal. The
  // default ignores `stop` and calls the overload above, which suits stores whose calls cannot
  // stall (in-memory fakes); S3Client hands `stop` to the transfer and the back-off.
  virtual Result<std::string> upload_part(std::string_view key, std::string_view upload_id,
                                          int part_number, std::span<const char> body,
                                          std::stop_token /*stop*/) {
    return upload_part(key, upload_id, part_number, body);
  }
  // Parts must be in ascending order. A 200 answer carrying <Error> is an error.
  // Returns the final ETag (empty when the reply carried none: Ceph RGW 16).
  virtual Result<std::string> complete_multipart_upload(
      std::string_view key, std::string_view upload_id,
      const std::vector<CompletedPart>& parts) = 0;
  // The same under `condition` (see put_object above: a lost answer makes a retry meet its own
  // object, or find the upload gone). The default ignores `condition`.
  virtual Result<std::string> complete_multipart_upload(std::string_view key,
                                                        std::string_view upload_id,
                                                        const std::vector<CompletedPart>& parts,
                                                        WriteCondition /*condition*/) {
    return complete_multipart_upload(key, upload_id, parts);
  }
  // not_found when the upload no longer exists. This is cleanup that must still happen after
  // the job was stopped: implementations do not end it on their stop signal but bound it by a
  // short deadline of its own, so a stalled endpoint cannot hold up the exit.
  virtual Result<void> abort_multipart_upload(std::string_view key, std::string_view upload_id) = 0;
  // All in-progress uploads under `prefix` (follows pagination), each with its initiation
  // time. A store without ListMultipartUploads answers an error with code NotImplemented
  // (s3rver, HTTP 501) or MethodNotAllowed; see is_unsupported_operation_code() in xml_replies.h.
  virtual Result<std::vector<MultipartUpload>> list_multipart_uploads(std::string_view prefix) = 0;

  // One page of ListObjectsV2. `delimiter` empty = none. max_keys 0 = server default.
  virtual Result<ListPage> list_objects_v2(std::string_view prefix,
                                           std::string_view continuation_token,
                                           std::string_view delimiter, int max_keys) = 0;
  // not_found when absent.
  virtual Result<ObjectInfo> head_object(std::string_view key) = 0;
  // Streams the object (or `range` of it) into `sink` (write() only: the caller
  // finishes or aborts the sink). A transient failure mid-body resumes from the
  // next byte with a ranged request pinned to the same ETag. not_found when absent.
  virtual Result<void> get_object(std::string_view key, ByteSink& sink,
                                  std::optional<ByteRange> range) = 0;
  // Succeeds when the object is absent too (S3 semantics).
  virtual Result<void> delete_object(std::string_view key) = 0;
  // delete_object as cleanup that must still happen after the job was stopped (a backup run's
  // lease, app/backup/run_lease.h): like abort_multipart_upload, not ended by the store's stop
  // signal but bounded by a short deadline of its own. The default calls delete_object, which suits
  // stores whose calls cannot stall (in-memory fakes).
  virtual Result<void> delete_object_after_stop(std::string_view key) { return delete_object(key); }
  // Batch delete (up to 1000 keys per request, Content-MD5 sent as required); when the
  // store answers NotImplemented (GCS) falls back to one DELETE per key. Returns the
  // keys the store refused (an empty vector means all deleted).
  virtual Result<std::vector<DeleteFailure>> delete_objects(
      const std::vector<std::string>& keys) = 0;

  // -- Versions and Object Lock (issue 20). Each default fails with `unsupported_error`. --
  // HEAD of one version (`?versionId=`): size, ETag, version id and its lock. not_found when
  // that version (or the key) is absent; a delete marker's version is not_found too.
  virtual Result<ObjectInfo> head_object_version(std::string_view key, std::string_view version_id);
  // PutObjectRetention on one version (`?retention&versionId=`, Content-MD5 sent; an empty
  // `version_id` addresses the current version). Without a governance bypass (never sent) Ceph
  // RGW 16 refuses, with AccessDenied, a shorter date and also a change from GOVERNANCE to
  // COMPLIANCE (as GCS documents, and AWS for any override of a governance retention): extend
  // the date, keep the mode. moto 5 accepts every change. Callers only ever extend
  // (lock_promotion.h).
  virtual Result<void> put_object_retention(std::string_view key, std::string_view version_id,
                                            const ObjectLock& lock);
  // Every version and delete marker under `prefix` (ListObjectVersions, follows pagination).
  virtual Result<std::vector<ObjectVersion>> list_object_versions(std::string_view prefix);
  // DELETE ?versionId=: removes that version for good (a plain DELETE on a versioned bucket only
  // adds a delete marker). A version under a retention that has not passed is refused:
  // ErrorKind::permanent with code AccessDenied (AWS, RGW, moto). Succeeds when absent.
  virtual Result<void> delete_object_version(std::string_view key, std::string_view version_id);
  // delete_object_version asking the store to override a GOVERNANCE retention
  // (`x-amz-bypass-governance-retention: true`; GCS: x-goog-). Only the enforcement canary
  // (app/backup/lock_canary.h) sends it: a success proves these credentials hold
  // s3:BypassGovernanceRetention (or the store ignores locks), so a governance lock does not
  // protect the backups from them. A COMPLIANCE retention refuses it like any delete
  // (AccessDenied); so does a credential without that permission.
  virtual Result<void> delete_object_version_bypassing_governance(std::string_view key,
                                                                  std::string_view version_id);
  // The bucket's settings (bucket_configuration.h). GetObjectLockConfiguration on a bucket
  // without one answers `enabled == false`, not an error.
  virtual Result<BucketVersioning> get_bucket_versioning();
  virtual Result<ObjectLockConfiguration> get_object_lock_configuration();
};

// What the defaults above return: ErrorKind::permanent, code "NotImplemented" (so
// is_unsupported_operation_code() in xml_replies.h recognises it), naming `operation`.
std::unexpected<Error> unsupported_error(std::string_view operation);

}  // namespace erp::s3
