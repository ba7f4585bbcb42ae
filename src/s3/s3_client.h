// ObjectStore over HTTP: builds each S3 request, signs it (SigV4, header auth),
// sends it through a pooled transport, retries transient failures with the one
// retry policy, and turns HTTP statuses and XML error bodies into Errors that name
// the operation, bucket, key, S3 error code and request id.
//
// The request dialect (SPEC §4) is deliberately minimal so AWS, MinIO and GCS all
// accept it: no x-amz-checksum-*, no aws-chunked, no STREAMING-* payloads;
// Content-MD5 only where S3 requires a checksum: DeleteObjects, PutObjectRetention, a PutObject
// that carries a lock, and, with S3ClientOptions::content_md5_on_uploads, every PutObject and
// UploadPart (S3 requires one on any upload to a bucket where a retention applies).
//
// Object Lock and versions (issue 20): lock headers, version ids and the version query parameter
// are spelt for S3 or, on GCS, for Google's XML API (object_lock_headers.h).
//
// Conditional writes (WriteCondition::if_absent) send `If-None-Match: *`, signed; to Google
// Cloud Storage (an endpoint whose host is storage.googleapis.com or a subdomain of it, as its
// XML API is addressed) `x-goog-if-generation-match: 0` instead, GCS's spelling of "only if
// no live object exists". A refusal is the store's 412 PreconditionFailed, kind permanent.
//
// Thread-safe: any number of threads may call it; each request leases a transport.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "core/clock.h"
#include "http/retry.h"
#include "http/transport_pool.h"
#include "s3/bucket_configuration.h"
#include "s3/credentials/provider.h"
#include "s3/object_lock_headers.h"
#include "s3/object_store.h"
#include "s3/sigv4.h"
#include "s3/xml_replies.h"

namespace erp::s3 {

enum class AddressingStyle { path, virtual_host };
enum class PayloadSigning { automatic, always, never };

struct S3ClientOptions {
  std::string endpoint;  // "https://s3.eu-west-3.amazonaws.com", "http://127.0.0.1:9000"
  std::string bucket;
  AddressingStyle addressing = AddressingStyle::path;
  SigningScope scope;
  // automatic: hash the body over plain HTTP (nothing else protects it), UNSIGNED-PAYLOAD
  // over HTTPS (TLS does, and hashing costs a pass over every byte).
  PayloadSigning payload_signing = PayloadSigning::automatic;
  http::RetryPolicy retry;
  // The job's stop signal (Cancellation::token()). Once requested, every call but
  // abort_multipart_upload ends with `cancelled` within about a second: a transfer on the
  // wire is aborted, a back-off sleep ends, nothing is retried.
  std::stop_token stop;
  // abort_multipart_upload and delete_object_after_stop are the cleanup a stop leads to, so
  // `stop` does not end them; each gets one attempt that must finish within this instead. Cost: an
  // abort slower than this fails (the upload lingers until `prune` or a lifecycle rule removes it)
  // — but a stalled endpoint holds the exit of a stopped job for at most this long (Kubernetes'
  // grace period is 30 s).
  std::chrono::milliseconds abort_timeout{5'000};
  // Told (from any thread; must be thread-safe) when the client corrects itself after a
  // refusal: the clock offset it now signs with, or the region it now signs for. The client
  // does not log; the composition root hands these to the log.
  std::function<void(std::chrono::seconds offset)> on_clock_corrected;
  std::function<void(const std::string& region)> on_region_corrected;
  // Content-MD5 (the body's MD5, base64) on every PutObject and UploadPart: AWS refuses an
  // upload without Content-MD5 or a checksum header to a bucket where a retention applies (Object
  // Lock with a default retention, or a lock on the write), and the dialect sends no
  // x-amz-checksum-*. Costs one MD5 pass over each body per call (not per retry). Set when
  // OBJECT_LOCK_MODE is not off.
  bool content_md5_on_uploads = false;
};

// Google Cloud Storage's XML API: an endpoint whose host is storage.googleapis.com or a subdomain
// of it (a bucket in virtual-host style). Conditional writes are spelt for GCS there (above).
bool is_gcs_endpoint(std::string_view endpoint);

class S3Client final : public ObjectStore {
 public:
  // `transports` is borrowed and must outlive the client. `credentials` is asked for the
  // keys before every request (credentials/provider.h). `clock` (borrowed, must outlive
  // the client) gives the signing time; `sleeper` waits between retries.
  //
  // Two refusals are corrected once per request, as the AWS SDKs do: RequestTimeTooSkewed
  // (the server's <ServerTime> or Date header gives the offset; every later request is
  // signed with it too) and, for AWS endpoints (*.amazonaws.com) only,
  // AuthorizationHeaderMalformed/PermanentRedirect naming the bucket's region (later
  // requests sign for it, at s3.<region>.amazonaws.com when the endpoint was the regional
  // default). Each correction is reported through the options' observers.
  S3Client(S3ClientOptions options, std::shared_ptr<CredentialsProvider> credentials,
           http::TransportPool& transports, const Clock& clock = system_clock(),
           http::Sleeper sleeper = http::sleep_for_real);
  // Fixed keys (tests, tools).
  S3Client(S3ClientOptions options, Credentials credentials, http::TransportPool& transports,
           const Clock& clock = system_clock(), http::Sleeper sleeper = http::sleep_for_real);
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const std::string& bucket() const override { return options_.bucket; }

  Result<std::string> put_object(std::string_view key, std::span<const char> body) override;
  Result<std::string> put_object(std::string_view key, std::span<const char> body,
                                 WriteCondition condition) override;
  // With Object Lock: the lock headers (object_lock_headers.h) and Content-MD5, always.
  Result<std::string> put_object(std::string_view key, std::span<const char> body,
                                 WriteCondition condition, const ObjectLock& lock) override;
  Result<std::string> create_multipart_upload(std::string_view key) override;
  // The lock headers on the create (no body, so no Content-MD5); the stores that drop them are
  // listed in docs/s3-stores.md.
  Result<std::string> create_multipart_upload(std::string_view key,
                                              const ObjectLock& lock) override;
  Result<std::string> upload_part(std::string_view key, std::string_view upload_id, int part_number,
                                  std::span<const char> body) override;
  Result<std::string> upload_part(std::string_view key, std::string_view upload_id, int part_number,
                                  std::span<const char> body, std::stop_token stop) override;
  Result<std::string> complete_multipart_upload(std::string_view key, std::string_view upload_id,
                                                const std::vector<CompletedPart>& parts) override;
  Result<std::string> complete_multipart_upload(std::string_view key, std::string_view upload_id,
                                                const std::vector<CompletedPart>& parts,
                                                WriteCondition condition) override;
  Result<void> abort_multipart_upload(std::string_view key, std::string_view upload_id) override;
  Result<std::vector<MultipartUpload>> list_multipart_uploads(std::string_view prefix) override;
  Result<ListPage> list_objects_v2(std::string_view prefix, std::string_view continuation_token,
                                   std::string_view delimiter, int max_keys) override;
  Result<ObjectInfo> head_object(std::string_view key) override;
  Result<void> get_object(std::string_view key, ByteSink& sink,
                          std::optional<ByteRange> range) override;
  Result<void> delete_object(std::string_view key) override;
  Result<void> delete_object_after_stop(std::string_view key) override;
  Result<std::vector<DeleteFailure>> delete_objects(const std::vector<std::string>& keys) override;

  // -- Versions and Object Lock (object_store.h; defined in s3_client_versions.cc) --
  // HEAD ?versionId= (GCS: ?generation=). A delete marker's version answers 405 without a body
  // (AWS, moto): not_found, as object_store.h promises.
  Result<ObjectInfo> head_object_version(std::string_view key,
                                         std::string_view version_id) override;
  // PUT ?retention&versionId= (versionId left out when `version_id` is empty: the current
  // version), body build_retention (xml_replies.h), Content-MD5.
  Result<void> put_object_retention(std::string_view key, std::string_view version_id,
                                    const ObjectLock& lock) override;
  // GET ?versions&encoding-type=url&prefix=, following key-marker/version-id-marker. Errors:
  // corrupt for a page that is not a ListVersionsResult or that hands back the markers just sent.
  Result<std::vector<ObjectVersion>> list_object_versions(std::string_view prefix) override;
  // DELETE ?versionId=. not_found is success; a lock's refusal is the store's AccessDenied.
  Result<void> delete_object_version(std::string_view key, std::string_view version_id) override;
  // The same with `x-amz-bypass-governance-retention: true` (GCS: x-goog-), signed.
  Result<void> delete_object_version_bypassing_governance(std::string_view key,
                                                          std::string_view version_id) override;

  // -- Bucket settings, read only (s3/bucket_configuration.h; defined in s3_client_bucket.cc) --
  // GetBucketVersioning. Errors: the store's (a store without it: NotImplemented, see
  // is_unsupported_operation_code); corrupt when the reply is not a versioning document (s3rver
  // answers with the bucket listing).
  Result<BucketVersioning> get_bucket_versioning() override;
  // GetObjectLockConfiguration. A bucket without one (ObjectLockConfigurationNotFoundError, 404)
  // is `enabled == false`, not an error. Errors: the store's otherwise; corrupt as above.
  Result<ObjectLockConfiguration> get_object_lock_configuration() override;

  // The provider asked for the keys before every request (for reports: its name()).
  const std::shared_ptr<CredentialsProvider>& credentials_provider() const { return credentials_; }

  // A presigned GET (or other method) URL for `key`, valid for `expires`, signed with the
  // provider's current keys (an error when it has none).
  Result<std::string> presign(std::string_view method, std::string_view key,
                              std::chrono::seconds expires) const;

  // The offset added to the clock when signing (0 until a server called the clock skewed).
  std::chrono::seconds clock_offset() const;

 private:
  struct Call;  // one S3 operation: what to send and how to describe it in errors
  Result<http::HttpResponse> execute(const Call& call, ByteSink* body_sink = nullptr);
  // Every page of a listing paged by <NextKeyMarker> and a second marker (s3_call.h).
  template <typename Page, typename Item, typename Parse>
  Result<std::vector<Item>> list_by_markers(Call call, std::string_view second_marker,
                                            std::vector<Item> Page::*items,
                                            std::optional<std::string> Page::*next_second,
                                            Parse parse);
  // Runs `try_once(stop)` under the retry policy, with `stop` requested on the client's stop
  // or the call's own. A cleanup call ignores the client's stop and gets one attempt.
  template <typename T, typename Attempt>
  Result<T> retried(const Call& call, Attempt&& try_once);
  // One try of `call`, signed with `hash` (its payload hash, computed once per call).
  Result<http::HttpResponse> attempt(const Call& call, const std::string& hash, ByteSink* body_sink,
                                     std::stop_token stop);
  // One exchange: sign with the current keys, clock offset and region, send, classify.
  // With `corrected` set, a refusal that names a clock offset or region is applied and
  // *corrected says so (the request is worth sending once more); nullptr: nothing is applied.
  Result<http::HttpResponse> exchange(const Call& call, const std::string& hash,
                                      ByteSink* body_sink, std::stop_token stop, bool* corrected);
  struct Target {
    std::string endpoint;
    SigningScope scope;
  };
  Target target() const;
  // Applies what a refusal says (clock offset, region); true when something changed.
  bool correct(const S3ErrorBody& body, const std::vector<http::Header>& headers,
               const Target& where, std::chrono::sys_seconds host_time);
  std::string call_payload_hash(const Call& call) const;
  // The header that makes a write conditional on the key being free (see the top of the file).
  http::Header if_absent_header() const;
  std::string object_url(const std::string& endpoint, std::string_view key,
                         const QueryParams& query) const;
  std::string payload_hash(std::span<const char> body) const;
  Result<std::vector<DeleteFailure>> delete_batch(const std::vector<std::string>& keys);
  // PutObject, with `lock` when not null.
  Result<std::string> put(std::string_view key, std::span<const char> body,
                          WriteCondition condition, const ObjectLock* lock);
  // CreateMultipartUpload, with `lock` when not null.
  Result<std::string> create_upload(std::string_view key, const ObjectLock* lock);
  // HeadObject of `key`, of its version `version_id` when not empty. `read_lock` false: the lock
  // headers are not read (get_object's HEAD: a restore never depends on how a store spells them).
  Result<ObjectInfo> head(std::string_view key, std::string_view version_id, bool read_lock = true);
  // DeleteObject ?versionId=, with the governance bypass header when `bypass_governance`.
  Result<void> delete_version(std::string_view key, std::string_view version_id,
                              bool bypass_governance);
  // How this endpoint spells lock headers and versions (GCS or S3).
  LockDialect lock_dialect() const;

  S3ClientOptions options_;
  std::shared_ptr<CredentialsProvider> credentials_;
  std::atomic<std::int64_t> clock_offset_{0};  // seconds added to clock_() when signing
  mutable std::mutex target_mutex_;            // guards region_override_
  std::optional<Target> region_override_;      // set once a server named the bucket's region
  http::TransportPool& transports_;
  const Clock& clock_;
  http::Sleeper sleeper_;
};

}  // namespace erp::s3
