// S3's XML request and reply bodies, parsed and built as pure functions
// (pugixml underneath). Parsers return `corrupt` when the body is not the
// document the operation promises, so a proxy's HTML error page never passes
// for an empty listing.
#pragma once

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

// The <Error> document of a failed request; nullopt when `body` is not one.
std::optional<S3ErrorBody> parse_error(std::string_view body);

// InitiateMultipartUploadResult/UploadId.
Result<std::string> parse_upload_id(std::string_view body);

// CompleteMultipartUploadResult/ETag. A 200 answer can carry <Error> instead
// (S3 reports late failures that way): returned as an error with that code.
Result<std::string> parse_complete_result(std::string_view body);

// ListBucketResult (V2).
Result<ListPage> parse_list_objects_v2(std::string_view body);

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
