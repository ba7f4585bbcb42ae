// S3's XML request and reply bodies, parsed and built as pure functions
// (pugixml underneath). Parsers return `corrupt` when the body is not the
// document the operation promises, so a proxy's HTML error page never passes
// for an empty listing.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "s3/object_store.h"

namespace erp::s3 {

struct S3ErrorBody {
  std::string code;  // "NoSuchKey", "SlowDown", ...
  std::string message;
  std::string request_id;
  // Details some codes carry, empty when absent:
  std::string region;       // <Region>: the region S3 expects (AuthorizationHeaderMalformed)
  std::string endpoint;     // <Endpoint>: where the bucket answers (PermanentRedirect)
  std::string server_time;  // <ServerTime>: the server's clock, ISO 8601 (RequestTimeTooSkewed)
};

// S3 error codes that another attempt may cure (InternalError, SlowDown, ...).
bool is_transient_error_code(std::string_view code);

// Error codes of a store that does not implement the operation at all: NotImplemented / HTTP 501
// (GCS's XML API for some operations) and MethodNotAllowed / HTTP 405 (s3rver's answer to
// ListMultipartUploads). `code` is Error::code as S3Client sets it ("HTTP501" when the reply
// had no <Error> body).
bool is_unsupported_operation_code(std::string_view code);

// Error codes of a conditional write (WriteCondition::if_absent) refused because the key is
// taken: PreconditionFailed / HTTP 412 (AWS, MinIO, GCS, moto), and AWS's
// ConditionalRequestConflict (HTTP 409: another conditional write to the key is in flight).
bool is_write_conflict_code(std::string_view code);

// S3's XML timestamps: "2026-11-30T15:02:16.000Z" (fraction optional, any number of digits,
// UTC only). corrupt for anything else, including impossible dates.
Result<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text);

// The <Error> document of a failed request; nullopt when `body` is not one.
std::optional<S3ErrorBody> parse_error(std::string_view body);

// InitiateMultipartUploadResult/UploadId.
Result<std::string> parse_upload_id(std::string_view body);

// CompleteMultipartUploadResult/ETag. A 200 answer can carry <Error> instead
// (S3 reports late failures that way): returned as an error with that code.
Result<std::string> parse_complete_result(std::string_view body);

// ListBucketResult (V2).
Result<ListPage> parse_list_objects_v2(std::string_view body);

// ListMultipartUploadsResult. Each upload's <Initiated> is parsed (parse_timestamp); an upload
// without one gets nullopt, a malformed one makes the page corrupt (naming the key).
struct MultipartUploadPage {
  std::vector<MultipartUpload> uploads;
  std::optional<std::string> next_key_marker;        // set when truncated
  std::optional<std::string> next_upload_id_marker;  // set when truncated
};
Result<MultipartUploadPage> parse_list_multipart_uploads(std::string_view body);

// DeleteResult: the keys that failed (<Error> entries).
Result<std::vector<DeleteFailure>> parse_delete_result(std::string_view body);

std::string build_complete_multipart_upload(const std::vector<CompletedPart>& parts);
// Quiet mode: the reply lists only failures.
std::string build_delete_objects(const std::vector<std::string>& keys);

// Text escaped for XML character data: & < > " ' and CR (which a parser would fold).
std::string escape_xml(std::string_view text);

// ETags arrive quoted ("\"abc\""); stored and compared without quotes.
std::string strip_etag_quotes(std::string_view etag);

}  // namespace erp::s3
