// S3's XML request and reply bodies, parsed and built as pure functions (pugixml underneath).
//
// Strict about what matters, tolerant of what is valid (README "The S3 dialect"):
//   - A body that is not the document the operation promises (a proxy's HTML page, a cut-off
//     reply, an empty body, another root element) is `corrupt`, with an excerpt of the body, so it
//     never passes for an empty listing or a finished write.
//   - A 200 whose body is an <Error> document is that error: its <Code> as Error::code, the kind
//     that code calls for (error_code_kind), and "answered HTTP 200 with <Error> CODE" in the text.
//   - Everything a caller acts on is checked: a listing entry's <Key> and <Size>, an upload's
//     <Key>, <UploadId> and <Initiated>, a version's <Key> and <VersionId>, <IsTruncated> and
//     <IsLatest> as XML booleans ("true"/"false"/"1"/"0",
//     any case, surrounding blanks allowed).
//   - Everything else may be missing or extra: the root's namespace (AWS, s3rver's
//     doc.s3.amazonaws.com, none at all), the XML declaration (single-quoted, as GCS writes it; any
//     whitespace before it, as AWS sends while a CompleteMultipartUpload runs), <KeyCount>,
//     <ETag>, <LastModified>, <StorageClass>, <Owner>, <Generation>, RGW's <Type>, the order of
//     elements, an empty <Message>.
// The samples each parser is tested with (AWS, Ceph RGW 16, moto, s3rver, GCS) are in
// tests/s3/xml_replies_test.cc and tests/s3/xml_replies_samples_test.cc.
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
  std::string code;     // "NoSuchKey", "SlowDown", ...
  std::string message;  // may be empty: Ceph RGW sends <Message></Message>
  std::string request_id;
  // Details some codes carry, empty when absent:
  std::string region;       // <Region>: the region S3 expects (AuthorizationHeaderMalformed)
  std::string endpoint;     // <Endpoint>: where the bucket answers (PermanentRedirect)
  std::string server_time;  // <ServerTime>: the server's clock, ISO 8601 (RequestTimeTooSkewed)
  std::string details;      // <Details>: Google Cloud Storage's explanation
};

// S3 error codes that another attempt may cure (InternalError, SlowDown, ...).
bool is_transient_error_code(std::string_view code);

// The kind an S3 error code calls for, whatever the HTTP status it came with: transient for
// is_transient_error_code, not_found for NoSuchKey and NoSuchUpload, permanent otherwise.
ErrorKind error_code_kind(std::string_view code);

// Error codes of a store that does not implement the operation at all: NotImplemented / HTTP 501
// (GCS's XML API for DeleteObjects, s3rver for ListMultipartUploads) and MethodNotAllowed /
// HTTP 405 (s3rver for a few other sub-resources). `code` is Error::code as S3Client sets it
// ("HTTP501" when the reply had no <Error> body).
bool is_unsupported_operation_code(std::string_view code);

// Error codes of a conditional write (WriteCondition::if_absent) refused because the key is
// taken: PreconditionFailed / HTTP 412 (AWS, MinIO, GCS, moto), and AWS's
// ConditionalRequestConflict (HTTP 409: another conditional write to the key is in flight).
bool is_write_conflict_code(std::string_view code);

// S3's XML timestamps: "2026-11-30T15:02:16.000Z" (fraction optional, any number of digits,
// UTC only). corrupt for anything else, including impossible dates.
Result<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text);

// The <Error> document of a failed request; nullopt when `body` is not one (empty, HTML, another
// root). Fields are trimmed of surrounding whitespace; an absent field is empty.
std::optional<S3ErrorBody> parse_error(std::string_view body);

// "NoSuchKey: The specified key does not exist. (GCS details) (request id R)"; an empty message
// reads "NoSuchKey (no message)", an empty code "(no code)". For error texts.
std::string describe_error_body(const S3ErrorBody& body);

// What a reply body that is not an <Error> document looks like, for error texts: "empty body"
// or 'the body is not an S3 <Error> document: "<html><head><title>502 Bad Gat..."' (at most 100
// bytes; line breaks and tabs shown as spaces, other control and non-ASCII bytes as '?').
std::string describe_unreadable_body(std::string_view body);

// InitiateMultipartUploadResult/UploadId. corrupt when it has none (or an empty one).
Result<std::string> parse_upload_id(std::string_view body);

// CompleteMultipartUploadResult/ETag (moto names the root CompleteMultipartUploadResponse), quotes
// removed. A 200 answer can carry <Error> instead (S3 reports late failures that way): returned as
// an error with that code. A result without an ETag, or with an empty one, is success with an
// empty ETag: Ceph RGW 16 answers so although the object is complete, and the caller settles it
// by reading the object (upload/confirm_write.h), never by calling it failed.
Result<std::string> parse_complete_result(std::string_view body);

// ListBucketResult (V2). Each <Contents> needs a non-empty <Key> and a decimal <Size>; <ETag> and
// <LastModified> are taken as sent (empty when absent). With <EncodingType>url</EncodingType>
// (the answer to `encoding-type=url`) keys and common prefixes are URL-decoded as botocore does
// ('+' is a space; a malformed escape makes the page corrupt); without it they are taken
// literally (s3rver ignores the parameter). The page is truncated when <IsTruncated> says so, or,
// without an <IsTruncated>, when a <NextContinuationToken> is present; a truncated page without
// a token is corrupt (the rest could not be listed).
Result<ListPage> parse_list_objects_v2(std::string_view body);

// ListMultipartUploadsResult. Each upload needs a <Key> and an <UploadId>. Its <Initiated> is
// parsed (parse_timestamp); an upload without one gets nullopt, a malformed one makes the page
// corrupt (naming the key). Truncation as for parse_list_objects_v2, with <NextKeyMarker>: the
// markers of a page that says it is not truncated are ignored (RGW sends them on the last page).
struct MultipartUploadPage {
  std::vector<MultipartUpload> uploads;
  std::optional<std::string> next_key_marker;        // set when truncated
  std::optional<std::string> next_upload_id_marker;  // set when truncated
};
Result<MultipartUploadPage> parse_list_multipart_uploads(std::string_view body);

// ListVersionsResult (ListObjectVersions): every <Version> and <DeleteMarker>, in the order sent.
// Each needs a non-empty <Key> and <VersionId> ("null" for a version written before versioning
// was enabled); a <Version> a decimal <Size>; <IsLatest> is an XML boolean (absent: false).
// <LastModified> is taken as sent. Keys and markers are URL-decoded under
// <EncodingType>url</EncodingType>, as in parse_list_objects_v2. Truncation as for
// parse_list_multipart_uploads, with <NextKeyMarker> and <NextVersionIdMarker>.
struct ObjectVersionPage {
  std::vector<ObjectVersion> versions;
  std::optional<std::string> next_key_marker;         // set when truncated
  std::optional<std::string> next_version_id_marker;  // set when truncated ("" when not sent)
};
Result<ObjectVersionPage> parse_list_object_versions(std::string_view body);

// DeleteResult: the keys that failed (<Error> entries); <Deleted> entries are not needed (the
// request asks for quiet mode, whose answer to full success is an empty <DeleteResult/>). An
// <Error> entry without a <Key> makes the result corrupt (which key failed is unknown). Ceph RGW
// writes the HTTP status as <Code> and the S3 code as <Message> (`<Code>403</Code>
// <Message>AccessDenied</Message>`): read back as code "AccessDenied", message "HTTP 403".
Result<std::vector<DeleteFailure>> parse_delete_result(std::string_view body);

// "KEY (CODE: message)", "KEY (CODE, no message)", for error texts and logs.
std::string describe_delete_failure(const DeleteFailure& failure);

std::string build_complete_multipart_upload(const std::vector<CompletedPart>& parts);
// Quiet mode: the reply lists only failures.
std::string build_delete_objects(const std::vector<std::string>& keys);
// PutObjectRetention's body: <Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
// <Mode>GOVERNANCE</Mode><RetainUntilDate>2026-12-09T22:15:00Z</RetainUntilDate></Retention>
// (GCS's XML API takes the same elements: GOVERNANCE is its "Unlocked", COMPLIANCE its "Locked").
std::string build_retention(const ObjectLock& lock);

// Text escaped for XML character data: & < > " ' and CR (which a parser would fold).
std::string escape_xml(std::string_view text);

// ETags arrive quoted ("\"abc\""); stored and compared without quotes.
std::string strip_etag_quotes(std::string_view etag);

}  // namespace erp::s3
